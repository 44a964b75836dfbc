"""Contacts declared once, plus the two views of a contact-company link used by includes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_
from sqlalchemy.orm import selectinload

from kanbert.clients.resource import client_data, clients
from kanbert.companies.common import crm_visible
from kanbert.companies.models import Company, ContactCompany
from kanbert.companies.resource import companies, company_data, embedded
from kanbert.contacts.models import CONTACT_TEXT_FIELDS, Contact
from kanbert.custom_fields import values
from kanbert.custom_fields.models import EntityType
from kanbert.kit.context import Caller
from kanbert.kit.query.fields import Field, FilterSpec, Kind, RelatedRows, Relation, archived_mode
from kanbert.kit.resource import (
    Include,
    IncludeTree,
    Listing,
    Resource,
    by_column,
    by_external_id,
)
from kanbert.kit.timefmt import format_date, format_datetime
from kanbert.lookups.resource import country_data
from kanbert.users.resource import user_data, with_space


def contact_data(contact: Contact, tree: IncludeTree, caller: Caller) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": contact.id,
        "external_id": contact.external_id,
        "external_origin": contact.external_origin,
        **{name: getattr(contact, name) for name in CONTACT_TEXT_FIELDS},
        "birthday": format_date(contact.birthday),
        "address_country": country_data(contact.address_country),
        "owner": user_data(contact.owner),
        "client": None if contact.client is None else client_data(contact.client, caller),
        "custom_fields": values.render(contact.custom_fields, EntityType.contact, caller),
        "created_at": format_datetime(contact.created_at),
        "updated_at": format_datetime(contact.updated_at),
        "deleted_at": format_datetime(contact.deleted_at),
    }
    if "companies" in tree:
        data["companies"] = embedded(contacts, "companies", contact.company_links, tree, caller)
    return data


def _eager() -> tuple[Any, ...]:
    return (
        selectinload(Contact.address_country),
        with_space(Contact.owner),
        selectinload(Contact.client).options(*clients.eager()),
    )


def _pivot(link: ContactCompany) -> dict[str, Any]:
    return {"position": link.position}


def _linked_company(link: ContactCompany, tree: IncludeTree, caller: Caller) -> dict[str, Any]:
    return {**company_data(link.company, tree, caller), "contact_company": _pivot(link)}


def _linked_contact(link: ContactCompany, tree: IncludeTree, caller: Caller) -> dict[str, Any]:
    return {**contact_data(link.contact, tree, caller), "contact_company": _pivot(link)}


# A link seen from a contact: the company, with the position held there.
linked_companies = Resource(
    name="contact_companies",
    model=ContactCompany,
    render=_linked_company,
    eager=lambda: (selectinload(ContactCompany.company).options(*companies.eager()),),
    prepare=companies.prepare,
)

# A link seen from a company: the contact, with its position there.
linked_contacts = Resource(
    name="company_contacts",
    model=ContactCompany,
    render=_linked_contact,
    eager=lambda: (selectinload(ContactCompany.contact).options(*_eager()),),
    prepare=(values.prepare(EntityType.contact),),
)

contacts = Resource(
    name="contacts",
    model=Contact,
    render=contact_data,
    eager=_eager,
    includes={
        "companies": Include(
            attribute=lambda: Contact.company_links,
            target=lambda: linked_companies,
            # Archived companies keep their links but are not listed, as in every list.
            where=lambda _caller: ContactCompany.company.has(Company.deleted_at.is_(None)),
        )
    },
    visible=crm_visible,
    lookups={"id": by_column(Contact.id), "external_id": by_external_id(Contact)},
    prepare=linked_contacts.prepare,
)


def _company_rows() -> RelatedRows:
    links, firms = ContactCompany.__table__, Company.__table__
    return RelatedRows(
        source=links.join(firms, firms.c.id == links.c.company_id),
        link=and_(links.c.contact_id == Contact.id, firms.c.deleted_at.is_(None)),
        fields={
            "company_name": Field(Kind.string, firms.c.company_name, nullable=True),
            "id": Field(Kind.id, firms.c.id),
        },
    )


_STRING_FILTERS = (
    "first_name",
    "last_name",
    "email",
    "email_private",
    "mobile",
    "mobile_private",
    "telephone",
    "telephone_private",
    "fax",
    "address_town",
    "address_zip",
)
_strings = {
    name: Field(Kind.string, getattr(Contact, name), nullable=True) for name in _STRING_FILTERS
}
_created_at = Field(Kind.datetime, Contact.created_at)

contact_listing = Listing(
    resource=contacts,
    key="contacts",
    filters=FilterSpec(
        fields={
            **_strings,
            "birthday": Field(Kind.date, Contact.birthday, nullable=True),
            "owner.id": Field(Kind.id, Contact.owner_id, nullable=True),
            "client.id": Field(Kind.id, Contact.client_id, nullable=True),
            # A country's id is its alpha-2 code, so the reference column is the code.
            "address_country.code": Field(Kind.string, Contact.address_country_id, nullable=True),
            "created_at": _created_at,
            "companies": Relation(related=_company_rows, field_names=("company_name", "id")),
        },
        modes={"archived": archived_mode(Contact.deleted_at)},
    ),
    sorts={
        "first_name": _strings["first_name"],
        "last_name": _strings["last_name"],
        "created_at": _created_at,
    },
    default_sort=("last_name", "first_name"),
    includes=("companies",),
    extensions=(values.listing_extension(EntityType.contact, Contact.custom_fields),),
)
