"""CRM: countries (preloaded), per-space lookups, companies, contacts and their links

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import pycountry
import sqlalchemy as sa
from alembic import op

import kanbert.db.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The per-space lookup tables and their one label column.
LOOKUPS = (
    ("business_fields", "name"),
    ("company_sizes", "title"),
    ("company_revenues", "title"),
    ("tags", "title"),
)


def _text(name: str) -> sa.Column:
    return sa.Column(name, sa.String(length=255), nullable=True)


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", kanbert.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", kanbert.db.base.UTCDateTime(), nullable=False),
    ]


def _record_columns() -> list[sa.Column]:
    """Columns of an archivable, externally identified record of a space."""
    return [
        sa.Column("space_id", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("external_origin", sa.String(length=255), nullable=True),
        *_timestamps(),
        sa.Column("deleted_at", kanbert.db.base.UTCDateTime(), nullable=True),
    ]


def _fk(table: str, column: str, target: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete)


def _indexes(table: str, foreign_keys: Sequence[str], sorts: Sequence[str]) -> None:
    op.create_index(f"ix_{table}_space_id", table, ["space_id"])
    op.create_index(f"uq_{table}_external", table, ["space_id", "external_origin", "external_id"],
                    unique=True)
    for column in sorts:
        op.create_index(f"ix_{table}_space_{column}", table, ["space_id", column, "id"])
    for column in foreign_keys:
        op.create_index(f"ix_{table}_{column}", table, [column])


def upgrade() -> None:
    countries = op.create_table(
        "countries",
        sa.Column("id", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_countries")),
    )
    op.create_index("ix_countries_name_sort", "countries", ["name", "id"])
    op.create_index("ix_countries_code_sort", "countries", ["code", "id"])
    # All of ISO 3166-1; a country's id is its alpha-2 code.
    op.bulk_insert(countries, [
        {"id": country.alpha_2, "name": country.name, "code": country.alpha_2}
        for country in pycountry.countries
    ])

    for table, label in LOOKUPS:
        op.create_table(
            table,
            sa.Column(label, sa.String(length=255), nullable=False),
            sa.Column("id", sa.String(length=32), nullable=False),
            sa.Column("space_id", sa.String(length=32), nullable=False),
            *_timestamps(),
            _fk(table, "space_id", "spaces", "CASCADE"),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        )
        op.create_index(f"ix_{table}_space_id", table, ["space_id"])
        op.create_index(f"ix_{table}_space_{label}", table, ["space_id", label, "id"])

    op.create_table(
        "companies",
        sa.Column("id", sa.String(length=32), nullable=False),
        *(_text(name) for name in ("vendor_identifier", "company_name", "locale", "tax_uid")),
        sa.Column("taxation_enabled", sa.Boolean(), nullable=False),
        *(_text(name) for name in ("iban", "bic", "email", "email_general", "phone", "fax",
                                   "homepage")),
        sa.Column("invoices_by_post", sa.Boolean(), nullable=False),
        sa.Column("invoices_by_email", sa.Boolean(), nullable=False),
        sa.Column("business_field_id", sa.String(length=32), nullable=True),
        sa.Column("company_size_id", sa.String(length=32), nullable=True),
        sa.Column("company_revenue_id", sa.String(length=32), nullable=True),
        *(_text(name) for name in ("person_attention_to", "address_invoice_title",
                                   "address_invoice_street", "address_invoice_house",
                                   "address_invoice_street2", "address_invoice_zip",
                                   "address_invoice_state", "address_invoice_town")),
        sa.Column("address_invoice_country_id", sa.String(length=2), nullable=True),
        sa.Column("address_invoice_is_delivery", sa.Boolean(), nullable=False),
        *(_text(name) for name in ("delivery_person_attention_to", "address_delivery_title",
                                   "address_delivery_street", "address_delivery_house",
                                   "address_delivery_street2", "address_delivery_zip",
                                   "address_delivery_state", "address_delivery_town")),
        sa.Column("address_delivery_country_id", sa.String(length=2), nullable=True),
        sa.Column("client_id", sa.String(length=32), nullable=True),
        sa.Column("custom_fields", sa.JSON(), nullable=False),
        *_record_columns(),
        _fk("companies", "address_delivery_country_id", "countries"),
        _fk("companies", "address_invoice_country_id", "countries"),
        _fk("companies", "business_field_id", "business_fields", "SET NULL"),
        _fk("companies", "client_id", "clients", "SET NULL"),
        _fk("companies", "company_revenue_id", "company_revenues", "SET NULL"),
        _fk("companies", "company_size_id", "company_sizes", "SET NULL"),
        _fk("companies", "space_id", "spaces", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companies")),
    )
    _indexes(
        "companies",
        foreign_keys=("address_delivery_country_id", "address_invoice_country_id",
                      "business_field_id", "client_id", "company_revenue_id", "company_size_id"),
        sorts=("company_name", "created_at", "updated_at"),
    )

    op.create_table(
        "contacts",
        sa.Column("id", sa.String(length=32), nullable=False),
        *(_text(name) for name in ("gender", "first_name", "last_name", "title", "title_suffix",
                                   "position", "locale")),
        sa.Column("birthday", sa.Date(), nullable=True),
        *(_text(name) for name in ("fax", "telephone", "telephone_private", "mobile",
                                   "mobile_private", "email", "email_private", "address_street",
                                   "address_house", "address_street2", "address_zip",
                                   "address_state", "address_town")),
        sa.Column("address_country_id", sa.String(length=2), nullable=True),
        sa.Column("owner_id", sa.String(length=32), nullable=True),
        sa.Column("client_id", sa.String(length=32), nullable=True),
        sa.Column("custom_fields", sa.JSON(), nullable=False),
        *_record_columns(),
        _fk("contacts", "address_country_id", "countries"),
        _fk("contacts", "client_id", "clients", "SET NULL"),
        _fk("contacts", "owner_id", "users", "SET NULL"),
        _fk("contacts", "space_id", "spaces", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    _indexes(
        "contacts",
        foreign_keys=("address_country_id", "client_id", "owner_id"),
        sorts=("created_at", "first_name", "last_name"),
    )

    op.create_table(
        "company_tags",
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("tag_id", sa.String(length=32), nullable=False),
        _fk("company_tags", "company_id", "companies", "CASCADE"),
        _fk("company_tags", "tag_id", "tags", "CASCADE"),
        sa.PrimaryKeyConstraint("company_id", "tag_id", name=op.f("pk_company_tags")),
    )
    op.create_index("ix_company_tags_tag_id", "company_tags", ["tag_id"])

    op.create_table(
        "contact_companies",
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("contact_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.String(length=255), nullable=True),
        _fk("contact_companies", "company_id", "companies", "CASCADE"),
        _fk("contact_companies", "contact_id", "contacts", "CASCADE"),
        sa.PrimaryKeyConstraint("company_id", "contact_id", name=op.f("pk_contact_companies")),
    )
    op.create_index("ix_contact_companies_contact_id", "contact_companies", ["contact_id"])


def downgrade() -> None:
    for table in ("contact_companies", "company_tags", "contacts", "companies",
                  *(table for table, _label in reversed(LOOKUPS)), "countries"):
        op.drop_table(table)
