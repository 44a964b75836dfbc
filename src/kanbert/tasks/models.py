"""Tasks, their watchers and the space's priority options."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    and_,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from kanbert.clients.models import Client
from kanbert.db.base import (
    Archivable,
    Base,
    ExternallyIdentified,
    SpaceOwned,
    Timestamped,
    UTCDateTime,
    id_column,
)
from kanbert.files.models import StoredFile
from kanbert.phases.models import Epic, Milestone, Phase
from kanbert.projects.models import Project
from kanbert.users.models import User, enum_column


class TaskStatus(enum.StrEnum):
    # Member names equal the values: the column stores names, the API speaks values.
    Backlog = "Backlog"
    New = "New"
    WIP = "WIP"
    Completed = "Completed"
    Approved = "Approved"
    Closed = "Closed"


class PriorityOption(SpaceOwned, Timestamped, Base):
    __tablename__ = "priority_options"
    __table_args__ = (Index("ix_priority_options_space_order", "space_id", "order", "id"),)

    id: Mapped[str] = id_column()
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    color: Mapped[str | None] = mapped_column(String(32), nullable=True)
    order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


task_watchers = Table(
    "task_watchers",
    Base.metadata,
    Column("task_id", String(32), ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "user_id",
        String(32),
        ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Task(SpaceOwned, ExternallyIdentified, Timestamped, Archivable, Base):
    """A task. `uri` is `<project shortcode>-<number>`; `number` comes from the project's
    `last_task_number`, so numbers are never handed out twice, even after deletions."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("uq_tasks_project_number", "project_id", "number", unique=True),
        Index("uq_tasks_external", "space_id", "external_origin", "external_id", unique=True),
        Index("ix_tasks_space_uri", "space_id", "uri", "id"),
        Index("ix_tasks_space_title", "space_id", "title", "id"),
        Index("ix_tasks_space_status", "space_id", "status", "id"),
        Index("ix_tasks_space_due_date", "space_id", "due_date", "id"),
        Index("ix_tasks_space_created_at", "space_id", "created_at", "id"),
        Index("ix_tasks_space_updated_at", "space_id", "updated_at", "id"),
        Index("ix_tasks_space_list_sorting", "space_id", "list_sorting", "id"),
        Index("ix_tasks_project_status_sorting", "project_id", "status", "list_sorting"),
    )

    id: Mapped[str] = id_column()
    # CASCADE: a project deleted for good takes its tasks (their files are removed by the
    # project's force-delete, which knows storage).
    project_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    )
    # Always the project's client; kept on the row so client filters need no join. Project
    # writes that change the client update their tasks.
    client_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("clients.id"), nullable=False, index=True
    )
    # CASCADE: deleting a task for good removes its sub-tasks.
    parent_task_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=True, index=True
    )
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    uri: Mapped[str] = mapped_column(String(80), nullable=False)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[TaskStatus] = mapped_column(
        enum_column(TaskStatus, "task_status"), nullable=False, default=TaskStatus.New
    )
    type: Mapped[str] = mapped_column(String(64), nullable=False, default="task")
    estimated_hours: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)
    is_onhold: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    due_date_settings: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    assignee_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    priority_option_id: Mapped[str | None] = mapped_column(
        String(32),
        ForeignKey("priority_options.id", ondelete="SET NULL"),
        nullable=True,
        index=True,
    )
    # SET NULL: deleting a phase, milestone or epic clears it on its tasks (resources.md §5).
    phase_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("phases.id", ondelete="SET NULL"), nullable=True, index=True
    )
    milestone_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("milestones.id", ondelete="SET NULL"), nullable=True, index=True
    )
    epic_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("epics.id", ondelete="SET NULL"), nullable=True, index=True
    )
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    list_sorting: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    created_by_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    project: Mapped[Project] = relationship(lazy="raise")
    # Read-only: `client_id` is written from the project, never through this relation.
    client: Mapped[Client] = relationship(lazy="raise", viewonly=True)
    assignee: Mapped[User | None] = relationship(lazy="raise", foreign_keys=[assignee_id])
    priority_option: Mapped[PriorityOption | None] = relationship(lazy="raise")
    phase: Mapped[Phase | None] = relationship(lazy="raise")
    milestone: Mapped[Milestone | None] = relationship(lazy="raise")
    epic: Mapped[Epic | None] = relationship(lazy="raise")
    parent_task: Mapped[Task | None] = relationship(
        lazy="raise", remote_side=lambda: Task.id, back_populates="sub_tasks"
    )
    sub_tasks: Mapped[list[Task]] = relationship(
        lazy="raise",
        back_populates="parent_task",
        order_by=lambda: (Task.list_sorting, Task.id),
        passive_deletes=True,
    )
    watchers: Mapped[list[User]] = relationship(
        secondary=task_watchers,
        lazy="raise",
        order_by=lambda: (User.email, User.id),
        viewonly=True,  # written through `task_watchers` rows
    )
    attachements: Mapped[list[StoredFile]] = relationship(
        primaryjoin=lambda: and_(
            foreign(StoredFile.entity_id) == Task.id, StoredFile.entity_type == "task"
        ),
        lazy="raise",
        order_by=lambda: (StoredFile.created_at, StoredFile.id),
        viewonly=True,
    )
