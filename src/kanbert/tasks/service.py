"""Task, watcher and priority option writes. Endpoints call these; the request's transaction
commits them. Task writes return the task read back as rendered.

Decisions where the spec is silent (D):
- Status: entering Completed or Approved keeps an existing `completed_at` or sets it now (so
  Approved straight from an open status counts as completed now) and clears `closed_at`;
  entering Closed sets `closed_at` and keeps `completed_at` (a task may be closed without
  ever being completed); Backlog, New and WIP clear both.
- A new parent must be a task of the same project that is not archived (sending back the
  stored parent is always fine).
- A task created without `list_sorting` goes after the last task of its status in its project.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.comments.models import Comment
from kanbert.companies import common
from kanbert.custom_fields.models import EntityType
from kanbert.efforts.models import Effort
from kanbert.files.cleanup import drop_files_of
from kanbert.kit.context import Caller
from kanbert.kit.errors import forbidden, invalid_field, not_found
from kanbert.kit.html import sanitize_html
from kanbert.kit.records import refuse_nulls
from kanbert.kit.resource import IncludeTree
from kanbert.kit.settings import setting_of_space
from kanbert.kit.timefmt import utcnow
from kanbert.phases.models import Epic, Milestone, Phase
from kanbert.projects.models import Project
from kanbert.projects.service import active_project, lock_project
from kanbert.tasks.computed import OPEN_STATUSES as OPEN
from kanbert.tasks.models import PriorityOption, Task, TaskStatus, task_watchers
from kanbert.tasks.resource import tasks
from kanbert.tasks.schemas import (
    TaskCreate,
    TaskFields,
)
from kanbert.tasks.visibility import is_limited
from kanbert.tasks.watchers import add_watchers
from kanbert.users.service import active_user_types
from kanbert.webhooks.capture import Action, deleting, notice

DONE = (TaskStatus.Completed, TaskStatus.Approved)
WITH_WATCHERS: IncludeTree = {"watchers": {}}
MAX_SETTINGS_BYTES = 4096
MAX_SETTINGS_DEPTH = 32
MAX_SORTING = 2**31 - 1
HUNDREDTH = Decimal("0.01")

_PLAIN = ("title", "type", "estimated_hours", "is_onhold", "is_public", "due_date", "list_sorting")
# Columns a PATCH may not clear: TaskData renders them as non-null.
_NOT_NULL = (
    "title",
    "project_id",
    "status",
    "type",
    "is_onhold",
    "is_public",
    "list_sorting",
    "due_date_settings",
)
# Structure rows that belong to one project: (body field, model, noun).
_STRUCTURE = (
    ("phase_id", Phase, "phase"),
    ("milestone_id", Milestone, "milestone"),
    ("epic_id", Epic, "epic"),
)


def ensure_may_write(caller: Caller) -> None:
    """Guests and tax advisors read tasks only (auth.md §4)."""
    if is_limited(caller):
        raise forbidden("Your user type may not change tasks.")


# -- tasks ----------------------------------------------------------------------------------


async def create_task(session: AsyncSession, caller: Caller, body: TaskCreate) -> Task:
    ensure_may_write(caller)
    project = await active_project(session, caller, body.project_id)
    await lock_project(session, project.id)
    task = Task(
        space_id=caller.space_id,
        project_id=project.id,
        client_id=project.client_id,
        created_by_id=caller.user_id,
        status=TaskStatus.New,
        type="task",
        is_onhold=False,
        is_public=True,
        custom_fields={},
        due_date_settings={},
    )
    await _apply(session, caller, task, body, creating=True)
    await _inherit_privacy(session, task, body)
    _enter_status(task, body.status or TaskStatus.New, caller)
    if body.list_sorting is None:
        task.list_sorting = await _next_sorting(session, task)
    await _number(session, task, project)
    session.add(task)
    await common.flush(session)
    if body.watcher_ids:
        await _set_watchers(session, task, body.watcher_ids)
    return await _reloaded(session, caller, task)


async def update_task(session: AsyncSession, caller: Caller, task: Task, body: TaskFields) -> Task:
    ensure_may_write(caller)
    given = body.model_fields_set
    refuse_nulls(body, _NOT_NULL)
    if given & {"parent_task_id", "is_public", "project_id"}:
        await lock_project(session, task.project_id)
    if body.project_id is not None and body.project_id != task.project_id:
        await _move(session, caller, task, body)
    await _apply(session, caller, task, body, creating=False)
    await _inherit_privacy(session, task, body)
    if body.status is not None and body.status != task.status:
        _enter_status(task, body.status, caller)
    if body.watcher_ids is not None:
        await _set_watchers(session, task, body.watcher_ids)
    common.touch(task)
    await common.flush(session)
    return await _reloaded(session, caller, task)


async def archive_task(session: AsyncSession, caller: Caller, task: Task) -> None:
    """Archive the task and its live descendants with one timestamp, so a restore can tell
    which were archived with it."""
    ensure_may_write(caller)
    if task.deleted_at is not None:
        return
    family = [task.id, *await descendant_ids(session, [task.id])]
    archived = await session.execute(
        update(Task)
        .where(Task.id.in_(family), Task.deleted_at.is_(None))
        .values(deleted_at=caller.now)
        .returning(Task.id)
        .execution_options(synchronize_session=False)
    )
    for archived_id in archived.scalars():
        if archived_id != task.id:  # the ORM sees the parent's own change only
            notice(session, "task", archived_id, Action.delete)
    task.deleted_at = caller.now
    await common.flush(session)


async def restore_task(session: AsyncSession, caller: Caller, task: Task) -> Task:
    """Restore the task and the descendants archived together with it (same timestamp);
    sub-tasks archived on their own before stay archived."""
    ensure_may_write(caller)
    archived_at = task.deleted_at
    if archived_at is not None:
        family = await descendant_ids(session, [task.id])
        restored = await session.execute(
            update(Task)
            .where(Task.id.in_(family), Task.deleted_at == archived_at)
            .values(deleted_at=None)
            .returning(Task.id)
            .execution_options(synchronize_session=False)
        )
        for restored_id in restored.scalars():  # the ORM sees the parent's change only
            notice(session, "task", restored_id, Action.restore)
        await common.restore(session, task)
    return await _reloaded(session, caller, task)


async def force_delete_task(session: AsyncSession, caller: Caller, task: Task) -> list[str]:
    """Delete the task for good with its sub-tasks and comments (ON DELETE CASCADE) and the
    file rows of all of them; returns the ids of the files whose bytes are to go."""
    ensure_may_write(caller)
    # Collected before the delete: afterwards the cascade has removed the rows that say whose.
    family = [task.id, *await descendant_ids(session, [task.id])]
    comment_ids = list(
        (await session.scalars(select(Comment.id).where(Comment.task_id.in_(family)))).all()
    )
    await deleting(session, "task", family)
    await deleting(session, "comment", comment_ids)
    files = await drop_files_of(session, caller.space_id, "task", family)
    if comment_ids:
        files += await drop_files_of(session, caller.space_id, "comment", comment_ids)
    await session.execute(
        delete(Task).where(Task.id == task.id).execution_options(synchronize_session=False)
    )
    session.expunge(task)
    await common.flush(session)
    return files


async def add_watcher(session: AsyncSession, caller: Caller, task: Task, user_id: str) -> Task:
    ensure_may_write(caller)
    await active_user_types(session, caller, [user_id], "user_id")
    await add_watchers(session, task.id, [user_id])
    common.touch(task)
    await common.flush(session)
    return await _reloaded(session, caller, task, WITH_WATCHERS)


async def remove_watcher(session: AsyncSession, caller: Caller, task: Task, user_id: str) -> None:
    ensure_may_write(caller)
    removed = await session.execute(
        delete(task_watchers).where(
            task_watchers.c.task_id == task.id, task_watchers.c.user_id == user_id
        )
    )
    if not getattr(removed, "rowcount", 0):
        raise not_found()
    common.touch(task)
    await common.flush(session)


async def descendant_ids(session: AsyncSession, root_ids: Sequence[str]) -> list[str]:
    """Every task below the given ones (archived or not), level by level, parents first."""
    found: list[str] = []
    seen = set(root_ids)
    level = list(root_ids)
    while level:
        children = await session.scalars(select(Task.id).where(Task.parent_task_id.in_(level)))
        # `seen` ends the walk even on a cycle left by data written before parents were locked.
        level = [task_id for task_id in children.all() if task_id not in seen]
        seen.update(level)
        found.extend(level)
    return found


# -- rules ----------------------------------------------------------------------------------


async def _apply(
    session: AsyncSession, caller: Caller, task: Task, body: TaskFields, creating: bool
) -> None:
    """Validate the body and set the task's columns (watchers are written after the flush)."""
    given = body.model_fields_set
    common.assign_plain(task, body, _PLAIN)
    if "description" in given:
        task.description = sanitize_html(body.description)
    if body.estimated_hours is not None:
        # The column keeps 2 decimals; round here so both engines store the same value.
        task.estimated_hours = body.estimated_hours.quantize(HUNDREDTH, ROUND_HALF_UP)
    if body.due_date_settings is not None:
        task.due_date_settings = _due_date_settings(body.due_date_settings)
    if "parent_task_id" in given:
        await _assign_parent(session, caller, task, body.parent_task_id)
    if "assignee_id" in given and body.assignee_id != task.assignee_id:
        if body.assignee_id is not None:
            await active_user_types(session, caller, [body.assignee_id], "assignee_id")
        task.assignee_id = body.assignee_id
    if "priority_option_id" in given:
        task.priority_option_id = await setting_of_space(
            session, caller, PriorityOption, body.priority_option_id,
            "priority_option_id", "priority option",
        )  # fmt: skip
    for field, model, noun in _STRUCTURE:
        if field in given:
            await _assign_structure(session, task, field, model, getattr(body, field), noun)
    await common.assign_external(session, caller, task, body)
    await common.assign_custom_fields(
        session, caller, EntityType.task, task, body.custom_fields, creating
    )
    # Validated before anything is written, so a bad id leaves the task untouched.
    if body.watcher_ids:
        await active_user_types(session, caller, body.watcher_ids, "watcher_ids")


