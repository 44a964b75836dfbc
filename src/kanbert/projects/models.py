"""Projects, their types and portfolios, team members, guests and tags."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    inspect,
    text,
)
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from kanbert.clients.models import Client
from kanbert.db.base import (
    Archivable,
    Base,
    ExternallyIdentified,
    SpaceOwned,
    Timestamped,
    UTCDateTime,
    WithTotals,
    id_column,
)
from kanbert.kit.timefmt import utcnow
from kanbert.lookups.models import LookupRow, Tag
from kanbert.users.models import User, enum_column


class ProjectStatus(enum.StrEnum):
    running = "running"
    closed = "closed"


class ProjectType(SpaceOwned, Timestamped, Base):
    __tablename__ = "project_types"
    __table_args__ = (Index("ix_project_types_space_order", "space_id", "order", "id"),)

    id: Mapped[str] = id_column()
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    shortcode: Mapped[str | None] = mapped_column(String(64), nullable=True)
    color: Mapped[str | None] = mapped_column(String(32), nullable=True)
    order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class Portfolio(SpaceOwned, Timestamped, Base):
    """A project group (`project_group` in ProjectData)."""

    __tablename__ = "portfolios"
    __table_args__ = (Index("ix_portfolios_space_title", "space_id", "title", "id"),)

    id: Mapped[str] = id_column()
    title: Mapped[str] = mapped_column(String(255), nullable=False)

    projects: Mapped[list[Project]] = relationship(
        back_populates="project_group",
        lazy="raise",
        order_by=lambda: (Project.title, Project.id),
        passive_deletes=True,  # ON DELETE SET NULL clears the projects' reference
    )


project_tags = Table(
    "project_tags",
    Base.metadata,
    Column(
        "project_id", String(32), ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "tag_id",
        String(32),
        ForeignKey("tags.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class ProjectGuest(Base):
    __tablename__ = "project_guests"

    project_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ProjectMember(Base):
    """A user on a project's team, since `added_at`."""

    __tablename__ = "project_members"

    project_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    user: Mapped[User] = relationship(lazy="raise")


class Project(SpaceOwned, ExternallyIdentified, Timestamped, Archivable, WithTotals, Base):
    __tablename__ = "projects"
    __table_args__ = (
        Index("uq_projects_space_shortcode", "space_id", text("lower(shortcode)"), unique=True),
        Index("uq_projects_external", "space_id", "external_origin", "external_id", unique=True),
        Index("ix_projects_space_title", "space_id", "title", "id"),
        Index("ix_projects_space_shortcode_sort", "space_id", "shortcode", "id"),
        Index("ix_projects_space_created_at", "space_id", "created_at", "id"),
        Index("ix_projects_space_updated_at", "space_id", "updated_at", "id"),
    )

    id: Mapped[str] = id_column()
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    shortcode: Mapped[str] = mapped_column(String(64), nullable=False)
    po_number: Mapped[str | None] = mapped_column(String(255), nullable=True)
    project_type_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("project_types.id", ondelete="SET NULL"), nullable=True, index=True
    )
    project_group_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("portfolios.id", ondelete="SET NULL"), nullable=True, index=True
    )
    status: Mapped[ProjectStatus] = mapped_column(
        enum_column(ProjectStatus, "project_status"), nullable=False, default=ProjectStatus.running
    )
    is_acquisition: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_private: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # RESTRICT: a client is not deleted for good while projects reference it (409).
    client_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("clients.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    created_by_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # The number of the project's latest task (`uri` PROJ-<n>); only ever counts up.
    last_task_number: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )

    project_type: Mapped[ProjectType | None] = relationship(lazy="raise")
    project_group: Mapped[Portfolio | None] = relationship(back_populates="projects", lazy="raise")
    # Clients know nothing of projects; their `projects` relation is declared from here.
    # `passive_deletes="all"` leaves a client's deletion to the database, whose RESTRICT
    # refuses it while projects exist, instead of the ORM nulling the projects' client.
    client: Mapped[Client] = relationship(
        lazy="raise",
        backref=backref(
            "projects",
            lazy="raise",
            passive_deletes="all",
            order_by=lambda: (Project.title, Project.id),
        ),
    )
    created_by: Mapped[User | None] = relationship(lazy="raise")
    members: Mapped[list[ProjectMember]] = relationship(
        lazy="raise",
        order_by=lambda: (ProjectMember.added_at, ProjectMember.user_id),
        passive_deletes=True,
    )
    guests: Mapped[list[User]] = relationship(
        secondary=ProjectGuest.__table__,
        lazy="raise",
        order_by=lambda: (User.email, User.id),
        viewonly=True,  # written through ProjectGuest rows
    )
    tags: Mapped[list[LookupRow]] = relationship(
        Tag,
        secondary=project_tags,
        order_by=lambda: (Tag.__table__.c.title, Tag.__table__.c.id),
        lazy="raise",
        viewonly=True,  # written through `project_tags` rows
    )


def client_projects() -> Any:
    """`Client.projects`, which exists once the mappers are configured (inspect does that)."""
    return inspect(Client).relationships["projects"].class_attribute
