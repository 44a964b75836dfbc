"""HTTP edge of users: parse, authorise, call the service, render. No logic of its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from kanbert.auth.deps import CurrentCaller, requires
from kanbert.db.session import Session
from kanbert.files.schemas import AvatarUpdate
from kanbert.kit.context import Caller
from kanbert.kit.records import with_etag
from kanbert.kit.resource import IncludeTree
from kanbert.kit.responses import JsonResponse
from kanbert.kit.routes import Shown, add_list_route, record_of, shown_record
from kanbert.kit.schemas import ERROR_RESPONSES
from kanbert.users import service
from kanbert.users.models import User
from kanbert.users.resource import (
    user_data,
    user_full_data,
    user_listing,
    users,
)
from kanbert.users.schemas import UserCreate, UserData, UserFullData, UserListData, UserUpdate

router = APIRouter(tags=["users"], responses=ERROR_RESPONSES)

UserRecord = Annotated[User, record_of(users, "user_id")]
ShownUser = Annotated[Shown, shown_record(users, user_listing, "user_id")]


def _full(
    user: User, caller: Caller, tree: IncludeTree | None = None, status: int = 200
) -> JsonResponse:
    return with_etag(user_full_data(user, tree or {}, caller), user, status)


@router.get("/whoami", response_model=UserData, summary="The user the token acts for")
async def whoami(caller: CurrentCaller) -> JsonResponse:
    return JsonResponse(user_data(caller.user))


add_list_route(router, "/users", user_listing, UserListData, "List users")


@router.post(
    "/users",
    status_code=201,
    response_model=UserFullData,
    summary="Create a user",
    **requires("user:write"),
)
async def create_user(body: UserCreate, caller: CurrentCaller, session: Session) -> JsonResponse:
    return _full(await service.create_user(session, caller, body), caller, status=201)


@router.get("/users/{user_id}", response_model=UserFullData, summary="Show a user")
async def show_user(shown: ShownUser, caller: CurrentCaller) -> JsonResponse:
    return _full(shown.record, caller, shown.tree)


@router.patch(
    "/users/{user_id}",
    response_model=UserFullData,
    summary="Update a user",
    **requires("user:write"),
)
async def update_user(
    user: UserRecord, body: UserUpdate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _full(await service.update_user(session, caller, user, body), caller)


@router.delete(
    "/users/{user_id}", status_code=204, summary="Archive a user", **requires("user:write")
)
async def archive_user(user: UserRecord, caller: CurrentCaller, session: Session) -> Response:
    await service.archive_user(session, caller, user)
    return Response(status_code=204)


@router.post(
    "/users/{user_id}/restore",
    response_model=UserFullData,
    summary="Restore a user",
    **requires("user:write"),
)
async def restore_user(user: UserRecord, caller: CurrentCaller, session: Session) -> JsonResponse:
    return _full(await service.restore_user(session, caller, user), caller)


@router.put(
    "/users/{user_id}/avatar",
    response_model=UserFullData,
    summary="Set a user's avatar",
    **requires("user:write"),
)
async def set_avatar(
    user: UserRecord, body: AvatarUpdate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _full(await service.set_avatar(session, caller, user, body.file_id), caller)


@router.delete(
    "/users/{user_id}/avatar",
    response_model=UserFullData,
    summary="Remove a user's avatar",
    **requires("user:write"),
)
async def clear_avatar(user: UserRecord, caller: CurrentCaller, session: Session) -> JsonResponse:
    return _full(await service.set_avatar(session, caller, user, None), caller)
