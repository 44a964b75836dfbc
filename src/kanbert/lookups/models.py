"""CRM lookup tables: the global ISO 3166-1 country list and the four per-space pick lists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kanbert.db.base import Base, SpaceOwned, Timestamped, id_column
from kanbert.lookups.kinds import BUSINESS_FIELDS, COMPANY_REVENUES, COMPANY_SIZES, TAGS, LookupSpec


class Country(Base):
    """One ISO 3166-1 country, shared by every space; rows are inserted by the migration.

    The id *is* the alpha-2 code, so a country reference stores the code itself and filters on
    `….country.code` need no join.
    """

    __tablename__ = "countries"
    __table_args__ = (
        Index("ix_countries_name_sort", "name", "id"),
        Index("ix_countries_code_sort", "code", "id"),
    )

    id: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    code: Mapped[str] = mapped_column(String(2), nullable=False)


class LookupRow(SpaceOwned, Timestamped, Base):
    """Columns every per-space lookup has; `lookup_model` adds the label column."""

    __abstract__ = True

    id: Mapped[str] = id_column()


def lookup_model(spec: LookupSpec) -> type[LookupRow]:
    """The table model of one lookup kind: `id`, the label column, space and timestamps."""
    namespace: dict[str, Any] = {
        "__module__": __name__,
        "__tablename__": spec.table,
        "__table_args__": (
            Index(f"ix_{spec.table}_space_{spec.label}", "space_id", spec.label, "id"),
        ),
        spec.label: mapped_column(String(255), nullable=False),
    }
    return type(spec.model_name, (LookupRow,), namespace)


def label_of(row: LookupRow, spec: LookupSpec) -> str:
    label: str = getattr(row, spec.label)
    return label


BusinessField = lookup_model(BUSINESS_FIELDS)
CompanySize = lookup_model(COMPANY_SIZES)
CompanyRevenue = lookup_model(COMPANY_REVENUES)
Tag = lookup_model(TAGS)
