"""Route registration shared by every resource, so a list endpoint is one declaration."""

# No `from __future__ import annotations`: FastAPI evaluates the endpoint annotations here.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from kanbert.auth.deps import CurrentCaller, requires
from kanbert.db.session import Session
from kanbert.kit.listing import ListParams, list_params, run_list
from kanbert.kit.resource import Listing
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
