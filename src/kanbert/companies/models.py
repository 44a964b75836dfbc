from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kanbert.clients.models import Client
from kanbert.db.base import (
    Archivable,
    Base,
    ExternallyIdentified,
    SpaceOwned,
    Timestamped,
    id_column,
)
from kanbert.lookups.models import (
    BusinessField,
    CompanyRevenue,
    CompanySize,
    Country,
    LookupRow,
    Tag,
)

if TYPE_CHECKING:
    from kanbert.contacts.models import Contact

# The plain text columns of a company, in CompanyData order: the body, the model and the
# rendering all walk this one list.
COMPANY_TEXT_FIELDS = (
    "vendor_identifier",
    "company_name",
    "locale",
    "tax_uid",
    "iban",
    "bic",
    "email",
    "email_general",
    "phone",
    "fax",
    "homepage",
    "person_attention_to",
    "address_invoice_title",
    "address_invoice_street",
    "address_invoice_house",
    "address_invoice_street2",
    "address_invoice_zip",
    "address_invoice_state",
    "address_invoice_town",
    "delivery_person_attention_to",
    "address_delivery_title",
    "address_delivery_street",
    "address_delivery_house",
    "address_delivery_street2",
    "address_delivery_zip",
    "address_delivery_state",
    "address_delivery_town",
)
COMPANY_FLAGS = (
    "taxation_enabled",
    "invoices_by_post",
    "invoices_by_email",
    "address_invoice_is_delivery",
)


def text_column() -> Mapped[str | None]:
    return mapped_column(String(255), nullable=True)


def _lookup_id(table: str) -> Mapped[str | None]:
    # A lookup deleted for good leaves the company without it (resources.md §3).
    return mapped_column(
        String(32), ForeignKey(f"{table}.id", ondelete="SET NULL"), nullable=True, index=True
    )


def _country_id() -> Mapped[str | None]:
    return mapped_column(String(2), ForeignKey("countries.id"), nullable=True, index=True)


company_tags = Table(
    "company_tags",
    Base.metadata,
    Column(
        "company_id",
        String(32),
        ForeignKey("companies.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "tag_id",
        String(32),
        ForeignKey("tags.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Company(SpaceOwned, ExternallyIdentified, Timestamped, Archivable, Base):
    __tablename__ = "companies"
    __table_args__ = (
        Index("uq_companies_external", "space_id", "external_origin", "external_id", unique=True),
        Index("ix_companies_space_company_name", "space_id", "company_name", "id"),
        Index("ix_companies_space_created_at", "space_id", "created_at", "id"),
        Index("ix_companies_space_updated_at", "space_id", "updated_at", "id"),
    )

    id: Mapped[str] = id_column()
    vendor_identifier: Mapped[str | None] = text_column()
    # Nullable as Kanbert documents it, though every company is created with a name.
    company_name: Mapped[str | None] = text_column()
    locale: Mapped[str | None] = text_column()
    tax_uid: Mapped[str | None] = text_column()
    taxation_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    iban: Mapped[str | None] = text_column()
    bic: Mapped[str | None] = text_column()
    email: Mapped[str | None] = text_column()  # one address or several, comma-separated
    email_general: Mapped[str | None] = text_column()
    phone: Mapped[str | None] = text_column()
    fax: Mapped[str | None] = text_column()
    homepage: Mapped[str | None] = text_column()
    invoices_by_post: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    invoices_by_email: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    business_field_id: Mapped[str | None] = _lookup_id("business_fields")
    company_size_id: Mapped[str | None] = _lookup_id("company_sizes")
    company_revenue_id: Mapped[str | None] = _lookup_id("company_revenues")
    person_attention_to: Mapped[str | None] = text_column()
    address_invoice_title: Mapped[str | None] = text_column()
    address_invoice_street: Mapped[str | None] = text_column()
    address_invoice_house: Mapped[str | None] = text_column()
    address_invoice_street2: Mapped[str | None] = text_column()
    address_invoice_zip: Mapped[str | None] = text_column()
    address_invoice_state: Mapped[str | None] = text_column()
    address_invoice_town: Mapped[str | None] = text_column()
    address_invoice_country_id: Mapped[str | None] = _country_id()
    # Until a delivery address is given, goods go to the invoice address.
    address_invoice_is_delivery: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    delivery_person_attention_to: Mapped[str | None] = text_column()
    address_delivery_title: Mapped[str | None] = text_column()
    address_delivery_street: Mapped[str | None] = text_column()
    address_delivery_house: Mapped[str | None] = text_column()
    address_delivery_street2: Mapped[str | None] = text_column()
    address_delivery_zip: Mapped[str | None] = text_column()
    address_delivery_state: Mapped[str | None] = text_column()
    address_delivery_town: Mapped[str | None] = text_column()
    address_delivery_country_id: Mapped[str | None] = _country_id()
    client_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("clients.id", ondelete="SET NULL"), nullable=True, index=True
    )
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)

    business_field: Mapped[LookupRow | None] = relationship(BusinessField, lazy="raise")
    company_size: Mapped[LookupRow | None] = relationship(CompanySize, lazy="raise")
    company_revenue: Mapped[LookupRow | None] = relationship(CompanyRevenue, lazy="raise")
    address_invoice_country: Mapped[Country | None] = relationship(
        foreign_keys=[address_invoice_country_id], lazy="raise"
    )
    address_delivery_country: Mapped[Country | None] = relationship(
        foreign_keys=[address_delivery_country_id], lazy="raise"
    )
    client: Mapped[Client | None] = relationship(lazy="raise")
    tags: Mapped[list[LookupRow]] = relationship(
        Tag,
        secondary=company_tags,
        order_by=lambda: (Tag.__table__.c.title, Tag.__table__.c.id),
        lazy="raise",
        passive_deletes=True,  # the foreign keys drop the links with the company
    )
    contact_links: Mapped[list[ContactCompany]] = relationship(
        back_populates="company",
        lazy="raise",
        order_by=lambda: ContactCompany.contact_id,
        passive_deletes=True,
    )


class ContactCompany(Base):
    """A contact working at a company, with the position held there."""

    __tablename__ = "contact_companies"

    company_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[str | None] = mapped_column(String(255), nullable=True)

    company: Mapped[Company] = relationship(back_populates="contact_links", lazy="raise")
    contact: Mapped[Contact] = relationship(back_populates="company_links", lazy="raise")
