"""HTTP edge of companies: parse, authorise, call the service, render. No logic of its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from kanbert.auth.deps import CurrentCaller, requires
from kanbert.companies import service
from kanbert.companies.models import Company
from kanbert.companies.resource import companies, company_data, company_listing
from kanbert.companies.schemas import CompanyCreate, CompanyData, CompanyUpdate, ContactLink
from kanbert.contacts.models import Contact
from kanbert.contacts.resource import contacts
from kanbert.db.session import Session
from kanbert.kit.context import Caller
from kanbert.kit.listing import ListParams, list_params, parse_includes, run_list
from kanbert.kit.records import FindBy, Origin, check_if_match, get_one, with_etag
from kanbert.kit.resource import IncludeTree
from kanbert.kit.responses import JsonResponse
from kanbert.kit.schemas import ERROR_RESPONSES, Page

READ = "contact-data:read"
WRITE = "contact-data:write"

router = APIRouter(prefix="/companies", tags=["companies"], responses=ERROR_RESPONSES)

IncludeParam = Annotated[
    str | None,
    Query(description="Comma-separated relations. Allowed: contacts, tags.", max_length=255),
]


async def _company(
    session: Session,
    caller: Caller,
    company_id: str,
    find_by: str,
    origin: str | None,
    request: Request | None = None,
    tree: IncludeTree | None = None,
) -> Company:
    company: Company = await get_one(
        session, caller, companies, company_id, find_by, origin, tree=tree
    )
    if request is not None:
        check_if_match(request, company)
    return company


def _rendered(
    company: Company, caller: Caller, status: int = 200, tree: IncludeTree | None = None
) -> JsonResponse:
    return with_etag(company_data(company, tree or {}, caller), company, status)


@router.get("", response_model=Page[CompanyData], summary="List companies", **requires(READ))
async def list_companies(
    request: Request,
    caller: CurrentCaller,
    session: Session,
    params: Annotated[ListParams, Depends(list_params(company_listing))],
) -> JsonResponse:
    return await run_list(request, session, caller, company_listing, params)


@router.post(
    "", status_code=201, response_model=CompanyData, summary="Create a company", **requires(WRITE)
)
async def create_company(
    body: CompanyCreate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _rendered(await service.create_company(session, caller, body), caller, 201)


@router.get("/{company_id}", response_model=CompanyData, summary="Show a company", **requires(READ))
async def show_company(
    company_id: str,
    caller: CurrentCaller,
    session: Session,
    find_by: FindBy = "id",
    origin: Origin = None,
    include: IncludeParam = None,
) -> JsonResponse:
    tree = parse_includes(include, company_listing)
    company = await _company(session, caller, company_id, find_by, origin, tree=tree)
    return _rendered(company, caller, tree=tree)


@router.patch(
    "/{company_id}", response_model=CompanyData, summary="Update a company", **requires(WRITE)
)
async def update_company(
    company_id: str,
    body: CompanyUpdate,
    request: Request,
    caller: CurrentCaller,
    session: Session,
    find_by: FindBy = "id",
    origin: Origin = None,
) -> JsonResponse:
    company = await _company(session, caller, company_id, find_by, origin, request)
    return _rendered(await service.update_company(session, caller, company, body), caller)


@router.delete("/{company_id}", status_code=204, summary="Archive a company", **requires(WRITE))
async def archive_company(
    company_id: str,
    request: Request,
    caller: CurrentCaller,
    session: Session,
    find_by: FindBy = "id",
    origin: Origin = None,
) -> Response:
    company = await _company(session, caller, company_id, find_by, origin, request)
    await service.archive_company(session, company)
    return Response(status_code=204)


@router.post(
    "/{company_id}/restore",
    response_model=CompanyData,
    summary="Restore a company",
    **requires(WRITE),
)
async def restore_company(
    company_id: str,
    request: Request,
    caller: CurrentCaller,
    session: Session,
    find_by: FindBy = "id",
    origin: Origin = None,
) -> JsonResponse:
    company = await _company(session, caller, company_id, find_by, origin, request)
    return _rendered(await service.restore_company(session, caller, company), caller)


@router.delete(
    "/{company_id}/force",
    status_code=204,
    summary="Delete a company for good (its contacts stay)",
    **requires(WRITE),
)
async def force_delete_company(
    company_id: str,
    request: Request,
    caller: CurrentCaller,
    session: Session,
    find_by: FindBy = "id",
    origin: Origin = None,
) -> Response:
    company = await _company(session, caller, company_id, find_by, origin, request)
    await service.force_delete_company(session, company)
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
    company_id: str,
    contact_id: str,
    request: Request,
    caller: CurrentCaller,
    session: Session,
    body: ContactLink | None = None,
    find_by: FindBy = "id",
    origin: Origin = None,
) -> JsonResponse:
    company = await _company(session, caller, company_id, find_by, origin, request)
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
    company_id: str,
    contact_id: str,
    request: Request,
    caller: CurrentCaller,
    session: Session,
    find_by: FindBy = "id",
    origin: Origin = None,
) -> Response:
    company = await _company(session, caller, company_id, find_by, origin, request)
    contact = await _contact(session, caller, contact_id)
    await service.unlink_contact(session, company, contact)
    return Response(status_code=204)
