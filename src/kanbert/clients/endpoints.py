"""HTTP edge of clients: parse, authorise, call the service, render. No logic of its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from kanbert.auth.deps import CurrentCaller, requires
from kanbert.clients import service
from kanbert.clients.models import Client
from kanbert.clients.resource import (
    client_data,
    client_full_data,
    client_full_listing,
    client_listing,
    clients,
)
from kanbert.clients.schemas import (
    ClientCreate,
    ClientData,
    ClientFullData,
    ClientUpdate,
    ExternalIdentifierUpdate,
    ShareCreate,
    ShareData,
    ShortcodeUpdate,
)
from kanbert.db.session import Session
from kanbert.files.cleanup import LeftoverFiles
from kanbert.kit.context import Caller
from kanbert.kit.records import with_etag
from kanbert.kit.resource import IncludeTree
from kanbert.kit.responses import JsonResponse
from kanbert.kit.routes import Shown, add_list_route, record_of, shown_record
from kanbert.kit.schemas import ERROR_RESPONSES
from kanbert.kit.timefmt import format_datetime
from kanbert.spaces.render import space_data

router = APIRouter(prefix="/clients", tags=["clients"], responses=ERROR_RESPONSES)


ClientRecord = Annotated[Client, record_of(clients, "client_id")]
ShownClient = Annotated[Shown, shown_record(clients, client_full_listing, "client_id")]


def _full(
    client: Client, caller: Caller, status: int = 200, tree: IncludeTree | None = None
) -> JsonResponse:
    return with_etag(client_full_data(client, tree or {}, caller), client, status)


def _basic(client: Client, caller: Caller) -> JsonResponse:
    return with_etag(client_data(client, caller), client)


add_list_route(router, "", client_listing, ClientData, "List clients")
add_list_route(
    router, "/full", client_full_listing, ClientFullData, "List clients with details", "client:read"
)


@router.post(
    "",
    status_code=201,
    response_model=ClientFullData,
    summary="Create a client",
    **requires("client:write"),
)
async def create_client(
    body: ClientCreate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    client = await service.create_client(session, caller, body)
    return _full(client, caller, 201)


@router.get(
    "/{client_id}",
    response_model=ClientFullData,
    summary="Show a client",
    **requires("client:read"),
)
async def show_client(shown: ShownClient, caller: CurrentCaller) -> JsonResponse:
    return _full(shown.record, caller, tree=shown.tree)


@router.patch(
    "/{client_id}", response_model=ClientData, summary="Update a client", **requires("client:write")
)
async def update_client(
    client: ClientRecord, body: ClientUpdate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _basic(await service.update_client(session, caller, client, body), caller)


@router.put(
    "/{client_id}/external-identifier",
    response_model=ClientData,
    summary="Set a client's external id",
    **requires("client:write"),
)
async def set_external_identifier(
    client: ClientRecord, body: ExternalIdentifierUpdate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _basic(await service.set_external_identifier(session, caller, client, body), caller)


@router.put(
    "/{client_id}/shortcode",
    response_model=ClientData,
    summary="Set a client's shortcode",
    **requires("client:write"),
)
async def set_shortcode(
    client: ClientRecord, body: ShortcodeUpdate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _basic(await service.set_shortcode(session, caller, client, body), caller)


@router.delete(
    "/{client_id}", status_code=204, summary="Archive a client", **requires("client:write")
)
async def archive_client(client: ClientRecord, caller: CurrentCaller, session: Session) -> Response:
    await service.archive_client(session, caller, client)
    return Response(status_code=204)


@router.post(
    "/{client_id}/restore",
    response_model=ClientFullData,
    summary="Restore a client",
    **requires("client:write"),
)
async def restore_client(
    client: ClientRecord, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _full(await service.restore_client(session, caller, client), caller)


@router.delete(
    "/{client_id}/force",
    status_code=204,
    summary="Delete a client for good",
    **requires("client:write"),
)
async def force_delete_client(
    client: ClientRecord, caller: CurrentCaller, session: Session, leftovers: LeftoverFiles
) -> Response:
    leftovers.remove(await service.force_delete_client(session, caller, client))
    return Response(status_code=204)


@router.post(
    "/{client_id}/shares",
    status_code=201,
    response_model=ShareData,
    summary="Share a client with another space (read-only there)",
    **requires("client:write"),
)
async def share_client(
    client: ClientRecord, body: ShareCreate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    share, space, created = await service.share_client(session, caller, client, body.space_id)
    rendered = {
        "client_id": client.id,
        "space": space_data(space),
        "created_at": format_datetime(share.created_at),
    }
    return JsonResponse(rendered, status_code=201 if created else 200)


@router.delete(
    "/{client_id}/shares/{space_id}",
    status_code=204,
    summary="Stop sharing a client with a space",
    **requires("client:write"),
)
async def unshare_client(
    client: ClientRecord, space_id: str, caller: CurrentCaller, session: Session
) -> Response:
    await service.unshare_client(session, caller, client, space_id)
    return Response(status_code=204)
