"""Contact request bodies. ContactData lives with CompanyData (they embed each other)."""

from __future__ import annotations

from pydantic import Field

from kanbert.companies.schemas import (
    MAX_REFERENCES,
    CountryRef,
    CrmBody,
    Email,
    IdRef,
    Text,
)
from kanbert.kit.schemas import Day, RequestBody


class CompanyRef(RequestBody):
    id: IdRef
    position: Text | None = None


class ContactFields(CrmBody):
    """The create and update body: every field optional; given ones replace stored values."""

    gender: Text | None = None
    first_name: Text | None = None
    last_name: Text | None = None
    title: Text | None = None
    title_suffix: Text | None = None
    position: Text | None = None
    locale: Text | None = None
    birthday: Day | None = None
    fax: Text | None = None
    telephone: Text | None = None
    telephone_private: Text | None = None
    mobile: Text | None = None
    mobile_private: Text | None = None
    email: Email | None = None
    email_private: Email | None = None
    address_street: Text | None = None
    address_house: Text | None = None
    address_street2: Text | None = None
    address_zip: Text | None = None
    address_state: Text | None = None
    address_town: Text | None = None
    address_country: CountryRef | None = None
    address_country_id: IdRef | None = None
    owner_id: IdRef | None = None
    # The companies the contact works at, replacing the current set when given.
    companies: list[CompanyRef] | None = Field(None, max_length=MAX_REFERENCES)
