"""Lookups as resources: rendering and the list of each kind, countries included."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import true

from kanbert.kit.context import Caller
from kanbert.kit.query.fields import Field, FilterSpec, Kind
from kanbert.kit.resource import IncludeTree, Listing, Resource, by_column
from kanbert.lookups.kinds import (
    BUSINESS_FIELDS,
    COMPANY_REVENUES,
    COMPANY_SIZES,
    TAGS,
    LookupSpec,
)
from kanbert.lookups.models import (
    BusinessField,
    CompanyRevenue,
    CompanySize,
    Country,
    LookupRow,
    Tag,
    label_of,
)


def country_data(country: Country | None) -> dict[str, Any] | None:
    """CountryData; `None` for a missing reference, as nested fields are nullable."""
    if country is None:
        return None
    return {"id": country.id, "name": country.name, "code": country.code}


def _country(country: Country, _tree: IncludeTree, _caller: Caller) -> dict[str, Any]:
    rendered = country_data(country)
    assert rendered is not None
    return rendered


countries = Resource(
    name="countries",
    model=Country,
    render=_country,
    # Countries belong to no space: every caller reads the same list.
    tenancy=lambda _caller: true(),
    lookups={"id": by_column(Country.id)},
)

_country_name = Field(Kind.string, Country.name)
_country_code = Field(Kind.string, Country.code)
country_listing = Listing(
    resource=countries,
    key="countries",
    filters=FilterSpec(fields={"name": _country_name, "code": _country_code}),
    sorts={"name": _country_name, "code": _country_code},
    default_sort=("name",),
)


@dataclass(frozen=True)
class LookupKind:
    """Everything about one per-space lookup kind, built from its spec by `lookup_kind`."""

    spec: LookupSpec
    model: type[LookupRow]
    resource: Resource
    listing: Listing

    def data(self, row: LookupRow | None) -> dict[str, Any] | None:
        """The row as BusinessFieldData / TagData; `None` for a missing reference."""
        return None if row is None else {"id": row.id, self.spec.label: label_of(row, self.spec)}


def lookup_kind(spec: LookupSpec, model: type[LookupRow]) -> LookupKind:
    label = Field(Kind.string, getattr(model, spec.label))

    def render(row: LookupRow, _tree: IncludeTree, _caller: Caller) -> dict[str, Any]:
        return {"id": row.id, spec.label: label_of(row, spec)}

    resource = Resource(
        name=spec.path, model=model, render=render, lookups={"id": by_column(model.id)}
    )
    listing = Listing(
        resource=resource,
        key=spec.path,
        filters=FilterSpec(fields={spec.label: label}),
        sorts={spec.label: label},
        default_sort=(spec.label,),
    )
    return LookupKind(spec=spec, model=model, resource=resource, listing=listing)


business_fields = lookup_kind(BUSINESS_FIELDS, BusinessField)
company_sizes = lookup_kind(COMPANY_SIZES, CompanySize)
company_revenues = lookup_kind(COMPANY_REVENUES, CompanyRevenue)
tags = lookup_kind(TAGS, Tag)

LOOKUP_KINDS = (business_fields, company_sizes, company_revenues, tags)
