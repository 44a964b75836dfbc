"""Companies declared once: rendering, loads, includes, visibility, lookups and the list."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import selectinload

from kanbert.clients.resource import client_data, clients
from kanbert.companies.common import crm_visible
from kanbert.companies.models import (
    COMPANY_FLAGS,
    COMPANY_TEXT_FIELDS,
    Company,
    ContactCompany,
    company_tags,
)
from kanbert.contacts.models import Contact
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
from kanbert.kit.timefmt import format_datetime
from kanbert.lookups.models import BusinessField, Tag
from kanbert.lookups.resource import (
    business_fields,
    company_revenues,
    company_sizes,
    country_data,
    tags,
)


def embedded(
    resource: Resource, name: str, rows: Iterable[Any], tree: IncludeTree, caller: Caller
) -> list[dict[str, Any]]:
    """The included relation `name` of a record, rendered by the include's target resource."""
    target = resource.includes[name].target()
    return [target.render(row, tree[name], caller) for row in rows]


def company_data(company: Company, tree: IncludeTree, caller: Caller) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": company.id,
        "external_id": company.external_id,
        "external_origin": company.external_origin,
        **{name: getattr(company, name) for name in COMPANY_TEXT_FIELDS},
        **{name: getattr(company, name) for name in COMPANY_FLAGS},
        "business_field": business_fields.data(company.business_field),
        "company_size": company_sizes.data(company.company_size),
        "company_revenue": company_revenues.data(company.company_revenue),
        "address_invoice_country": country_data(company.address_invoice_country),
        "address_delivery_country": country_data(company.address_delivery_country),
        "client": None if company.client is None else client_data(company.client, caller),
        "custom_fields": values.render(company.custom_fields, EntityType.company, caller),
        "created_at": format_datetime(company.created_at),
        "updated_at": format_datetime(company.updated_at),
        "deleted_at": format_datetime(company.deleted_at),
    }
    if "tags" in tree:
        data["tags"] = embedded(companies, "tags", company.tags, tree, caller)
    if "contacts" in tree:
        data["contacts"] = embedded(companies, "contacts", company.contact_links, tree, caller)
    return data


def _eager() -> tuple[Any, ...]:
    return (
        selectinload(Company.business_field),
        selectinload(Company.company_size),
        selectinload(Company.company_revenue),
        selectinload(Company.address_invoice_country),
        selectinload(Company.address_delivery_country),
        # ClientData renders the client's primary contact with its space.
        selectinload(Company.client).options(*clients.eager()),
    )


def _linked_contacts() -> Resource:
    # contacts.resource imports this module (contacts embed companies), so it is looked up
    # only when an include is resolved.
    from kanbert.contacts.resource import linked_contacts

    return linked_contacts


companies = Resource(
    name="companies",
    model=Company,
    render=company_data,
    eager=_eager,
    includes={
        "contacts": Include(
            attribute=lambda: Company.contact_links,
            target=_linked_contacts,
            # Archived contacts keep their links but are not listed, as in every list.
            where=lambda _caller: ContactCompany.contact.has(Contact.deleted_at.is_(None)),
        ),
        "tags": Include(attribute=lambda: Company.tags, target=lambda: tags.resource),
    },
    visible=crm_visible,
    lookups={"id": by_column(Company.id), "external_id": by_external_id(Company)},
    prepare=(values.prepare(EntityType.company),),
)


def _contact_rows() -> RelatedRows:
    links, people = ContactCompany.__table__, Contact.__table__
    return RelatedRows(
        source=links.join(people, people.c.id == links.c.contact_id),
        link=and_(links.c.company_id == Company.id, people.c.deleted_at.is_(None)),
        fields={
            name: Field(Kind.string, people.c[name], nullable=True)
            for name in ("first_name", "last_name", "email")
        },
    )


def _tag_rows() -> RelatedRows:
    tag_table = Tag.__table__
    return RelatedRows(
        source=company_tags.join(tag_table, tag_table.c.id == company_tags.c.tag_id),
        link=company_tags.c.company_id == Company.id,
        fields={"title": Field(Kind.string, tag_table.c.title)},
    )


def _business_field_name() -> Any:
    table = BusinessField.__table__
    return select(table.c.name).where(table.c.id == Company.business_field_id).scalar_subquery()


_STRING_FILTERS = (
    "company_name",
    "tax_uid",
    "iban",
    "bic",
    "phone",
    "fax",
    "email",
    "email_general",
    "homepage",
    "person_attention_to",
    "vendor_identifier",
    "address_invoice_town",
    "address_invoice_zip",
)
_strings = {
    name: Field(Kind.string, getattr(Company, name), nullable=True) for name in _STRING_FILTERS
}
_created_at = Field(Kind.datetime, Company.created_at)
_updated_at = Field(Kind.datetime, Company.updated_at)

company_listing = Listing(
    resource=companies,
    key="companies",
    filters=FilterSpec(
        fields={
            **_strings,
            **{
                name: Field(Kind.boolean, getattr(Company, name))
                for name in ("invoices_by_post", "invoices_by_email", "taxation_enabled")
            },
            "business_field.id": Field(Kind.id, Company.business_field_id, nullable=True),
            "business_field.name": Field(Kind.string, _business_field_name, nullable=True),
            # A country's id is its alpha-2 code, so the reference column is the code.
            "address_invoice_country.code": Field(
                Kind.string, Company.address_invoice_country_id, nullable=True
            ),
            "client.id": Field(Kind.id, Company.client_id, nullable=True),
            "created_at": _created_at,
            "updated_at": _updated_at,
            "contacts": Relation(
                related=_contact_rows, field_names=("first_name", "last_name", "email")
            ),
            "tags": Relation(related=_tag_rows, field_names=("title",)),
        },
        modes={"archived": archived_mode(Company.deleted_at)},
    ),
    sorts={
        "company_name": _strings["company_name"],
        "updated_at": _updated_at,
        "created_at": _created_at,
    },
    default_sort=("company_name",),
    includes=("contacts", "tags"),
    extensions=(values.listing_extension(EntityType.company, Company.custom_fields),),
)
