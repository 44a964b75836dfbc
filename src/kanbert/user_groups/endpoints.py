"""HTTP edge of user groups: parse, authorise, call the service, render. No logic of its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from kanbert.auth.deps import CurrentCaller, requires
from kanbert.db.session import Session
from kanbert.kit.context import Caller
from kanbert.kit.records import get_one, with_etag
from kanbert.kit.resource import IncludeTree
from kanbert.kit.responses import JsonResponse
from kanbert.kit.routes import Shown, add_list_route, record_of, shown_record
from kanbert.kit.schemas import ERROR_RESPONSES
from kanbert.user_groups import service
from kanbert.user_groups.models import UserGroup
from kanbert.user_groups.resource import user_group_data, user_group_listing, user_groups
from kanbert.user_groups.schemas import UserGroupCreate, UsergroupData, UserGroupUpdate
from kanbert.users.models import User
from kanbert.users.resource import users

router = APIRouter(prefix="/user-group", tags=["user groups"], responses=ERROR_RESPONSES)

GroupRecord = Annotated[UserGroup, record_of(user_groups, "group_id")]
ShownGroup = Annotated[Shown, shown_record(user_groups, user_group_listing, "group_id")]
WITH_USERS: IncludeTree = {"users": {}}


async def _member(session: Session, caller: Caller, user_id: str) -> User:
    """A user of the caller's space, by id; any other (or another space's) is a 404."""
    user: User = await get_one(session, caller, users, user_id)
    return user


def _render(
    group: UserGroup, caller: Caller, tree: IncludeTree | None = None, status: int = 200
) -> JsonResponse:
    return with_etag(user_group_data(group, tree or {}, caller), group, status)


add_list_route(router, "", user_group_listing, UsergroupData, "List user groups", "user_group:read")


@router.post(
    "",
    status_code=201,
    response_model=UsergroupData,
    summary="Create a user group",
    **requires("user_group:write"),
)
async def create_group(
    body: UserGroupCreate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _render(await service.create_group(session, caller, body), caller, status=201)


@router.get(
    "/{group_id}",
    response_model=UsergroupData,
    summary="Show a user group",
    **requires("user_group:read"),
)
async def show_group(shown: ShownGroup, caller: CurrentCaller) -> JsonResponse:
    return _render(shown.record, caller, shown.tree)


@router.patch(
    "/{group_id}",
    response_model=UsergroupData,
    summary="Update a user group",
    **requires("user_group:write"),
)
async def update_group(
    group: GroupRecord, body: UserGroupUpdate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _render(await service.update_group(session, caller, group, body), caller)


@router.delete(
    "/{group_id}",
    status_code=204,
    summary="Delete a user group",
    **requires("user_group:write"),
)
async def delete_group(group: GroupRecord, caller: CurrentCaller, session: Session) -> Response:
    await service.delete_group(session, caller, group)
    return Response(status_code=204)


@router.put(
    "/{group_id}/users/{user_id}",
    response_model=UsergroupData,
    summary="Add a user to a group",
    **requires("user_group:write"),
)
async def add_member(
    group: GroupRecord, user_id: str, caller: CurrentCaller, session: Session
) -> JsonResponse:
    await service.add_member(session, caller, group, await _member(session, caller, user_id))
    # Read back with its members, through the same rules as `include=users`.
    group = await get_one(session, caller, user_groups, group.id, tree=WITH_USERS)
    return _render(group, caller, WITH_USERS)


@router.delete(
    "/{group_id}/users/{user_id}",
    status_code=204,
    summary="Remove a user from a group",
    **requires("user_group:write"),
)
async def remove_member(
    group: GroupRecord, user_id: str, caller: CurrentCaller, session: Session
) -> Response:
    await service.remove_member(session, caller, group, await _member(session, caller, user_id))
    return Response(status_code=204)
