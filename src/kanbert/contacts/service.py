"""Contact writes. Endpoints call these; the request's transaction commits them.

Each write returns the contact read back with what its response renders.
"""

from __future__ import annotations

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.clients.models import Client
from kanbert.companies import common
from kanbert.companies.models import Company, ContactCompany
from kanbert.contacts.models import CONTACT_TEXT_FIELDS, Contact
from kanbert.contacts.resource import contacts
from kanbert.contacts.schemas import CompanyRef, ContactFields
from kanbert.custom_fields.models import EntityType
from kanbert.files.cleanup import drop_files_of
from kanbert.kit.context import Caller
from kanbert.kit.errors import invalid
from kanbert.users.models import User


async def create_contact(session: AsyncSession, caller: Caller, body: ContactFields) -> Contact:
    common.ensure_crm_access(caller)
    contact = Contact(space_id=caller.space_id, custom_fields={})
    links = await _apply(session, caller, contact, body, creating=True)
    session.add(contact)
    await common.flush(session)
    await _write_links(session, contact, links)
    return await _reloaded(session, caller, contact)


async def update_contact(
    session: AsyncSession, caller: Caller, contact: Contact, body: ContactFields
) -> Contact:
    links = await _apply(session, caller, contact, body, creating=False)
    common.touch(contact)
    await common.flush(session)
    await _write_links(session, contact, links)
    return await _reloaded(session, caller, contact)


async def archive_contact(session: AsyncSession, contact: Contact) -> None:
    await common.archive(session, contact)


async def restore_contact(session: AsyncSession, caller: Caller, contact: Contact) -> Contact:
    await common.restore(session, contact)
    return await _reloaded(session, caller, contact)


async def force_delete_contact(session: AsyncSession, contact: Contact) -> list[str]:
    """Delete the contact for good; returns the ids of its files, whose bytes are to go."""
    await common.force_delete(session, contact)
    return await drop_files_of(session, contact.space_id, "contact", [contact.id])


async def _apply(
    session: AsyncSession, caller: Caller, contact: Contact, body: ContactFields, creating: bool
) -> list[CompanyRef] | None:
    """Validate the body and set the contact's columns; returns the new company links, if given."""
    given = body.model_fields_set
    common.assign_plain(contact, body, (*CONTACT_TEXT_FIELDS, "birthday"))
    await common.assign_country(session, contact, body, "address_country")
    if "owner_id" in given:
        await common.assign_reference(
            session, caller, contact, "owner_id", User, body.owner_id, "owner"
        )
    if "client_id" in given:
        await common.assign_reference(
            session, caller, contact, "client_id", Client, body.client_id, "client"
        )
    await common.assign_external(session, caller, contact, body)
    await common.assign_custom_fields(
        session, caller, EntityType.contact, contact, body.custom_fields, creating
    )
    if "companies" not in given:
        return None
    refs = body.companies or []
    await _check_companies(session, caller, contact, refs)
    return refs


async def _check_companies(
    session: AsyncSession, caller: Caller, contact: Contact, refs: list[CompanyRef]
) -> None:
    """Every company named is an active company of this space or one the contact is already
    linked to (sync tools re-send whole records), each named once (else 422)."""
    ids = [ref.id for ref in refs]
    already_linked = select(ContactCompany.company_id).where(
        ContactCompany.contact_id == contact.id
    )
    found = set(
        (
            await session.scalars(
                select(Company.id).where(
                    Company.id.in_(set(ids)),
                    Company.space_id == caller.space_id,
                    or_(Company.deleted_at.is_(None), Company.id.in_(already_linked)),
                )
            )
        ).all()
    )
    errors: dict[str, list[str]] = {}
    for index, company_id in enumerate(ids):
        if company_id not in found:
            errors[f"companies.{index}.id"] = ["The selected company does not exist."]
        elif company_id in ids[:index]:
            errors[f"companies.{index}.id"] = ["The company is listed twice."]
    if errors:
        raise invalid(errors)


async def _write_links(
    session: AsyncSession, contact: Contact, refs: list[CompanyRef] | None
) -> None:
    """Replace the contact's company links with `refs` (None: leave them as they are)."""
    if refs is None:
        return
    await session.execute(delete(ContactCompany).where(ContactCompany.contact_id == contact.id))
    if refs:
        await session.execute(
            insert(ContactCompany),
            [
                {"contact_id": contact.id, "company_id": ref.id, "position": ref.position}
                for ref in refs
            ],
        )


async def _reloaded(session: AsyncSession, caller: Caller, contact: Contact) -> Contact:
    reloaded: Contact = await common.reloaded(session, caller, contacts, contact.id)
    return reloaded
