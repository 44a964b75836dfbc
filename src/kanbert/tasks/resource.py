"""Tasks and priority options declared once: rendering, visibility, includes and the list."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from kanbert.clients.models import Client
from kanbert.clients.resource import client_data, clients
from kanbert.companies.resource import embedded
from kanbert.custom_fields import values
from kanbert.custom_fields.models import EntityType
from kanbert.files.render import file_data
from kanbert.kit.context import Caller
from kanbert.kit.query.fields import (
    Field,
    FilterSpec,
    Kind,
    Mode,
    RelatedRows,
    Relation,
    archived_mode,
)
from kanbert.kit.query.values import ValueContext
from kanbert.kit.resource import (
    Extension,
    Include,
    IncludeTree,
    Listing,
    Resource,
    by_column,
    by_external_id,
    by_lowercase,
    table_listing,
)
from kanbert.kit.timefmt import format_date, format_datetime
from kanbert.phases.models import Milestone, Phase
from kanbert.phases.render import epic_data, milestone_data, phase_data
from kanbert.projects.models import Project, ProjectStatus
from kanbert.projects.resource import in_visible_project, projects
from kanbert.tasks.models import PriorityOption, Task, TaskStatus, task_watchers
from kanbert.tasks.visibility import is_limited, task_visible, tasks_of
from kanbert.users.models import User
from kanbert.users.resource import LIMITED_TYPES, space_of_users, user_data, with_space

STATUS_CHOICES = tuple(status.value for status in TaskStatus)

# -- rendering ------------------------------------------------------------------------------


def priority_option_data(row: PriorityOption | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"id": row.id, "title": row.title, "color": row.color, "order": row.order}


def _hours(value: Decimal | None) -> float | int | None:
    """A JSON number: whole hours stay integers, others become floats (2 decimals)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def task_data(task: Task, tree: IncludeTree, caller: Caller) -> dict[str, Any]:
    """TaskData (resources.md §6); includes are added only when asked for."""
    data: dict[str, Any] = {
        "id": task.id,
        "project_id": task.project_id,
        "client_id": task.client_id,
        "parent_task_id": task.parent_task_id,
        "external_id": task.external_id,
        "external_origin": task.external_origin,
        "uri": task.uri,
        "title": task.title,
        "description": task.description,
        "status": task.status.value,
        "type": task.type,
        "estimated_hours": _hours(task.estimated_hours),
        "is_onhold": task.is_onhold,
        "is_public": task.is_public,
        "due_date": format_date(task.due_date),
        "due_date_settings": task.due_date_settings,
        "assignee": user_data(task.assignee),
        "priorityOption": priority_option_data(task.priority_option),
        "phase": phase_data(task.phase),
        "milestone": milestone_data(task.milestone),
        "epic": epic_data(task.epic),
        "attachements": [file_data(file) for file in task.attachements],
        "completed_at": format_datetime(task.completed_at),
        "closed_at": format_datetime(task.closed_at),
        "updated_at": format_datetime(task.updated_at),
        "created_at": format_datetime(task.created_at),
        "list_sorting": task.list_sorting,
        "custom_fields": values.render(task.custom_fields, EntityType.task, caller),
        "deleted_at": format_datetime(task.deleted_at),
    }
    if "project" in tree:
        data["project"] = projects.render(task.project, tree["project"], caller)
    if "client" in tree:
        data["client"] = client_data(task.client, caller)
    if "watchers" in tree:
        data["watchers"] = embedded(tasks, "watchers", task.watchers, tree, caller)
    if "parent_task" in tree:
        parent = task.parent_task
        data["parent_task"] = (
            None if parent is None else task_data(parent, tree["parent_task"], caller)
        )
    if "sub_tasks" in tree:
        data["sub_tasks"] = embedded(tasks, "sub_tasks", task.sub_tasks, tree, caller)
    return data


def _user(user: User, _tree: IncludeTree, _caller: Caller) -> dict[str, Any]:
    rendered = user_data(user)
    assert rendered is not None
    return rendered


def _client(client: Client, _tree: IncludeTree, caller: Caller) -> dict[str, Any]:
    return client_data(client, caller)


# Targets of includes that only embed.
_users = Resource(name="users", model=User, render=_user, eager=lambda: (space_of_users(),))
_clients = Resource(name="clients", model=Client, render=_client, eager=clients.eager)


def _only_self(caller: Caller) -> ColumnElement[bool]:
    # Guests and tax advisors see no user records but their own (auth.md §4), also here.
    return User.id == caller.user_id if caller.user_type in LIMITED_TYPES else true()


