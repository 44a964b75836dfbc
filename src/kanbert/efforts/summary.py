"""`GET /efforts/summary`: hours for billing, grouped by 1 to 3 keys, in one aggregate query.

The rows are the list's rows: the same tenancy and visibility (`efforts.scoped`) and the same
filter grammar and fields (`compile_filter` with the list's `FilterSpec`). Sums are exact
(`computed.hour_ticks`); the records named by entity keys are then fetched in one batched
query per kind of key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi import Request
from sqlalchemy import ColumnElement, Integer, case, cast, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from kanbert.clients.models import Client
from kanbert.clients.resource import client_data, clients
from kanbert.efforts.computed import TICKS_PER_HOUR, hour_ticks
from kanbert.efforts.models import Effort, EffortType
from kanbert.efforts.resource import (
    effort_listing,
    effort_type_data,
    efforts,
    hours_number,
    task_reference,
)
from kanbert.kit.context import Caller
from kanbert.kit.errors import bad_request
from kanbert.kit.listing import compile_filter
from kanbert.kit.resource import extend_listing, prepare_rendering
from kanbert.projects.models import Project
from kanbert.projects.resource import project_data, project_visible, projects
from kanbert.tasks.models import Task
from kanbert.tasks.visibility import task_visible
from kanbert.users.models import User
from kanbert.users.resource import user_data

MAX_KEYS = 3

Render = Callable[[Any, Caller], dict[str, Any] | None]


@dataclass(frozen=True)
class EntityKey:
    """A key naming a record: grouped by the effort's column, rendered as the record."""

    column: Any
    model: Any
    render: Render
    options: Callable[[], Sequence[Any]] = lambda: ()
    # Records the caller may not see render as null, as in EffortData.
    visible: Callable[[Caller], Any] = lambda caller: None


ENTITY_KEYS: dict[str, EntityKey] = {
    "client": EntityKey(
        Effort.client_id,
        Client,
        lambda row, caller: client_data(row, caller),
        clients.eager,
        clients.visible,
    ),
    "project": EntityKey(
        Effort.project_id,
        Project,
        lambda row, caller: project_data(row, {}, caller),
        projects.eager,
        project_visible,
    ),
    "user": EntityKey(
        Effort.user_id,
        User,
        lambda row, _caller: user_data(row),
        lambda: (selectinload(User.space),),
    ),
    "effort_type": EntityKey(
        Effort.effort_type_id, EffortType, lambda row, _caller: effort_type_data(row)
    ),
    "task": EntityKey(
        Effort.task_id,
        Task,
        lambda row, _caller: task_reference(row),
        visible=task_visible,
    ),
}
PERIOD_KEYS = ("date", "week", "month")
KEYS = (*ENTITY_KEYS, *PERIOD_KEYS)


def parse_group_by(text: str | None) -> list[str]:
    """1 to 3 distinct keys, comma-separated; anything else is a 400 naming `group_by`."""
    allowed = ", ".join(KEYS)
    names = [part.strip() for part in (text or "").split(",")]
    if not text or not text.strip() or "" in names:
        raise bad_request("group_by", f"group_by needs 1 to {MAX_KEYS} keys of: {allowed}.")
    unknown = [name for name in names if name not in KEYS]
    if unknown:
        raise bad_request(
            "group_by", f"group_by has unknown key '{unknown[0]}'; allowed: {allowed}."
        )
    if len(set(names)) != len(names):
        raise bad_request("group_by", "group_by names a key more than once.")
    if len(names) > MAX_KEYS:
        raise bad_request("group_by", f"group_by takes at most {MAX_KEYS} keys.")
    return names


