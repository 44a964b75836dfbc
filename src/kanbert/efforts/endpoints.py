"""HTTP edge of efforts, the billing summary and effort types: parse, authorise, call the
service, render. No logic of its own."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.routing import APIRoute

from kanbert.auth.deps import CurrentCaller, requires
from kanbert.db.session import Session
from kanbert.efforts import service
from kanbert.efforts.models import Effort
from kanbert.efforts.resource import (
    effort_data,
    effort_listing,
    effort_type_data,
    effort_type_listing,
    efforts,
)
from kanbert.efforts.schemas import (
    EffortCreate,
    EffortData,
    EffortFields,
    EffortSummary,
    EffortTypeBody,
    EffortTypeData,
)
from kanbert.efforts.summary import KEYS, MAX_KEYS, summarize
from kanbert.kit.context import Caller
from kanbert.kit.listing import describe_filters
from kanbert.kit.records import with_etag
from kanbert.kit.responses import JsonResponse
from kanbert.kit.routes import Shown, add_list_route, record_of, shown_record
from kanbert.kit.schemas import ERROR_RESPONSES
from kanbert.kit.settings import Setting, setting_router

READ = "efforts:read"
WRITE = "efforts:write"
SETTINGS = "settings:write"


class ExactNumbersRequest(Request):
    """A request whose JSON numbers are read as Decimal from their text, not through float:
    `hours` arrives with every digit sent, so 1.00000000000000001 is refused (more than 4
    decimals) instead of silently becoming 1."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = json.loads(await self.body(), parse_float=Decimal)
        return self._json


class ExactNumbersRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def exact(request: Request) -> Response:
            return await handler(ExactNumbersRequest(request.scope, request.receive))

        return exact


router = APIRouter(
    prefix="/efforts",
    tags=["efforts"],
    responses=ERROR_RESPONSES,
    route_class=ExactNumbersRoute,
)

EffortRecord = Annotated[Effort, record_of(efforts, "effort_id")]
ShownEffort = Annotated[Shown, shown_record(efforts, effort_listing, "effort_id")]


def _rendered(effort: Effort, caller: Caller, status: int = 200) -> JsonResponse:
    return with_etag(effort_data(effort, {}, caller), effort, status)


add_list_route(router, "", effort_listing, EffortData, "List efforts", READ)


# Declared before `/{effort_id}`, which would otherwise take "summary" for an id.
@router.get(
    "/summary",
    response_model=EffortSummary,
    summary="Sum efforts' hours for billing, grouped by 1 to 3 keys",
    **requires(READ),
)
async def effort_summary(
    request: Request,
    caller: CurrentCaller,
    session: Session,
    group_by: Annotated[
        str | None,
        Query(
            description=f"Comma-separated, 1 to {MAX_KEYS} of: {', '.join(KEYS)}.",
        ),
    ] = None,
    filter: Annotated[
        str | None,
        Query(
            description="JSON or string DSL, as for `GET /efforts`. Fields: "
            + describe_filters(effort_listing)
        ),
    ] = None,
) -> JsonResponse:
    """Totals of the efforts the list would show for the same `filter`: `hours`,
    `billable_hours` (exact decimals) and `count` per group. Groups are ordered by their keys
    (record ids; dates, ISO weeks and months chronologically), a group without a record (such
    as admin efforts grouped by client) last."""
    groups = await summarize(request, session, caller, group_by, filter)
    return JsonResponse({"data": groups})


@router.post(
    "", status_code=201, response_model=EffortData, summary="Log an effort", **requires(WRITE)
)
async def create_effort(
    body: EffortCreate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _rendered(await service.create_effort(session, caller, body), caller, 201)


@router.get("/{effort_id}", response_model=EffortData, summary="Show an effort", **requires(READ))
async def show_effort(shown: ShownEffort, caller: CurrentCaller) -> JsonResponse:
    return _rendered(shown.record, caller)


@router.patch(
    "/{effort_id}", response_model=EffortData, summary="Update an effort", **requires(WRITE)
)
async def update_effort(
    effort: EffortRecord, body: EffortFields, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _rendered(await service.update_effort(session, caller, effort, body), caller)


@router.delete(
    "/{effort_id}", status_code=204, summary="Delete an effort for good", **requires(WRITE)
)
async def delete_effort(effort: EffortRecord, caller: CurrentCaller, session: Session) -> Response:
    await service.delete_effort(session, caller, effort)
    return Response(status_code=204)


# -- effort types ----------------------------------------------------------------------------

EFFORT_TYPES = Setting(
    path="/effort-types",
    noun="effort type",
    tag="efforts",
    listing=effort_type_listing,
    render=effort_type_data,
    data=EffortTypeData,
    create_body=EffortTypeBody,
    update_body=EffortTypeBody,
    fields=("title",),
    deleted_note="its efforts keep existing without one",
)

routers: tuple[APIRouter, ...] = (router, setting_router(EFFORT_TYPES))
