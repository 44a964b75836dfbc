"""Time tracking: efforts (hours a user spent, on a project or on administration) and the
space's effort types."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kanbert.clients.models import Client
from kanbert.db.base import Base, ExternallyIdentified, SpaceOwned, Timestamped, id_column
from kanbert.phases.models import Epic, Phase
from kanbert.projects.models import Project
from kanbert.tasks.models import Task
from kanbert.users.models import User, enum_column


class EffortKind(enum.StrEnum):
    admin = "admin"
    project = "project"


class EffortType(SpaceOwned, Timestamped, Base):
    __tablename__ = "effort_types"
    __table_args__ = (Index("ix_effort_types_space_title", "space_id", "title", "id"),)

    id: Mapped[str] = id_column()
    title: Mapped[str] = mapped_column(String(255), nullable=False)


class Effort(SpaceOwned, ExternallyIdentified, Timestamped, Base):
    """Deleted for good, never archived. `hours` is an exact decimal (4 places) so sums for
    billing carry no float drift."""

    __tablename__ = "efforts"
    __table_args__ = (
        Index("uq_efforts_external", "space_id", "external_origin", "external_id", unique=True),
        Index("ix_efforts_space_date", "space_id", "date", "id"),
        Index("ix_efforts_space_created_at", "space_id", "created_at", "id"),
        Index("ix_efforts_space_user_date", "space_id", "user_id", "date"),
        Index("ix_efforts_project_date", "project_id", "date"),
    )

    id: Mapped[str] = id_column()
    type: Mapped[EffortKind] = mapped_column(enum_column(EffortKind, "effort_kind"), nullable=False)
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    hours: Mapped[Decimal] = mapped_column(Numeric(8, 4), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    is_billable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # CASCADE: efforts belong to their user and project; deleting either for good takes them.
    user_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    project_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("projects.id", ondelete="CASCADE"), nullable=True
    )
    # Always the project's client (null for admin efforts); stored so client filters and the
    # billing summary need no join.
    client_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("clients.id"), nullable=True, index=True
    )
    # SET NULL: deleting a task, phase or epic clears it on efforts (resources.md §5).
    task_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("tasks.id", ondelete="SET NULL"), nullable=True, index=True
    )
    phase_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("phases.id", ondelete="SET NULL"), nullable=True, index=True
    )
    epic_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("epics.id", ondelete="SET NULL"), nullable=True, index=True
    )
    effort_type_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("effort_types.id", ondelete="SET NULL"), nullable=True, index=True
    )

    user: Mapped[User] = relationship(lazy="raise")
    project: Mapped[Project | None] = relationship(lazy="raise")
    client: Mapped[Client | None] = relationship(lazy="raise")
    task: Mapped[Task | None] = relationship(lazy="raise")
    phase: Mapped[Phase | None] = relationship(lazy="raise")
    epic: Mapped[Epic | None] = relationship(lazy="raise")
    effort_type: Mapped[EffortType | None] = relationship(lazy="raise")