def _period(name: str, dialect: str) -> ColumnElement[Any]:
    """The effort's day, ISO week or month as text, per engine. Formats are written into the
    SQL (`literal_column`), not bound, so the grouped expression is the selected one."""
    if dialect == "postgresql":
        pattern = {"date": "'YYYY-MM-DD'", "week": "'IYYY-\"W\"IW'", "month": "'YYYY-MM'"}[name]
        return func.to_char(Effort.date, literal_column(pattern))
    if name == "week":
        # SQLite has no ISO week before 3.46: the ISO week-year and week are those of the
        # Thursday of the effort's week (the first Thursday on or after the day 3 days before).
        thursday = func.date(
            Effort.date, literal_column("'-3 days'"), literal_column("'weekday 4'")
        )
        day_of_year = cast(func.strftime(literal_column("'%j'"), thursday), Integer)
        return func.printf(
            literal_column("'%s-W%02d'"),
            func.strftime(literal_column("'%Y'"), thursday),
            (day_of_year + literal_column("6")) // literal_column("7"),
        )
    pattern = {"date": "'%Y-%m-%d'", "month": "'%Y-%m'"}[name]
    return func.strftime(literal_column(pattern), Effort.date)


def _key_column(name: str, dialect: str) -> ColumnElement[Any]:
    entity = ENTITY_KEYS.get(name)
    return entity.column if entity is not None else _period(name, dialect)


async def summarize(
    request: Request,
    session: AsyncSession,
    caller: Caller,
    group_by: str | None,
    filter_text: str | None,
) -> list[dict[str, Any]]:
    """The groups, ordered by their keys (nulls last), each with its exact totals."""
    names = parse_group_by(group_by)
    filters, _sorts = await extend_listing(effort_listing, session, caller)
    condition = compile_filter(request, caller, filters, filter_text)
    dialect = session.get_bind().dialect.name
    # Grouped and ordered by the labels, which both engines accept and which keeps each key
    # one expression; `k0`… cannot clash with a column name.
    labels = [f"k{position}" for position in range(len(names))]
    keys = [_key_column(n, dialect).label(label) for n, label in zip(names, labels, strict=True)]
    ticks = hour_ticks()
    query = (
        efforts.scoped(caller)
        .where(condition)
        .with_only_columns(
            *keys,
            func.sum(ticks).label("ticks"),
            func.sum(case((Effort.is_billable, ticks), else_=0)).label("billable_ticks"),
            func.count(Effort.id).label("efforts"),
            maintain_column_froms=True,
        )
        .group_by(*(literal_column(label) for label in labels))
        .order_by(*(literal_column(label).asc().nulls_last() for label in labels))
    )
    rows = (await session.execute(query)).all()
    records = await _records(session, caller, names, rows)
    return [_group(names, row, records, caller) for row in rows]


async def _records(
    session: AsyncSession, caller: Caller, names: list[str], rows: Sequence[Any]
) -> dict[str, dict[str, Any]]:
    """For each entity key, its records by id: one query per key."""
    found: dict[str, dict[str, Any]] = {}
    for position, name in enumerate(names):
        entity = ENTITY_KEYS.get(name)
        if entity is None:
            continue
        ids = {row[position] for row in rows if row[position] is not None}
        query = select(entity.model).where(entity.model.id.in_(ids)).options(*entity.options())
        rule = entity.visible(caller)
        if rule is not None:
            query = query.where(rule)
        found[name] = {record.id: record for record in await session.scalars(query)} if ids else {}
    if "project" in found:
        await prepare_rendering(projects, {}, session, caller)  # the projects' custom fields
    return found


def _group(
    names: list[str], row: Any, records: dict[str, dict[str, Any]], caller: Caller
) -> dict[str, Any]:
    group: dict[str, Any] = {}
    for position, name in enumerate(names):
        value = row[position]
        if name in ENTITY_KEYS:
            record = records[name].get(value) if value is not None else None
            group[name] = None if record is None else ENTITY_KEYS[name].render(record, caller)
        else:
            group[name] = value
    group["hours"] = _hours(row.ticks)
    group["billable_hours"] = _hours(row.billable_ticks)
    group["count"] = int(row.efforts)
    return group


def _hours(ticks: int | Decimal | None) -> int | float:
    return hours_number(Decimal(int(ticks or 0)) / TICKS_PER_HOUR)
