"""A project's structure: phases, milestones and epics, with per-space phase types and groups."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kanbert.db.base import Base, SpaceOwned, Timestamped, WithTotals, id_column


class PhaseType(SpaceOwned, Timestamped, Base):
    __tablename__ = "phase_types"
    __table_args__ = (Index("ix_phase_types_space_title", "space_id", "title", "id"),)

    id: Mapped[str] = id_column()
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    color: Mapped[str | None] = mapped_column(String(32), nullable=True)


class PhaseGroup(SpaceOwned, Timestamped, Base):
    __tablename__ = "phase_groups"
    __table_args__ = (Index("ix_phase_groups_space_title", "space_id", "title", "id"),)

    id: Mapped[str] = id_column()
    title: Mapped[str] = mapped_column(String(255), nullable=False)


class Phase(WithTotals, SpaceOwned, Timestamped, Base):
    """A span of a project. Deleting its type or group leaves it without one (SET NULL);
    deleting a phase or milestone it depends on clears the dependency (SET NULL)."""

    __tablename__ = "phases"
    __table_args__ = (Index("ix_phases_project_start", "project_id", "start_date", "id"),)

    id: Mapped[str] = id_column()
    project_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    )
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    po_number: Mapped[str | None] = mapped_column(String(255), nullable=True)
    phase_type_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("phase_types.id", ondelete="SET NULL"), nullable=True, index=True
    )
    group_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("phase_groups.id", ondelete="SET NULL"), nullable=True, index=True
    )
    start_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    end_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    dependency_phase_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("phases.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # `use_alter`: phases and milestones point at each other; PostgreSQL gets this constraint
    # after both tables exist (see migration 0008).
    dependency_milestone_id: Mapped[str | None] = mapped_column(
        String(32),
        ForeignKey(
            "milestones.id",
            ondelete="SET NULL",
            use_alter=True,
            name="fk_phases_dependency_milestone_id_milestones",
        ),
        nullable=True,
        index=True,
    )

    phase_type: Mapped[PhaseType | None] = relationship(lazy="raise")
    group: Mapped[PhaseGroup | None] = relationship(lazy="raise")


class Milestone(WithTotals, SpaceOwned, Timestamped, Base):
    __tablename__ = "milestones"
    __table_args__ = (Index("ix_milestones_project_date", "project_id", "date", "id"),)

    id: Mapped[str] = id_column()
    project_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    )
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    po_number: Mapped[str | None] = mapped_column(String(255), nullable=True)
    group_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("phase_groups.id", ondelete="SET NULL"), nullable=True, index=True
    )
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    dependency_phase_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("phases.id", ondelete="SET NULL"), nullable=True, index=True
    )
    dependency_milestone_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("milestones.id", ondelete="SET NULL"), nullable=True, index=True
    )

    group: Mapped[PhaseGroup | None] = relationship(lazy="raise")


class Epic(WithTotals, SpaceOwned, Timestamped, Base):
    __tablename__ = "epics"
    __table_args__ = (Index("ix_epics_project_title", "project_id", "title", "id"),)

    id: Mapped[str] = id_column()
    project_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    )
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    po_number: Mapped[str | None] = mapped_column(String(255), nullable=True)