def _parent_visible(caller: Caller) -> ColumnElement[bool]:
    own = Task.space_id == caller.space_id
    visible = task_visible(caller)
    return own if visible is None else and_(own, visible)


def _tasks() -> Resource:
    # Tasks include tasks (parent and sub-tasks): the target is looked up once defined.
    return tasks


def _eager() -> tuple[Any, ...]:
    # Joined, the attachments too: a task has few, and a statement of their own per level of
    # tasks (the page, parent tasks, sub-tasks) made S6 three statements longer
    # (bench/README.md). Top-level reads of resources call `.unique()` for it.
    return (
        with_space(Task.assignee),
        joinedload(Task.priority_option),
        joinedload(Task.phase).options(joinedload(Phase.phase_type), joinedload(Phase.group)),
        joinedload(Task.milestone).joinedload(Milestone.group),
        joinedload(Task.epic),
        joinedload(Task.attachements),
    )


tasks = Resource(
    name="tasks",
    model=Task,
    render=task_data,
    eager=_eager,
    includes={
        "project": Include(attribute=lambda: Task.project, target=lambda: projects),
        "client": Include(attribute=lambda: Task.client, target=lambda: _clients),
        "watchers": Include(
            attribute=lambda: Task.watchers, target=lambda: _users, where=_only_self
        ),
        "parent_task": Include(
            attribute=lambda: Task.parent_task, target=_tasks, where=_parent_visible
        ),
        "sub_tasks": Include(attribute=lambda: Task.sub_tasks, target=_tasks, where=tasks_of),
    },
    visible=task_visible,
    lookups={
        "id": by_column(Task.id),
        "external_id": by_external_id(Task),
        "uri": by_lowercase(Task.uri),
    },
    prepare=(values.prepare(EntityType.task),),
)

# -- the list -------------------------------------------------------------------------------


def _project_column(column: str) -> Any:
    table = Project.__table__
    return lambda: select(table.c[column]).where(table.c.id == Task.project_id).scalar_subquery()


def _client_column(column: str) -> Any:
    table = Client.__table__
    return lambda: select(table.c[column]).where(table.c.id == Task.client_id).scalar_subquery()


def _assignee_email() -> Any:
    table = User.__table__
    return select(table.c.email).where(table.c.id == Task.assignee_id).scalar_subquery()


def _watcher_rows(caller: Caller | None = None) -> RelatedRows:
    """Watchers as the filter sees them: for guests and tax advisors only themselves (they see
    no other user records, so a filter must not probe others' ids or e-mails)."""
    people = User.__table__
    link = task_watchers.c.task_id == Task.id
    if caller is not None and is_limited(caller):
        link = and_(link, task_watchers.c.user_id == caller.user_id)
    return RelatedRows(
        source=task_watchers.join(people, people.c.id == task_watchers.c.user_id),
        link=link,
        fields={
            "id": Field(Kind.id, people.c.id),
            "email": Field(Kind.string, people.c.email),
        },
    )


def _visible_sub_tasks(sub: Any, caller: Caller) -> ColumnElement[bool]:
    """`task_visible` restated for an alias of the tasks table (it is written on `Task`)."""
    seen = and_(sub.c.space_id == caller.space_id, sub.c.deleted_at.is_(None))
    in_seen_project = in_visible_project(sub.c.project_id, caller)
    if in_seen_project is not None:
        seen = and_(seen, in_seen_project)
    if is_limited(caller):
        seen = and_(seen, sub.c.is_public.is_(True))
    return seen


async def sub_task_filters(_session: AsyncSession, caller: Caller) -> Extension:
    """The `sub_tasks` and `watchers` relation filters; per caller, since a sub-task the caller
    may not see (or an archived one) and a user they may not see must not match."""

    def rows() -> RelatedRows:
        sub = Task.__table__.alias("sub_task")
        return RelatedRows(
            source=sub,
            link=and_(sub.c.parent_task_id == Task.id, _visible_sub_tasks(sub, caller)),
            fields={
                "status": Field(Kind.enum, sub.c.status, choices=STATUS_CHOICES),
                "title": Field(Kind.string, sub.c.title),
                "assignee.id": Field(Kind.id, sub.c.assignee_id, nullable=True),
            },
        )

    relation = Relation(related=rows, field_names=("status", "title", "assignee.id"))
    watchers = Relation(related=lambda: _watcher_rows(caller), field_names=("id", "email"))
    # Relations are merged from extensions as from the listing's own filters.
    return Extension(filters={"sub_tasks": relation, "watchers": watchers})


