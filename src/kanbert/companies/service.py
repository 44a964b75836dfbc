"""Company writes. Endpoints call these; the request's transaction commits them.

Each write returns the company read back with what its response renders.
"""

from __future__ import annotations

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.clients.models import Client
from kanbert.companies import common
from kanbert.companies.models import (
    COMPANY_FLAGS,
    COMPANY_TEXT_FIELDS,
    Company,
    ContactCompany,
    company_tags,
)
from kanbert.companies.resource import companies
from kanbert.companies.schemas import CompanyFields, ContactLink
from kanbert.contacts.models import Contact
from kanbert.custom_fields.models import EntityType
from kanbert.files.cleanup import drop_files_of
from kanbert.kit.context import Caller
from kanbert.kit.errors import not_found
from kanbert.kit.resource import IncludeTree
from kanbert.lookups.resource import LookupKind, business_fields, company_revenues, company_sizes
from kanbert.lookups.service import referenced_lookup, referenced_tags

_LOOKUPS: dict[str, LookupKind] = {
    "business_field_id": business_fields,
    "company_size_id": company_sizes,
    "company_revenue_id": company_revenues,
}
_COUNTRIES = ("address_invoice_country", "address_delivery_country")
# A link's response shows the company with its contacts, so the caller sees the link.
WITH_CONTACTS: IncludeTree = {"contacts": {}}


async def create_company(session: AsyncSession, caller: Caller, body: CompanyFields) -> Company:
    common.ensure_crm_access(caller)
    company = Company(space_id=caller.space_id, custom_fields={})
    tag_ids = await _apply(session, caller, company, body, creating=True)
    session.add(company)
    await common.flush(session)
    await _write_tags(session, company, tag_ids)
    return await _reloaded(session, caller, company)


async def update_company(
    session: AsyncSession, caller: Caller, company: Company, body: CompanyFields
) -> Company:
    tag_ids = await _apply(session, caller, company, body, creating=False)
    common.touch(company)
    await common.flush(session)
    await _write_tags(session, company, tag_ids)
    return await _reloaded(session, caller, company)


async def archive_company(session: AsyncSession, company: Company) -> None:
    await common.archive(session, company)


async def restore_company(session: AsyncSession, caller: Caller, company: Company) -> Company:
    await common.restore(session, company)
    return await _reloaded(session, caller, company)


async def force_delete_company(session: AsyncSession, company: Company) -> list[str]:
    """Delete the company for good; returns the ids of its files, whose bytes are to go."""
    await common.force_delete(session, company)
    return await drop_files_of(session, company.space_id, "company", [company.id])


async def link_contact(
    session: AsyncSession,
    caller: Caller,
    company: Company,
    contact: Contact,
    body: ContactLink | None,
) -> Company:
    """Link the contact to the company, or change its position there (PUT: an absent position
    clears it); returns the company with its contacts."""
    position = body.position if body is not None else None
    link = await session.get(ContactCompany, (company.id, contact.id))
    if link is None:
        session.add(ContactCompany(company_id=company.id, contact_id=contact.id, position=position))
    else:
        link.position = position
    common.touch(company, contact)
    await common.flush(session)
    return await _reloaded(session, caller, company, WITH_CONTACTS)


async def unlink_contact(session: AsyncSession, company: Company, contact: Contact) -> None:
    link = await session.get(ContactCompany, (company.id, contact.id))
    if link is None:
        raise not_found()
    await session.delete(link)
    common.touch(company, contact)
    await common.flush(session)


async def _apply(
    session: AsyncSession, caller: Caller, company: Company, body: CompanyFields, creating: bool
) -> list[str] | None:
    """Validate the body and set the company's columns; returns the new tag ids, if given."""
    common.assign_plain(company, body, (*COMPANY_TEXT_FIELDS, *COMPANY_FLAGS))
    for attribute in _COUNTRIES:
        await common.assign_country(session, company, body, attribute)
    for field, kind in _LOOKUPS.items():
        if field in body.model_fields_set:
            row = await referenced_lookup(session, caller, kind, getattr(body, field), field)
            setattr(company, field, None if row is None else row.id)
    if "client_id" in body.model_fields_set:
        await common.assign_reference(
            session, caller, company, "client_id", Client, body.client_id, "client"
        )
    await common.assign_external(session, caller, company, body)
    await common.assign_custom_fields(
        session, caller, EntityType.company, company, body.custom_fields, creating
    )
    if "tag_ids" not in body.model_fields_set:
        return None
    tags = await referenced_tags(session, caller, body.tag_ids or [], "tag_ids")
    return [tag.id for tag in tags]


async def _write_tags(session: AsyncSession, company: Company, tag_ids: list[str] | None) -> None:
    """Replace the company's tags with `tag_ids` (None: leave them as they are)."""
    if tag_ids is None:
        return
    await session.execute(delete(company_tags).where(company_tags.c.company_id == company.id))
    if tag_ids:
        await session.execute(
            insert(company_tags), [{"company_id": company.id, "tag_id": tag} for tag in tag_ids]
        )


async def _reloaded(
    session: AsyncSession, caller: Caller, company: Company, tree: IncludeTree | None = None
) -> Company:
    reloaded: Company = await common.reloaded(session, caller, companies, company.id, tree)
    return reloaded
