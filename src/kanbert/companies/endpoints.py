"""HTTP edge of companies: parse, authorise, call the service, render. No logic of its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from kanbert.auth.deps import CurrentCaller, requires
from kanbert.companies import service
from kanbert.companies.models import Company
from kanbert.companies.resource import companies, company_data, company_listing
from kanbert.companies.schemas import CompanyCreate, CompanyData, CompanyUpdate, ContactLink
from kanbert.contacts.models import Contact
from kanbert.contacts.resource import contacts
from kanbert.db.session import Session
from kanbert.files.cleanup import LeftoverFiles
from kanbert.kit.context import Caller
from kanbert.kit.records import get_one, with_etag
from kanbert.kit.resource import IncludeTree
from kanbert.kit.responses import JsonResponse
from kanbert.kit.routes import Shown, add_list_route, record_of, shown_record
from kanbert.kit.schemas import ERROR_RESPONSES

READ = "contact-data:read"
WRITE = "contact-data:write"

router = APIRouter(prefix="/companies", tags=["companies"], responses=ERROR_RESPONSES)

CompanyRecord = Annotated[Company, record_of(companies, "company_id")]
ShownCompany = Annotated[Shown, shown_record(companies, company_listing, "company_id")]


def _rendered(
    company: Company, caller: Caller, status: int = 200, tree: IncludeTree | None = None
) -> JsonResponse:
    return with_etag(company_data(company, tree or {}, caller), company, status)


add_list_route(router, "", company_listing, CompanyData, "List companies", READ)


@router.post(
    "", status_code=201, response_model=CompanyData, summary="Create a company", **requires(WRITE)
)
async def create_company(
    body: CompanyCreate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _rendered(await service.create_company(session, caller, body), caller, 201)


@router.get("/{company_id}", response_model=CompanyData, summary="Show a company", **requires(READ))
async def show_company(shown: ShownCompany, caller: CurrentCaller) -> JsonResponse:
    return _rendered(shown.record, caller, tree=shown.tree)


@router.patch(
    "/{company_id}", response_model=CompanyData, summary="Update a company", **requires(WRITE)
)
async def update_company(
    company: CompanyRecord, body: CompanyUpdate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _rendered(await service.update_company(session, caller, company, body), caller)


@router.delete("/{company_id}", status_code=204, summary="Archive a company", **requires(WRITE))
async def archive_company(company: CompanyRecord, session: Session) -> Response:
    await service.archive_company(session, company)
    return Response(status_code=204)


@router.post(
    "/{company_id}/restore",
    response_model=CompanyData,
    summary="Restore a company",
    **requires(WRITE),
)
async def restore_company(
    company: CompanyRecord, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _rendered(await service.restore_company(session, caller, company), caller)


@router.delete(
    "/{company_id}/force",
    status_code=204,
    summary="Delete a company for good (its contacts stay)",
    **requires(WRITE),
)
async def force_delete_company(
    company: CompanyRecord, session: Session, leftovers: LeftoverFiles
) -> Response:
    leftovers.remove(await service.force_delete_company(session, company))
    return Response(status_code=204)


async def _contact(session: Session, caller: Caller, contact_id: str) -> Contact:
    contact: Contact = await get_one(session, caller, contacts, contact_id)
    return contact


@router.put(
    "/{company_id}/contacts/{contact_id}",
    response_model=CompanyData,
    summary="Link a contact to a company (or change its position there)",
    **requires(WRITE),
)
async def link_contact(
    company: CompanyRecord,
    contact_id: str,
    caller: CurrentCaller,
    session: Session,
    body: ContactLink | None = None,
) -> JsonResponse:
    contact = await _contact(session, caller, contact_id)
    company = await service.link_contact(session, caller, company, contact, body)
    return _rendered(company, caller, tree=service.WITH_CONTACTS)


@router.delete(
    "/{company_id}/contacts/{contact_id}",
    status_code=204,
    summary="Unlink a contact from a company",
    **requires(WRITE),
)
async def unlink_contact(
    company: CompanyRecord, contact_id: str, caller: CurrentCaller, session: Session
) -> Response:
    contact = await _contact(session, caller, contact_id)
    await service.unlink_contact(session, company, contact)
    return Response(status_code=204)
