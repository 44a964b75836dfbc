"""`computed_fields` of projects, phases, milestones and epics: task totals computed in SQL.

Each value is a scalar sub-query over the tasks linked to the outer row (`link`, e.g.
`Task.project_id == Project.id`) that the caller sees and that are not archived, so a guest's
totals count only what the guest may see.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select

from kanbert.kit.context import Caller
from kanbert.tasks.models import Task, TaskStatus
from kanbert.tasks.visibility import task_visible

OPEN_STATUSES = (TaskStatus.Backlog, TaskStatus.New, TaskStatus.WIP)


def _counted(link: ColumnElement[bool], caller: Caller) -> ColumnElement[bool]:
    visible = task_visible(caller)
    live = and_(link, Task.deleted_at.is_(None))
    return live if visible is None else and_(live, visible)


def tasks_total(link: ColumnElement[bool], caller: Caller) -> Any:
    return select(func.count(Task.id)).where(_counted(link, caller)).scalar_subquery()


def tasks_open(link: ColumnElement[bool], caller: Caller) -> Any:
    condition = and_(_counted(link, caller), Task.status.in_(OPEN_STATUSES))
    return select(func.count(Task.id)).where(condition).scalar_subquery()


def hours_estimated(link: ColumnElement[bool], caller: Caller) -> Any:
    # Rounded to the stored precision in SQL: SQLite sums floats (0.1 + 0.2 =
    # 0.30000000000000004), a cursor keeps the shown 0.30, and rows tied on such a total never
    # equalled it: ascending pages repeated them forever.
    total = func.round(func.coalesce(func.sum(Task.estimated_hours), 0), 2)
    return select(total).where(_counted(link, caller)).scalar_subquery()


def as_number(value: Decimal | int | None) -> float | int:
    """Totals as JSON numbers: counts stay integers, hours become floats (2 decimals)."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    return float(round(Decimal(value), 2))
