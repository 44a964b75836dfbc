"""Hours of efforts summed in SQL, exactly: `computed_fields.hours_logged` and the billing
summary use the same arithmetic, so they always agree.

SQLite stores NUMERIC as REAL, so summing `hours` there drifts (0.1 + 0.2). Each row is
turned into whole ten-thousandths of an hour first (hours have at most 4 decimals), and
integers add up exactly on every engine.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Numeric, and_, cast, func, literal_column, select
from sqlalchemy.sql.expression import type_coerce

from kanbert.efforts.models import Effort
from kanbert.efforts.resource import effort_visible
from kanbert.kit.context import Caller

TICKS_PER_HOUR = 10_000


def hour_ticks() -> ColumnElement[int]:
    """An effort's hours as an integer count of ten-thousandths (exact on every engine)."""
    return cast(func.round(Effort.hours * TICKS_PER_HOUR), BigInteger)


def as_hours(ticks: ColumnElement[Any]) -> ColumnElement[Any]:
    """A sum of ticks back in hours, read as a Decimal on every engine."""
    # `10000.0` written into the SQL: numeric on PostgreSQL (exact), real on SQLite (which
    # would divide two integers as integers); the 4-decimal Numeric result type rounds it back.
    hours = cast(ticks, Numeric(18, 4)) / literal_column("10000.0")
    return type_coerce(hours, Numeric(18, 4))


def hours_logged(link: ColumnElement[bool], caller: Caller) -> Any:
    """Hours of the efforts linked to the outer row (`link`, e.g.
    `Effort.project_id == Project.id`) that the caller sees, as a scalar sub-query."""
    visible = effort_visible(caller)
    condition = link if visible is None else and_(link, visible)
    return (
        select(as_hours(func.coalesce(func.sum(hour_ticks()), 0)))
        .where(condition)
        .scalar_subquery()
    )
