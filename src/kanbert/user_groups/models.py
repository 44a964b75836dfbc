"""User groups and their members.

This module names `User` only by string, so `kanbert.users.models` can import it at the top (for
`User.user_groups`) without an import cycle; both tables are therefore mapped whenever users are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Column, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kanbert.db.base import Base, ExternallyIdentified, SpaceOwned, Timestamped, id_column

if TYPE_CHECKING:
    from kanbert.users.models import User

# Written with plain SQL by the service; the relationships over it are view-only. Deleting a
# group or a user takes its membership rows with it (ON DELETE CASCADE, on both engines).
user_group_members = Table(
    "user_group_members",
    Base.metadata,
    Column(
        "user_group_id",
        String(32),
        ForeignKey("user_groups.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "user_id",
        String(32),
        ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,  # the `user_groups` include of users loads by user id
    ),
)


class UserGroup(SpaceOwned, ExternallyIdentified, Timestamped, Base):
    __tablename__ = "user_groups"
    __table_args__ = (
        Index("uq_user_groups_external", "space_id", "external_origin", "external_id", unique=True),
        Index("ix_user_groups_space_name", "space_id", "name", "id"),
    )

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    is_team: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    users: Mapped[list[User]] = relationship(
        "User",
        secondary=user_group_members,
        viewonly=True,
        lazy="raise",
        order_by="[User.last_name, User.first_name, User.id]",
    )


# Maps `User` as well when groups are imported on their own, so the names above always resolve.
# (At the bottom: `kanbert.users.models` imports this module's classes at its top.)
import kanbert.users.models  # noqa: E402, F401
