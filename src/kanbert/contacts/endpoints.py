"""HTTP edge of contacts: parse, authorise, call the service, render. No logic of its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from kanbert.auth.deps import CurrentCaller, requires
from kanbert.companies.schemas import ContactData
from kanbert.contacts import service
from kanbert.contacts.models import Contact
from kanbert.contacts.resource import contact_data, contact_listing, contacts
from kanbert.contacts.schemas import ContactFields
from kanbert.db.session import Session
from kanbert.files.cleanup import LeftoverFiles
from kanbert.kit.context import Caller
from kanbert.kit.records import with_etag
from kanbert.kit.resource import IncludeTree
from kanbert.kit.responses import JsonResponse
from kanbert.kit.routes import Shown, add_list_route, record_of, shown_record
from kanbert.kit.schemas import ERROR_RESPONSES

READ = "contact-data:read"
WRITE = "contact-data:write"

router = APIRouter(prefix="/contacts", tags=["contacts"], responses=ERROR_RESPONSES)

ContactRecord = Annotated[Contact, record_of(contacts, "contact_id")]
ShownContact = Annotated[Shown, shown_record(contacts, contact_listing, "contact_id")]


def _rendered(
    contact: Contact, caller: Caller, status: int = 200, tree: IncludeTree | None = None
) -> JsonResponse:
    return with_etag(contact_data(contact, tree or {}, caller), contact, status)


add_list_route(router, "", contact_listing, ContactData, "List contacts", READ)


@router.post(
    "", status_code=201, response_model=ContactData, summary="Create a contact", **requires(WRITE)
)
async def create_contact(
    body: ContactFields, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _rendered(await service.create_contact(session, caller, body), caller, 201)


@router.get("/{contact_id}", response_model=ContactData, summary="Show a contact", **requires(READ))
async def show_contact(shown: ShownContact, caller: CurrentCaller) -> JsonResponse:
    return _rendered(shown.record, caller, tree=shown.tree)


@router.patch(
    "/{contact_id}", response_model=ContactData, summary="Update a contact", **requires(WRITE)
)
async def update_contact(
    contact: ContactRecord, body: ContactFields, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _rendered(await service.update_contact(session, caller, contact, body), caller)


@router.delete("/{contact_id}", status_code=204, summary="Archive a contact", **requires(WRITE))
async def archive_contact(contact: ContactRecord, session: Session) -> Response:
    await service.archive_contact(session, contact)
    return Response(status_code=204)


@router.post(
    "/{contact_id}/restore",
    response_model=ContactData,
    summary="Restore a contact",
    **requires(WRITE),
)
async def restore_contact(
    contact: ContactRecord, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _rendered(await service.restore_contact(session, caller, contact), caller)


@router.delete(
    "/{contact_id}/force",
    status_code=204,
    summary="Delete a contact for good (its companies stay)",
    **requires(WRITE),
)
async def force_delete_contact(
    contact: ContactRecord, session: Session, leftovers: LeftoverFiles
) -> Response:
    leftovers.remove(await service.force_delete_contact(session, contact))
    return Response(status_code=204)
