"""Route registration shared by every resource, so a list endpoint is one declaration."""

# No `from __future__ import annotations`: FastAPI evaluates the endpoint annotations here.

import inspect
from collections.abc import Callable
from typing import Annotated, Any, NamedTuple

from fastapi import APIRouter, Depends, Query, Request

from kanbert.auth.deps import CurrentCaller, requires
from kanbert.db.session import Session
from kanbert.kit.listing import ListParams, Within, list_params, parse_includes, run_list
from kanbert.kit.records import FindBy, Origin, check_if_match, get_one
from kanbert.kit.resource import IncludeTree, Listing, Resource
from kanbert.kit.responses import JsonResponse
from kanbert.kit.schemas import Page


def add_list_route(
    router: APIRouter,
    path: str,
    listing: Listing,
    item_model: Any,
    summary: str,
    *scopes: str,
) -> None:
    """`GET path`: the listing through the shared pipeline, documented with its parameters."""
    params_dependency = list_params(listing)

    async def list_endpoint(
        request: Request,
        caller: CurrentCaller,
        session: Session,
        params: Annotated[ListParams, Depends(params_dependency)],
    ) -> JsonResponse:
        return await run_list(request, session, caller, listing, params)

    router.add_api_route(
        path,
        list_endpoint,
        methods=["GET"],
        response_model=Page[item_model],
        summary=summary,
        name=f"list_{listing.key.replace('.', '_').replace('-', '_')}",
        **requires(*scopes),
    )


def add_nested_list_route(
    router: APIRouter,
    path: str,
    listing: Listing,
    parent: Resource,
    parent_param: str,
    link: Callable[[Any], Any],
    item_model: Any,
    summary: str,
    *scopes: str,
) -> None:
    """`GET path` listing the rows under one parent record (`/projects/{project_id}/phases`).

    The parent is resolved like any single record (`find_by`, 404 when the caller may not see
    it); `link(parent)` is the condition joining the listing's rows to it.
    """
    params_dependency = list_params(listing)

    async def list_endpoint(
        request: Request,
        caller: CurrentCaller,
        session: Session,
        params: Annotated[ListParams, Depends(params_dependency)],
        record: Annotated[Any, record_of(parent, parent_param)],
    ) -> JsonResponse:
        within = Within(link(record), record.id)
        return await run_list(request, session, caller, listing, params, within)

    router.add_api_route(
        path,
        list_endpoint,
        methods=["GET"],
        response_model=Page[item_model],
        summary=summary,
        name=f"list_{listing.key.replace('.', '_').replace('-', '_')}",
        **requires(*scopes),
    )


READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def record_of(resource: Resource, path_param: str) -> Any:
    """A dependency giving the visible record named by the path parameter `path_param`.

    It reads `find_by`/`origin` like every single-resource route, answers 404 for records the
    caller may not see, and checks `If-Match` (412) on writes, so endpoints only declare it.
    """

    async def dependency(
        request: Request,
        caller: CurrentCaller,
        session: Session,
        find_by: FindBy = "id",
        origin: Origin = None,
        **path: str,
    ) -> Any:
        record = await get_one(session, caller, resource, path[path_param], find_by, origin)
        if request.method not in READ_ONLY_METHODS:
            check_if_match(request, record)
        return record

    _declare_path_parameter(dependency, path_param)
    return Depends(dependency)


class Shown(NamedTuple):
    record: Any
    tree: IncludeTree


def shown_record(resource: Resource, listing: Listing, path_param: str) -> Any:
    """Like `record_of`, for GET of one record: also reads `include` (the list's includes)
    and loads them in the same batched way, returning the record with its include tree."""
    allowed = ", ".join(listing.includes) or "(none)"

    async def dependency(
        caller: CurrentCaller,
        session: Session,
        find_by: FindBy = "id",
        origin: Origin = None,
        include: Annotated[
            str | None,
            Query(description=f"Comma-separated relations. Allowed: {allowed}.", max_length=255),
        ] = None,
        **path: str,
    ) -> Shown:
        tree = parse_includes(include, listing)
        record = await get_one(session, caller, resource, path[path_param], find_by, origin, tree)
        return Shown(record, tree)

    _declare_path_parameter(dependency, path_param)
    return Depends(dependency)


def _declare_path_parameter(dependency: Any, path_param: str) -> None:
    """FastAPI reads parameters from the signature: declare the path parameter by its name."""
    signature = inspect.signature(dependency)
    parameters = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    parameters.append(inspect.Parameter(path_param, inspect.Parameter.KEYWORD_ONLY, annotation=str))
    dependency.__signature__ = signature.replace(parameters=parameters)
