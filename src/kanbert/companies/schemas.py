"""CRM request bodies of companies, and the response shapes of companies *and* contacts.

CompanyData and ContactData embed each other (`contacts`, `companies` includes), so both
response models live here, in one module, where their forward references resolve.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    Field,
    StringConstraints,
    field_validator,
)

from kanbert.clients.schemas import ClientData
from kanbert.kit.schemas import RequestBody
from kanbert.lookups.schemas import BusinessFieldData, CountryData, TagData
from kanbert.users.schemas import UserData

_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")


def _country_text(value: object) -> object:
    # A numeric code may come as a JSON number (276 for Germany); it is matched as text.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 999:
        return str(value)
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("must be a valid e-mail address")
    return value


def _email_list(value: str) -> str:
    for address in value.split(","):
        if not _EMAIL.match(address.strip()):
            raise ValueError(f"{address.strip()!r} is not a valid e-mail address")
    return value


Text = Annotated[str, StringConstraints(max_length=255)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=255), AfterValidator(_email)
]
# One address or several separated by commas, each of them valid.
EmailList = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=255),
    AfterValidator(_email_list),
    Field(description="One e-mail address or several, separated by commas."),
]
IdRef = Annotated[str, StringConstraints(max_length=64)]
External = Annotated[str, StringConstraints(min_length=1, max_length=255)]
# A country as an ISO 3166-1 alpha-2, alpha-3 or numeric code or an English name.
CountryRef = Annotated[
    str,
    BeforeValidator(_country_text),
    StringConstraints(max_length=255),
    Field(
        description="ISO 3166-1 alpha-2, alpha-3 or numeric code, or the English name; "
        "ignored when the matching `…_country_id` is given."
    ),
]
MAX_REFERENCES = 100


# -- responses ---------------------------------------------------------------------------------


class ContactCompanyPivotData(BaseModel):
    # (D) null until a position is given; Kanbert types it as a string.
    position: str | None


class CompanyData(BaseModel):
    id: str
    external_id: str | None
    external_origin: str | None
    vendor_identifier: str | None
    company_name: str | None
    locale: str | None
    tax_uid: str | None
    taxation_enabled: bool
    iban: str | None
    bic: str | None
    email: str | None
    email_general: str | None
    phone: str | None
    fax: str | None
    homepage: str | None
    invoices_by_post: bool
    invoices_by_email: bool
    business_field: BusinessFieldData | None
    company_size: TagData | None
    company_revenue: TagData | None
    person_attention_to: str | None
    address_invoice_title: str | None
    address_invoice_street: str | None
    address_invoice_house: str | None
    address_invoice_street2: str | None
    address_invoice_zip: str | None
    address_invoice_state: str | None
    address_invoice_town: str | None
    address_invoice_country: CountryData | None
    address_invoice_is_delivery: bool
    delivery_person_attention_to: str | None
    address_delivery_title: str | None
    address_delivery_street: str | None
    address_delivery_house: str | None
    address_delivery_street2: str | None
    address_delivery_zip: str | None
    address_delivery_state: str | None
    address_delivery_town: str | None
    address_delivery_country: CountryData | None
    client: ClientData | None
    custom_fields: dict[str, Any]
    created_at: str
    updated_at: str | None
    deleted_at: str | None
    # Present only when included (or, for contact_company, when nested under a contact).
    tags: list[TagData] = Field(default_factory=list)
    contacts: list[ContactData] = Field(default_factory=list)
    contact_company: ContactCompanyPivotData | None = None


class ContactData(BaseModel):
    id: str
    external_id: str | None
    external_origin: str | None
    gender: str | None
    first_name: str | None
    last_name: str | None
    title: str | None
    title_suffix: str | None
    position: str | None
    locale: str | None
    birthday: date | None
    fax: str | None
    telephone: str | None
    telephone_private: str | None
    mobile: str | None
    mobile_private: str | None
    email: str | None
    email_private: str | None
    address_street: str | None
    address_house: str | None
    address_street2: str | None
    address_zip: str | None
    address_state: str | None
    address_town: str | None
    address_country: CountryData | None
    owner: UserData | None
    client: ClientData | None
    custom_fields: dict[str, Any]
    created_at: str
    updated_at: str | None
    deleted_at: str | None
    # Present only when included (or, for contact_company, when nested under a company).
    companies: list[CompanyData] = Field(default_factory=list)
    contact_company: ContactCompanyPivotData | None = None


CompanyData.model_rebuild()


# -- requests ----------------------------------------------------------------------------------


class CrmBody(RequestBody):
    """Body fields companies and contacts share."""

    client_id: IdRef | None = None
    custom_fields: dict[str, Any] | None = None
    external_id: External | None = None
    external_origin: External | None = None


class CompanyFields(CrmBody):
    company_name: Name | None = None
    vendor_identifier: Text | None = None
    locale: Text | None = None
    tax_uid: Text | None = None
    # Kanbert's create body calls it `taxation`; the response's name is accepted too.
    taxation_enabled: bool | None = Field(
        None,
        validation_alias=AliasChoices("taxation", "taxation_enabled"),
        description="Reverse charge (sets `taxation_enabled`; that name is accepted too).",
    )
    iban: Text | None = None
    bic: Text | None = None
    email: EmailList | None = None
    email_general: Email | None = None
    phone: Text | None = None
    fax: Text | None = None
    homepage: Text | None = None
    # Kanbert's create body spells it `invoice_by_post` (sic); the response's name works too.
    invoices_by_post: bool | None = Field(
        None,
        validation_alias=AliasChoices("invoice_by_post", "invoices_by_post"),
        description="Sets `invoices_by_post` (that name is accepted too).",
    )
    invoices_by_email: bool | None = None
    business_field_id: IdRef | None = None
    company_size_id: IdRef | None = None
    company_revenue_id: IdRef | None = None
    tag_ids: list[IdRef] | None = Field(None, max_length=MAX_REFERENCES)
    person_attention_to: Text | None = None
    address_invoice_title: Text | None = None
    address_invoice_street: Text | None = None
    address_invoice_house: Text | None = None
    address_invoice_street2: Text | None = None
    address_invoice_zip: Text | None = None
    address_invoice_state: Text | None = None
    address_invoice_town: Text | None = None
    address_invoice_country: CountryRef | None = None
    address_invoice_country_id: IdRef | None = None
    address_invoice_is_delivery: bool | None = None
    delivery_person_attention_to: Text | None = None
    address_delivery_title: Text | None = None
    address_delivery_street: Text | None = None
    address_delivery_house: Text | None = None
    address_delivery_street2: Text | None = None
    address_delivery_zip: Text | None = None
    address_delivery_state: Text | None = None
    address_delivery_town: Text | None = None
    address_delivery_country: CountryRef | None = None
    address_delivery_country_id: IdRef | None = None

    @field_validator(
        "company_name",
        "taxation_enabled",
        "invoices_by_post",
        "invoices_by_email",
        "address_invoice_is_delivery",
    )
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Optional to send, but no company is without them: an explicit null is refused.
        if value is None:
            raise ValueError("may not be null")
        return value


class CompanyCreate(CompanyFields):
    company_name: Name


class CompanyUpdate(CompanyFields):
    """Every field optional; those given replace the stored value (`tag_ids` the whole set)."""


class ContactLink(RequestBody):
    position: Text | None = None
