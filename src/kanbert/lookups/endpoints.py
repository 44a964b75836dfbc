"""HTTP edge of the lookups: the country list, and one router per per-space lookup kind."""

# No `from __future__ import annotations`: the routes built inside `lookup_router` annotate
# their body with the kind's own class, which FastAPI must read as an object, not a string.

from typing import Annotated

from fastapi import APIRouter, Response

from kanbert.auth.deps import CurrentCaller, requires
from kanbert.db.session import Session
from kanbert.kit.records import with_etag
from kanbert.kit.responses import JsonResponse
from kanbert.kit.routes import add_list_route, record_of
from kanbert.kit.schemas import ERROR_RESPONSES
from kanbert.lookups import service
from kanbert.lookups.models import LookupRow
from kanbert.lookups.resource import LOOKUP_KINDS, LookupKind, country_listing
from kanbert.lookups.schemas import CountryData

WRITE_SCOPE = "settings:write"

countries_router = APIRouter(prefix="/countries", tags=["lookups"], responses=ERROR_RESPONSES)


add_list_route(countries_router, "", country_listing, CountryData, "List countries")


def lookup_router(kind: LookupKind) -> APIRouter:
    """`GET|POST /<kind>` and `PATCH|DELETE /<kind>/{id}` for one per-space lookup kind."""
    spec = kind.spec
    body_class = spec.body
    name = spec.table
    router = APIRouter(prefix=f"/{spec.path}", tags=["lookups"], responses=ERROR_RESPONSES)

    def rendered(row: LookupRow, status: int = 200) -> JsonResponse:
        body = kind.data(row)
        assert body is not None
        return with_etag(body, row, status)

    # The row is resolved as a dependency: a row the caller cannot see is a 404 before the
    # body is validated, as on every other route.
    Row = Annotated[LookupRow, record_of(kind.resource, "row_id")]

    add_list_route(router, "", kind.listing, spec.data, f"List {spec.noun}s")

    @router.post(
        "",
        status_code=201,
        response_model=spec.data,
        summary=f"Create a {spec.noun}",
        name=f"create_{name}",
        **requires(WRITE_SCOPE),
    )
    async def create_row(
        body: body_class,  # type: ignore[valid-type]  # per-kind class, read by FastAPI
        caller: CurrentCaller,
        session: Session,
    ) -> JsonResponse:
        return rendered(await service.create_lookup(session, caller, kind, body), 201)

    @router.patch(
        "/{row_id}",
        response_model=spec.data,
        summary=f"Rename a {spec.noun}",
        name=f"update_{name}",
        **requires(WRITE_SCOPE),
    )
    async def update_row(
        row: Row,
        body: body_class,  # type: ignore[valid-type]  # per-kind class, read by FastAPI
        session: Session,
    ) -> JsonResponse:
        return rendered(await service.update_lookup(session, kind, row, body))

    @router.delete(
        "/{row_id}",
        status_code=204,
        summary=f"Delete a {spec.noun} for good",
        name=f"delete_{name}",
        **requires(WRITE_SCOPE),
    )
    async def delete_row(row: Row, session: Session) -> Response:
        await service.delete_lookup(session, row)
        return Response(status_code=204)

    return router


routers: tuple[APIRouter, ...] = (
    countries_router,
    *(lookup_router(kind) for kind in LOOKUP_KINDS),
)