async def _inherit_privacy(session: AsyncSession, task: Task, body: TaskFields) -> None:
    """A sub-task is never more public than its parent (D).

    Guests see only public tasks; were a public sub-task allowed under a non-public parent,
    its `parent_task_id` (and the `parent_task.id` filter) would reveal the hidden parent. So a
    sub-task under a non-public parent becomes non-public (422 if the body asks for public),
    and making a task non-public makes its descendants non-public too.
    """
    if task.parent_task_id is not None and task.is_public:
        parent_public = await session.scalar(
            select(Task.is_public).where(Task.id == task.parent_task_id)
        )
        if parent_public is False:
            if "is_public" in body.model_fields_set:
                raise invalid_field(
                    "is_public", "A sub-task of a non-public task cannot be public."
                )
            task.is_public = False
    if not task.is_public and task.id is not None:
        family = await descendant_ids(session, [task.id])
        if family:
            await session.execute(
                update(Task)
                .where(Task.id.in_(family), Task.is_public.is_(True))
                .values(is_public=False, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )


def _enter_status(task: Task, status: TaskStatus, caller: Caller) -> None:
    task.status = status
    if status in OPEN:
        task.completed_at = None
        task.closed_at = None
    elif status in DONE:
        task.completed_at = task.completed_at or caller.now
        task.closed_at = None
    else:
        task.closed_at = caller.now


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def _due_date_settings(settings: dict[str, Any]) -> dict[str, Any]:
    if _depth(settings) > MAX_SETTINGS_DEPTH:
        raise invalid_field(
            "due_date_settings",
            f"The due date settings may nest at most {MAX_SETTINGS_DEPTH} levels deep.",
        )
    size = len(json.dumps(settings, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_SETTINGS_BYTES:
        raise invalid_field(
            "due_date_settings",
            f"The due date settings may take at most {MAX_SETTINGS_BYTES} bytes as JSON.",
        )
    return settings


async def _number(session: AsyncSession, task: Task, project: Project) -> None:
    """The next number of the project, taken in this transaction: the UPDATE holds the
    project row's write lock until the commit, so concurrent creates wait, and numbers are
    never handed out twice (the counter never goes down)."""
    await session.execute(
        update(Project)
        .where(Project.id == project.id)
        # Numbering is not a change of the project: keep its `updated_at` (and ETag).
        .values(last_task_number=Project.last_task_number + 1, updated_at=Project.updated_at)
        .execution_options(synchronize_session=False)
    )
    number = await session.scalar(select(Project.last_task_number).where(Project.id == project.id))
    assert number is not None
    task.number = number
    task.uri = f"{project.shortcode}-{number}"


async def _next_sorting(session: AsyncSession, task: Task) -> int:
    last = await session.scalar(
        select(func.max(Task.list_sorting)).where(
            Task.project_id == task.project_id, Task.status == task.status
        )
    )
    # Stays a 32-bit integer (the column's range on PostgreSQL) even after a client parked a
    # task at the very end.
    return 0 if last is None else min(int(last) + 1, MAX_SORTING)


async def _assign_parent(
    session: AsyncSession, caller: Caller, task: Task, parent_id: str | None
) -> None:
    """A parent of the same project, neither the task itself nor one of its descendants."""
    if parent_id is not None and parent_id != task.parent_task_id:
        parent = await session.scalar(
            select(Task).where(
                Task.id == parent_id,
                Task.space_id == caller.space_id,
                Task.project_id == task.project_id,
                Task.deleted_at.is_(None),
            )
        )
        if parent is None:
            raise invalid_field(
                "parent_task_id", "The parent task must be a task of the same project."
            )
        if task.id is not None and (
            parent_id == task.id or parent_id in await descendant_ids(session, [task.id])
        ):
            raise invalid_field(
                "parent_task_id", "A task cannot be its own parent or a parent of its parent."
            )
    task.parent_task_id = parent_id


async def _assign_structure(
    session: AsyncSession,
    task: Task,
    field: str,
    model: type[Phase] | type[Milestone] | type[Epic],
    value: str | None,
    noun: str,
) -> None:
    """A phase, milestone or epic of the task's project (they are deleted, never archived)."""
    if value is not None:
        found = await session.scalar(
            select(model.id).where(model.id == value, model.project_id == task.project_id)
        )
        if found is None:
            raise invalid_field(field, f"The selected {noun} does not belong to the project.")
    setattr(task, field, value)


async def _set_watchers(session: AsyncSession, task: Task, user_ids: Sequence[str]) -> None:
    await session.execute(
        delete(task_watchers).where(
            task_watchers.c.task_id == task.id, task_watchers.c.user_id.not_in(user_ids)
        )
    )
    await add_watchers(session, task.id, user_ids)


async def _move(session: AsyncSession, caller: Caller, task: Task, body: TaskFields) -> None:
    """Move the task and all its descendants to another project: new numbers and uris from
    that project, its client, and no phase, milestone or epic of the old one. A sub-task
    moved without its parent is detached unless the body names a parent in the new project."""
    project = await active_project(session, caller, body.project_id)
    family = await descendant_ids(session, [task.id])
    moved = list((await session.scalars(select(Task).where(Task.id.in_(family)))).all())
    # Parents first (descendant_ids order), then by their old number: a stable new numbering.
    order = {task_id: index for index, task_id in enumerate(family)}
    for row in [task, *sorted(moved, key=lambda r: (order[r.id], r.number))]:
        row.project_id = project.id
        row.client_id = project.client_id
        row.phase_id = row.milestone_id = row.epic_id = None
        await _number(session, row, project)
        common.touch(row)
    # Detached here; a parent named in the body is then checked against the new project.
    task.parent_task_id = None
    # Efforts stay with the project they were logged on: they let go of the moved tasks,
    # which now belong to another project (perhaps one their readers cannot see).
    await session.execute(
        update(Effort)
        .where(Effort.task_id.in_([task.id, *family]))
        .values(task_id=None, updated_at=caller.now)
        .execution_options(synchronize_session=False)
    )
    await common.flush(session)


async def _reloaded(
    session: AsyncSession, caller: Caller, task: Task, tree: IncludeTree | None = None
) -> Task:
    reloaded: Task = await common.reloaded(session, caller, tasks, task.id, tree)
    return reloaded


# -- priority options -----------------------------------------------------------------------
