"""Efforts and effort types declared once: rendering, visibility, lookups and the lists."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import selectinload

from kanbert.clients.models import Client
from kanbert.clients.resource import client_data, clients
from kanbert.efforts.models import Effort, EffortKind, EffortType
from kanbert.kit.context import Caller
from kanbert.kit.query.fields import Field, FilterSpec, Kind
from kanbert.kit.resource import (
    IncludeTree,
    Listing,
    Resource,
    by_column,
    by_external_id,
    table_listing,
)
from kanbert.kit.timefmt import format_date, format_datetime
from kanbert.phases.models import Epic, Phase
from kanbert.phases.render import epic_data, phase_data
from kanbert.projects.models import Project
from kanbert.projects.resource import in_visible_project, project_data, project_visible, projects
from kanbert.tasks.models import Task
from kanbert.tasks.visibility import task_visible
from kanbert.users.models import User
from kanbert.users.resource import LIMITED_TYPES, user_data, with_space

EXTENDED_READ = "efforts:extended:read"

# -- visibility -----------------------------------------------------------------------------


def effort_visible(caller: Caller) -> ColumnElement[bool] | None:
    """resources.md §7, auth.md §4: `admin` efforts exist only for tokens with
    `efforts:extended:read`; owners and integrations see every effort of the space, users
    their own and those of projects they see, guests and tax advisors only their own."""
    rules: list[ColumnElement[bool]] = []
    if EXTENDED_READ not in caller.scopes:
        rules.append(Effort.type == EffortKind.project)
    if caller.user_type in LIMITED_TYPES:
        rules.append(Effort.user_id == caller.user_id)
    elif not caller.sees_everything:
        on_seen_project = in_visible_project(Effort.project_id, caller)
        assert on_seen_project is not None  # a plain user always has a project rule
        rules.append(or_(Effort.user_id == caller.user_id, on_seen_project))
    return and_(*rules) if rules else None


# -- rendering ------------------------------------------------------------------------------


def hours_number(value: Decimal) -> int | float:
    """Hours as a JSON number: whole hours as integers, others as the shortest float that
    reads back as the same (at most 4-decimal) value."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def effort_type_data(row: EffortType | None) -> dict[str, Any] | None:
    return None if row is None else {"id": row.id, "title": row.title}


def task_reference(task: Task | None) -> dict[str, Any] | None:
    return None if task is None else {"id": task.id, "title": task.title, "uri": task.uri}


def effort_data(effort: Effort, _tree: IncludeTree, caller: Caller) -> dict[str, Any]:
    """EffortData (resources.md §7); needs the resource's eager loads."""
    return {
        "id": effort.id,
        "external_id": effort.external_id,
        "external_origin": effort.external_origin,
        "type": effort.type.value,
        "date": format_date(effort.date),
        "hours": hours_number(effort.hours),
        "description": effort.description,
        "is_billable": effort.is_billable,
        "user": user_data(effort.user),
        "project": None if effort.project is None else project_data(effort.project, {}, caller),
        "client": None if effort.client is None else client_data(effort.client, caller),
        "task": task_reference(effort.task),
        "phase": phase_data(effort.phase),
        "epic": epic_data(effort.epic),
        "effort_type": effort_type_data(effort.effort_type),
        "created_at": format_datetime(effort.created_at),
        "updated_at": format_datetime(effort.updated_at),
    }


def _eager() -> tuple[Any, ...]:
    return (with_space(Effort.user), selectinload(Effort.effort_type))


def _seen(attribute: Any, rule: ColumnElement[bool] | None) -> Any:
    return selectinload(attribute if rule is None else attribute.and_(rule))


def _eager_for(caller: Caller) -> tuple[Any, ...]:
    """What an effort points at, loaded only where the caller may see it (else rendered null):
    a user's own effort stays theirs after they leave a private project, but the project, its
    client and its tasks do not become visible through it."""
    return (
        _seen(Effort.project, project_visible(caller)).options(*projects.eager()),
        _seen(Effort.client, clients.visible(caller)).options(*clients.eager()),
        _seen(Effort.task, task_visible(caller)),
        _seen(Effort.phase, in_visible_project(Phase.project_id, caller)).options(
            selectinload(Phase.phase_type), selectinload(Phase.group)
        ),
        _seen(Effort.epic, in_visible_project(Epic.project_id, caller)),
    )


efforts = Resource(
    name="efforts",
    model=Effort,
    render=effort_data,
    eager=_eager,
    eager_for=_eager_for,
    visible=effort_visible,
    lookups={"id": by_column(Effort.id), "external_id": by_external_id(Effort)},
    # ProjectData renders the project's custom fields: their definitions are loaded once.
    prepare=projects.prepare,
)

# -- the list -------------------------------------------------------------------------------


def _column_of(model: Any, column: str, link: Any) -> Callable[[], ColumnElement[Any]]:
    """A column of the row `link` points at, as a scalar sub-query (null when there is none)."""
    table = model.__table__
    return lambda: select(table.c[column]).where(table.c.id == link).scalar_subquery()


_date = Field(Kind.date, Effort.date)
_created_at = Field(Kind.datetime, Effort.created_at)
_hours = Field(Kind.number, Effort.hours)

effort_listing = Listing(
    resource=efforts,
    key="efforts",
    filters=FilterSpec(
        fields={
            "date": _date,
            "type": Field(Kind.enum, Effort.type, choices=tuple(k.value for k in EffortKind)),
            "project.id": Field(Kind.id, Effort.project_id, nullable=True),
            "project.external_id": Field(
                Kind.string, _column_of(Project, "external_id", Effort.project_id), nullable=True
            ),
            "project.shortcode": Field(
                Kind.string, _column_of(Project, "shortcode", Effort.project_id), nullable=True
            ),
            "project.name": Field(
                Kind.string, _column_of(Project, "title", Effort.project_id), nullable=True
            ),
            # The client is stored on the effort: no join through the project.
            "client.id": Field(Kind.id, Effort.client_id, nullable=True),
            "client.external_id": Field(
                Kind.string, _column_of(Client, "external_id", Effort.client_id), nullable=True
            ),
            "client.name": Field(
                Kind.string, _column_of(Client, "name", Effort.client_id), nullable=True
            ),
            "client.shortcode": Field(
                Kind.string, _column_of(Client, "shortcode", Effort.client_id), nullable=True
            ),
            "user.id": Field(Kind.id, Effort.user_id),
            "user.email": Field(Kind.string, _column_of(User, "email", Effort.user_id)),
            "epic.id": Field(Kind.id, Effort.epic_id, nullable=True),
            "task.id": Field(Kind.id, Effort.task_id, nullable=True),
            "phase.id": Field(Kind.id, Effort.phase_id, nullable=True),
            "effort_type.id": Field(Kind.id, Effort.effort_type_id, nullable=True),
            "is_billable": Field(Kind.boolean, Effort.is_billable),
            "hours": _hours,
            "created_at": _created_at,
        }
    ),
    sorts={"date": _date, "created_at": _created_at, "hours": _hours},
    default_sort=("date",),
)

# -- effort types ---------------------------------------------------------------------------


_type_title = Field(Kind.string, EffortType.title)
effort_type_listing = table_listing(
    "effort-types",
    EffortType,
    effort_type_data,
    filters={"title": _type_title},
    sorts={"title": _type_title},
    default_sort=("title",),
)
