"""HTTP edge of tasks, their watchers and priority options: parse, authorise, call the
service, render. No logic of its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from kanbert.auth.deps import CurrentCaller, requires
from kanbert.db.session import Session
from kanbert.files.cleanup import LeftoverFiles
from kanbert.kit.context import Caller
from kanbert.kit.records import with_etag
from kanbert.kit.resource import IncludeTree
from kanbert.kit.responses import JsonResponse
from kanbert.kit.routes import Shown, add_list_route, record_of, shown_record
from kanbert.kit.schemas import ERROR_RESPONSES
from kanbert.kit.settings import Setting, setting_router
from kanbert.tasks import service
from kanbert.tasks.models import Task
from kanbert.tasks.resource import (
    priority_option_data,
    priority_option_listing,
    task_data,
    task_listing,
    tasks,
)
from kanbert.tasks.schemas import (
    PriorityOptionCreate,
    PriorityOptionData,
    PriorityOptionUpdate,
    TaskCreate,
    TaskData,
    TaskFields,
)

READ = "task-management:read"
WRITE = "task-management:write"
SETTINGS = "settings:write"

router = APIRouter(prefix="/tasks", tags=["tasks"], responses=ERROR_RESPONSES)

TaskRecord = Annotated[Task, record_of(tasks, "task_id")]
ShownTask = Annotated[Shown, shown_record(tasks, task_listing, "task_id")]


def _rendered(
    task: Task, caller: Caller, status: int = 200, tree: IncludeTree | None = None
) -> JsonResponse:
    return with_etag(task_data(task, tree or {}, caller), task, status)


add_list_route(router, "", task_listing, TaskData, "List tasks", READ)


@router.post(
    "", status_code=201, response_model=TaskData, summary="Create a task", **requires(WRITE)
)
async def create_task(body: TaskCreate, caller: CurrentCaller, session: Session) -> JsonResponse:
    return _rendered(await service.create_task(session, caller, body), caller, 201)


@router.get("/{task_id}", response_model=TaskData, summary="Show a task", **requires(READ))
async def show_task(shown: ShownTask, caller: CurrentCaller) -> JsonResponse:
    return _rendered(shown.record, caller, tree=shown.tree)


@router.patch(
    "/{task_id}",
    response_model=TaskData,
    summary="Update or move a task",
    **requires(WRITE),
)
async def update_task(
    task: TaskRecord, body: TaskFields, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _rendered(await service.update_task(session, caller, task, body), caller)


@router.delete(
    "/{task_id}",
    status_code=204,
    summary="Archive a task with its sub-tasks",
    **requires(WRITE),
)
async def archive_task(task: TaskRecord, caller: CurrentCaller, session: Session) -> Response:
    await service.archive_task(session, caller, task)
    return Response(status_code=204)


@router.post(
    "/{task_id}/restore",
    response_model=TaskData,
    summary="Restore a task with the sub-tasks archived with it",
    **requires(WRITE),
)
async def restore_task(task: TaskRecord, caller: CurrentCaller, session: Session) -> JsonResponse:
    return _rendered(await service.restore_task(session, caller, task), caller)


@router.delete(
    "/{task_id}/force",
    status_code=204,
    summary="Delete a task for good with its sub-tasks, comments and files",
    **requires(WRITE),
)
async def force_delete_task(
    task: TaskRecord, caller: CurrentCaller, session: Session, leftovers: LeftoverFiles
) -> Response:
    leftovers.remove(await service.force_delete_task(session, caller, task))
    return Response(status_code=204)


@router.put(
    "/{task_id}/watchers/{user_id}",
    response_model=TaskData,
    summary="Add a watcher (the task is returned with its watchers)",
    **requires(WRITE),
)
async def add_watcher(
    task: TaskRecord, user_id: str, caller: CurrentCaller, session: Session
) -> JsonResponse:
    task = await service.add_watcher(session, caller, task, user_id)
    return _rendered(task, caller, tree=service.WITH_WATCHERS)


@router.delete(
    "/{task_id}/watchers/{user_id}",
    status_code=204,
    summary="Remove a watcher",
    **requires(WRITE),
)
async def remove_watcher(
    task: TaskRecord, user_id: str, caller: CurrentCaller, session: Session
) -> Response:
    await service.remove_watcher(session, caller, task, user_id)
    return Response(status_code=204)


# -- priority options ------------------------------------------------------------------------

PRIORITY_OPTIONS = Setting(
    path="/priority-options",
    noun="priority option",
    tag="tasks",
    listing=priority_option_listing,
    render=priority_option_data,
    data=PriorityOptionData,
    create_body=PriorityOptionCreate,
    update_body=PriorityOptionUpdate,
    fields=("title", "color", "order"),
    required=("title", "order"),
    deleted_note="its tasks keep existing without one",
)

routers: tuple[APIRouter, ...] = (router, setting_router(PRIORITY_OPTIONS))
