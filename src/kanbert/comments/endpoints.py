"""HTTP edge of comments: parse, authorise, call the service, render. No logic of its own.

Mounted before the tasks router, so `/tasks/comments/{id}` is matched before `/tasks/{id}`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from kanbert.auth.deps import CurrentCaller, requires
from kanbert.comments import service
from kanbert.comments.models import Comment
from kanbert.comments.resource import comment_data, comment_listing, comments
from kanbert.comments.schemas import CommentCreate, CommentData, CommentFields
from kanbert.db.session import Session
from kanbert.files.cleanup import LeftoverFiles
from kanbert.kit.context import Caller
from kanbert.kit.records import with_etag
from kanbert.kit.responses import JsonResponse
from kanbert.kit.routes import add_nested_list_route, record_of
from kanbert.kit.schemas import ERROR_RESPONSES
from kanbert.tasks.resource import tasks

READ = "task-management:read"
WRITE = "task-management:write"

router = APIRouter(prefix="/tasks", tags=["comments"], responses=ERROR_RESPONSES)

CommentRecord = Annotated[Comment, record_of(comments, "comment_id")]


def _rendered(comment: Comment, caller: Caller, status: int = 200) -> JsonResponse:
    return with_etag(comment_data(comment, {}, caller), comment, status)


@router.post(
    "/comments",
    status_code=201,
    response_model=CommentData,
    summary="Comment on a task, or reply to a comment",
    **requires(WRITE),
)
async def create_comment(
    body: CommentCreate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _rendered(await service.create_comment(session, caller, body), caller, 201)


@router.get(
    "/comments/{comment_id}",
    response_model=CommentData,
    summary="Show a comment with its replies",
    **requires(READ),
)
async def show_comment(comment: CommentRecord, caller: CurrentCaller) -> JsonResponse:
    return _rendered(comment, caller)


@router.patch(
    "/comments/{comment_id}",
    response_model=CommentData,
    summary="Change a comment (its author or an integration)",
    **requires(WRITE),
)
async def update_comment(
    comment: CommentRecord, body: CommentFields, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _rendered(await service.update_comment(session, caller, comment, body), caller)


@router.delete(
    "/comments/{comment_id}",
    status_code=204,
    summary="Delete a comment for good with its replies and files",
    **requires(WRITE),
)
async def delete_comment(
    comment: CommentRecord, caller: CurrentCaller, session: Session, leftovers: LeftoverFiles
) -> Response:
    leftovers.remove(await service.delete_comment(session, caller, comment))
    return Response(status_code=204)


add_nested_list_route(
    router,
    "/{task_id}/comments",
    comment_listing,
    tasks,
    "task_id",
    lambda task: Comment.task_id == task.id,
    CommentData,
    "List a task's comments with their replies, oldest first",
    READ,
)
