"""PhaseData, MilestoneData, EpicData and their types and groups, as every resource renders
them (a task's `phase`, `milestone` and `epic` are these)."""

from __future__ import annotations

from typing import Any

from kanbert.kit.timefmt import format_date, format_datetime
from kanbert.phases.models import Epic, Milestone, Phase, PhaseGroup, PhaseType


def phase_type_data(row: PhaseType | None) -> dict[str, Any] | None:
    return None if row is None else {"id": row.id, "title": row.title, "color": row.color}


def phase_group_data(row: PhaseGroup | None) -> dict[str, Any] | None:
    return None if row is None else {"id": row.id, "title": row.title}


def phase_data(row: Phase | None) -> dict[str, Any] | None:
    """Needs `phase_type` and `group` loaded."""
    if row is None:
        return None
    return {
        "id": row.id,
        "title": row.title,
        "po_number": row.po_number,
        "phase_type": phase_type_data(row.phase_type),
        "group": phase_group_data(row.group),
        "start_date": format_date(row.start_date),
        "end_date": format_date(row.end_date),
        "dependency_phase_id": row.dependency_phase_id,
        "dependency_milestone_id": row.dependency_milestone_id,
        "project_id": row.project_id,
        "created_at": format_datetime(row.created_at),
    }


def milestone_data(row: Milestone | None) -> dict[str, Any] | None:
    """Needs `group` loaded."""
    if row is None:
        return None
    return {
        "id": row.id,
        "title": row.title,
        "po_number": row.po_number,
        "group": phase_group_data(row.group),
        "dependency_phase_id": row.dependency_phase_id,
        "dependency_milestone_id": row.dependency_milestone_id,
        "date": format_date(row.date),
        "created_at": format_datetime(row.created_at),
    }


def epic_data(row: Epic | None) -> dict[str, Any] | None:
    return None if row is None else {"id": row.id, "title": row.title, "po_number": row.po_number}
