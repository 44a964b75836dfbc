"""HTTP edge of contacts: parse, authorise, call the service, render. No logic of its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from kanbert.auth.deps import CurrentCaller, requires
from kanbert.companies.schemas import ContactData
from kanbert.contacts import service
from kanbert.contacts.models import Contact
from kanbert.contacts.resource import contact_data, contact_listing, contacts
from kanbert.contacts.schemas import ContactFields
from kanbert.db.session import Session
from kanbert.kit.context import Caller
from kanbert.kit.listing import ListParams, list_params, parse_includes, run_list
from kanbert.kit.records import FindBy, Origin, check_if_match, get_one, with_etag
from kanbert.kit.resource import IncludeTree
from kanbert.kit.responses import JsonResponse
from kanbert.kit.schemas import ERROR_RESPONSES, Page

READ = "contact-data:read"
WRITE = "contact-data:write"

router = APIRouter(prefix="/contacts", tags=["contacts"], responses=ERROR_RESPONSES)

IncludeParam = Annotated[
    str | None, Query(description="Comma-separated relations. Allowed: companies.", max_length=255)
]


async def _contact(
    session: Session,
    caller: Caller,
    contact_id: str,
    find_by: str,
    origin: str | None,
    request: Request | None = None,
    tree: IncludeTree | None = None,
) -> Contact:
    contact: Contact = await get_one(
        session, caller, contacts, contact_id, find_by, origin, tree=tree
    )
    if request is not None:
        check_if_match(request, contact)
    return contact


def _rendered(
    contact: Contact, caller: Caller, status: int = 200, tree: IncludeTree | None = None
) -> JsonResponse:
    return with_etag(contact_data(contact, tree or {}, caller), contact, status)


@router.get("", response_model=Page[ContactData], summary="List contacts", **requires(READ))
async def list_contacts(
    request: Request,
    caller: CurrentCaller,
    session: Session,
    params: Annotated[ListParams, Depends(list_params(contact_listing))],
) -> JsonResponse:
    return await run_list(request, session, caller, contact_listing, params)


@router.post(
    "", status_code=201, response_model=ContactData, summary="Create a contact", **requires(WRITE)
)
async def create_contact(
    body: ContactFields, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _rendered(await service.create_contact(session, caller, body), caller, 201)


@router.get("/{contact_id}", response_model=ContactData, summary="Show a contact", **requires(READ))
async def show_contact(
    contact_id: str,
    caller: CurrentCaller,
    session: Session,
    find_by: FindBy = "id",
    origin: Origin = None,
    include: IncludeParam = None,
) -> JsonResponse:
    tree = parse_includes(include, contact_listing)
    contact = await _contact(session, caller, contact_id, find_by, origin, tree=tree)
    return _rendered(contact, caller, tree=tree)


@router.patch(
    "/{contact_id}", response_model=ContactData, summary="Update a contact", **requires(WRITE)
)
async def update_contact(
    contact_id: str,
    body: ContactFields,
    request: Request,
    caller: CurrentCaller,
    session: Session,
    find_by: FindBy = "id",
    origin: Origin = None,
) -> JsonResponse:
    contact = await _contact(session, caller, contact_id, find_by, origin, request)
    return _rendered(await service.update_contact(session, caller, contact, body), caller)


@router.delete("/{contact_id}", status_code=204, summary="Archive a contact", **requires(WRITE))
async def archive_contact(
    contact_id: str,
    request: Request,
    caller: CurrentCaller,
    session: Session,
    find_by: FindBy = "id",
    origin: Origin = None,
) -> Response:
    contact = await _contact(session, caller, contact_id, find_by, origin, request)
    await service.archive_contact(session, contact)
    return Response(status_code=204)


@router.post(
    "/{contact_id}/restore",
    response_model=ContactData,
    summary="Restore a contact",
    **requires(WRITE),
)
async def restore_contact(
    contact_id: str,
    request: Request,
    caller: CurrentCaller,
    session: Session,
    find_by: FindBy = "id",
    origin: Origin = None,
) -> JsonResponse:
    contact = await _contact(session, caller, contact_id, find_by, origin, request)
    return _rendered(await service.restore_contact(session, caller, contact), caller)


@router.delete(
    "/{contact_id}/force",
    status_code=204,
    summary="Delete a contact for good (its companies stay)",
    **requires(WRITE),
)
async def force_delete_contact(
    contact_id: str,
    request: Request,
    caller: CurrentCaller,
    session: Session,
    find_by: FindBy = "id",
    origin: Origin = None,
) -> Response:
    contact = await _contact(session, caller, contact_id, find_by, origin, request)
    await service.force_delete_contact(session, contact)
    return Response(status_code=204)
