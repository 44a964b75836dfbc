"""HTTP edge of user groups: parse, authorise, call the service, render. No logic of its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from kanbert.auth.deps import CurrentCaller, requires
from kanbert.db.session import Session
from kanbert.kit.context import Caller
from kanbert.kit.listing import ListParams, list_params, parse_includes, run_list
from kanbert.kit.records import FindBy, Origin, check_if_match, get_one, with_etag
from kanbert.kit.resource import IncludeTree
from kanbert.kit.responses import JsonResponse
from kanbert.kit.schemas import ERROR_RESPONSES, Page
from kanbert.user_groups import service
from kanbert.user_groups.models import UserGroup
from kanbert.user_groups.resource import user_group_data, user_group_listing, user_groups
from kanbert.user_groups.schemas import UserGroupCreate, UsergroupData, UserGroupUpdate
from kanbert.users.models import User
from kanbert.users.resource import users

router = APIRouter(prefix="/user-group", tags=["user groups"], responses=ERROR_RESPONSES)

ShowInclude = Annotated[
    str | None,
    Query(description="Comma-separated relations. Allowed: users.", max_length=255),
]
WITH_USERS: IncludeTree = {"users": {}}


async def _group(
    session: Session,
    caller: Caller,
    group_id: str,
    find_by: str,
    origin: str | None,
    request: Request | None = None,
    tree: IncludeTree | None = None,
) -> UserGroup:
    group: UserGroup = await get_one(session, caller, user_groups, group_id, find_by, origin, tree)
    if request is not None:
        check_if_match(request, group)
    return group


async def _member(session: Session, caller: Caller, user_id: str) -> User:
    """A user of the caller's space, by id; any other (or another space's) is a 404."""
    user: User = await get_one(session, caller, users, user_id)
    return user


def _render(
    group: UserGroup, caller: Caller, tree: IncludeTree | None = None, status: int = 200
) -> JsonResponse:
    return with_etag(user_group_data(group, tree or {}, caller), group, status)


@router.get(
    "",
    response_model=Page[UsergroupData],
    summary="List user groups",
    **requires("user_group:read"),
)
async def list_groups(
    request: Request,
    caller: CurrentCaller,
    session: Session,
    params: Annotated[ListParams, Depends(list_params(user_group_listing))],
) -> JsonResponse:
    return await run_list(request, session, caller, user_group_listing, params)


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
async def show_group(
    group_id: str,
    caller: CurrentCaller,
    session: Session,
    find_by: FindBy = "id",
    origin: Origin = None,
    include: ShowInclude = None,
) -> JsonResponse:
    tree = parse_includes(include, user_group_listing)
    group = await _group(session, caller, group_id, find_by, origin, tree=tree)
    return _render(group, caller, tree)


@router.patch(
    "/{group_id}",
    response_model=UsergroupData,
    summary="Update a user group",
    **requires("user_group:write"),
)
async def update_group(
    group_id: str,
    body: UserGroupUpdate,
    request: Request,
    caller: CurrentCaller,
    session: Session,
    find_by: FindBy = "id",
    origin: Origin = None,
) -> JsonResponse:
    group = await _group(session, caller, group_id, find_by, origin, request)
    return _render(await service.update_group(session, caller, group, body), caller)


@router.delete(
    "/{group_id}",
    status_code=204,
    summary="Delete a user group",
    **requires("user_group:write"),
)
async def delete_group(
    group_id: str,
    request: Request,
    caller: CurrentCaller,
    session: Session,
    find_by: FindBy = "id",
    origin: Origin = None,
) -> Response:
    group = await _group(session, caller, group_id, find_by, origin, request)
    await service.delete_group(session, caller, group)
    return Response(status_code=204)


@router.put(
    "/{group_id}/users/{user_id}",
    response_model=UsergroupData,
    summary="Add a user to a group",
    **requires("user_group:write"),
)
async def add_member(
    group_id: str,
    user_id: str,
    request: Request,
    caller: CurrentCaller,
    session: Session,
    find_by: FindBy = "id",
    origin: Origin = None,
) -> JsonResponse:
    group = await _group(session, caller, group_id, find_by, origin, request)
    await service.add_member(session, caller, group, await _member(session, caller, user_id))
    # Read back with its members, through the same rules as `include=users`.
    group = await _group(session, caller, group.id, "id", None, tree=WITH_USERS)
    return _render(group, caller, WITH_USERS)


@router.delete(
    "/{group_id}/users/{user_id}",
    status_code=204,
    summary="Remove a user from a group",
    **requires("user_group:write"),
)
async def remove_member(
    group_id: str,
    user_id: str,
    request: Request,
    caller: CurrentCaller,
    session: Session,
    find_by: FindBy = "id",
    origin: Origin = None,
) -> Response:
    group = await _group(session, caller, group_id, find_by, origin, request)
    await service.remove_member(session, caller, group, await _member(session, caller, user_id))
    return Response(status_code=204)