def _sub_tasks_in_list(value: str, _ctx: ValueContext) -> ColumnElement[bool] | None:
    if value == "only":
        return Task.parent_task_id.is_not(None)
    if value == "without":
        return Task.parent_task_id.is_(None)
    return None


_title = Field(Kind.string, Task.title)
_uri = Field(Kind.string, Task.uri)
_status = Field(Kind.enum, Task.status, choices=STATUS_CHOICES)
# (D) Sorting by status follows the workflow (Backlog … Closed), not the alphabet.
_status_order = Field(
    Kind.number,
    lambda: case({status: rank for rank, status in enumerate(TaskStatus)}, value=Task.status),
)
_created_at = Field(Kind.datetime, Task.created_at)
_updated_at = Field(Kind.datetime, Task.updated_at)
_due_date = Field(Kind.date, Task.due_date, nullable=True)
_list_sorting = Field(Kind.number, Task.list_sorting)

task_listing = Listing(
    resource=tasks,
    key="tasks",
    filters=FilterSpec(
        fields={
            "title": _title,
            "uri": _uri,
            "due_date": _due_date,
            "status": _status,
            "project.id": Field(Kind.id, Task.project_id),
            "project.external_id": Field(
                Kind.string, _project_column("external_id"), nullable=True
            ),
            "project.shortcode": Field(Kind.string, _project_column("shortcode")),
            "project.name": Field(Kind.string, _project_column("title")),
            "project.status": Field(
                Kind.enum,
                _project_column("status"),
                choices=tuple(status.value for status in ProjectStatus),
            ),
            "client.id": Field(Kind.id, Task.client_id),
            "client.external_id": Field(Kind.string, _client_column("external_id"), nullable=True),
            "client.name": Field(Kind.string, _client_column("name")),
            "client.shortcode": Field(Kind.string, _client_column("shortcode"), nullable=True),
            "assignee.id": Field(Kind.id, Task.assignee_id, nullable=True),
            "assignee.email": Field(Kind.string, _assignee_email, nullable=True),
            "type": Field(Kind.string, Task.type),
            "external_id": Field(Kind.string, Task.external_id, nullable=True),
            "is_onhold": Field(Kind.boolean, Task.is_onhold),
            "is_public": Field(Kind.boolean, Task.is_public),
            "estimated_hours": Field(Kind.number, Task.estimated_hours, nullable=True),
            "priority_option.id": Field(Kind.id, Task.priority_option_id, nullable=True),
            "phase.id": Field(Kind.id, Task.phase_id, nullable=True),
            "milestone.id": Field(Kind.id, Task.milestone_id, nullable=True),
            "epic.id": Field(Kind.id, Task.epic_id, nullable=True),
            "parent_task.id": Field(Kind.id, Task.parent_task_id, nullable=True),
            "created_at": _created_at,
            "updated_at": _updated_at,
            "completed_at": Field(Kind.datetime, Task.completed_at, nullable=True),
            "closed_at": Field(Kind.datetime, Task.closed_at, nullable=True),
            # Replaced per request by `sub_task_filters` (caller-aware); declared for the docs.
            "watchers": Relation(related=_watcher_rows, field_names=("id", "email")),
        },
        modes={
            "archived": archived_mode(Task.deleted_at),
            "sub_tasks_in_list": Mode(
                values=("with", "only", "without"), default="with", apply=_sub_tasks_in_list
            ),
        },
    ),
    sorts={
        "title": _title,
        "uri": _uri,
        "status": _status_order,
        "updated_at": _updated_at,
        "created_at": _created_at,
        "due_date": _due_date,
        "list_sorting": _list_sorting,
    },
    # (D) Board order: list_sorting, then id (the pipeline adds id as the tie-breaker).
    default_sort=("list_sorting",),
    includes=("project", "watchers", "client", "parent_task", "sub_tasks"),
    extensions=(
        values.listing_extension(EntityType.task, Task.custom_fields),
        sub_task_filters,
    ),
)

# -- priority options -----------------------------------------------------------------------


_option_title = Field(Kind.string, PriorityOption.title)
_option_order = Field(Kind.number, PriorityOption.order)
priority_option_listing = table_listing(
    "priority-options",
    PriorityOption,
    priority_option_data,
    filters={"title": _option_title},
    sorts={"order": _option_order, "title": _option_title},
    default_sort=("order", "title"),
)
