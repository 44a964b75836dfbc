from __future__ import annotations

import enum
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Date,
    Enum,
    Index,
    String,
    Text,
    and_,
    or_,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kanbert.db.base import (
    Archivable,
    Base,
    ExternallyIdentified,
    SpaceOwned,
    Timestamped,
    id_column,
)
from kanbert.files.models import StoredFile
from kanbert.spaces.models import Space
from kanbert.user_groups.models import UserGroup, user_group_members


class UserType(enum.StrEnum):
    user = "user"
    guest = "guest"
    tax_advisor = "tax_advisor"
    integration = "integration"


class UserPlan(enum.StrEnum):
    basic = "basic"
    standard = "standard"
    external = "external"
    advanced = "advanced"
    expert = "expert"
    guest = "guest"
    tax_advisor = "tax_advisor"
    not_assigned = "not_assigned"


def enum_column(enum_class: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings (no native enum types) so new values need no type migration.
    return Enum(enum_class, name=name, native_enum=False, create_constraint=False, length=32)


class User(SpaceOwned, ExternallyIdentified, Timestamped, Archivable, Base):
    __tablename__ = "users"
    __table_args__ = (
        # E-mail addresses are unique per space whatever their case (resources.md §1).
        Index("uq_users_space_lower_email", "space_id", text("lower(email)"), unique=True),
        Index("uq_users_space_slug", "space_id", "slug", unique=True),
        Index("uq_users_external", "space_id", "external_origin", "external_id", unique=True),
        Index("ix_users_space_first_name", "space_id", "first_name", "id"),
        Index("ix_users_space_last_name", "space_id", "last_name", "id"),
        Index("ix_users_space_created_at", "space_id", "created_at", "id"),
    )

    id: Mapped[str] = id_column()
    type: Mapped[UserType] = mapped_column(enum_column(UserType, "user_type"), nullable=False)
    plan: Mapped[UserPlan] = mapped_column(
        enum_column(UserPlan, "user_plan"), nullable=False, default=UserPlan.not_assigned
    )
    is_owner: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    first_name: Mapped[str] = mapped_column(String(255), nullable=False)
    last_name: Mapped[str] = mapped_column(String(255), nullable=False)
    email: Mapped[str] = mapped_column(String(255), nullable=False)
    # Integrations only: the default `external_origin` of what they write.
    slug: Mapped[str | None] = mapped_column(String(255), nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    title: Mapped[str | None] = mapped_column(String(255))
    title_suffix: Mapped[str | None] = mapped_column(String(255))
    birthday: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(64))
    position: Mapped[str | None] = mapped_column(String(255))
    special_roles: Mapped[str | None] = mapped_column(Text)
    skills: Mapped[str | None] = mapped_column(Text)
    profile: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    languages: Mapped[str | None] = mapped_column(String(255))
    telephone_office: Mapped[str | None] = mapped_column(String(64))
    phone_extension: Mapped[str | None] = mapped_column(String(64))
    telephone: Mapped[str | None] = mapped_column(String(64))
    entry_date: Mapped[date | None] = mapped_column(Date)
    leave_date: Mapped[date | None] = mapped_column(Date)
    custom_fields: Mapped[dict[str, object]] = mapped_column(JSON, nullable=False, default=dict)
    # A file of this user (entity_type user). No foreign key: see migration 0007.
    avatar_file_id: Mapped[str | None] = mapped_column(String(32), nullable=True)

    space: Mapped[Space] = relationship(lazy="raise")
    avatar: Mapped[StoredFile | None] = relationship(
        primaryjoin="foreign(User.avatar_file_id) == StoredFile.id", lazy="raise", viewonly=True
    )
    user_groups: Mapped[list[UserGroup]] = relationship(
        secondary=user_group_members,
        viewonly=True,
        lazy="raise",
        order_by=(UserGroup.name, UserGroup.id),
    )

    # The one rule for "this user is archived": archived by DELETE, or on or past the leave date
    # (resources.md §1: a leave date archives the user on that day). Evaluated where it is
    # needed (lists, includes, token checks) instead of by a job that would run late.
    @hybrid_method
    def archived_on(self, today: date) -> bool:
        return self.deleted_at is not None or (
            self.leave_date is not None and self.leave_date <= today
        )

    # (`expression` sets the SQL form on `archived_on` itself; `_archived_on_sql` is an alias.)
    @archived_on.expression
    @classmethod
    def _archived_on_sql(cls, today: date) -> ColumnElement[bool]:
        # Two-valued (never NULL), so `not` of it is exact for users without a leave date.
        return or_(
            cls.deleted_at.is_not(None), and_(cls.leave_date.is_not(None), cls.leave_date <= today)
        )


def local_today(now: datetime, timezone: str) -> date:
    """The date at `now` in a space's time zone: leave dates are days of the space."""
    return now.astimezone(ZoneInfo(timezone)).date()
