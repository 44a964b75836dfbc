from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kanbert.clients.models import Client
from kanbert.companies.models import ContactCompany, text_column
from kanbert.db.base import (
    Archivable,
    Base,
    ExternallyIdentified,
    SpaceOwned,
    Timestamped,
    id_column,
)
from kanbert.lookups.models import Country
from kanbert.users.models import User

# The plain text columns of a contact, in ContactData order: the body, the model and the
# rendering all walk this one list.
CONTACT_TEXT_FIELDS = (
    "gender",
    "first_name",
    "last_name",
    "title",
    "title_suffix",
    "position",
    "locale",
    "fax",
    "telephone",
    "telephone_private",
    "mobile",
    "mobile_private",
    "email",
    "email_private",
    "address_street",
    "address_house",
    "address_street2",
    "address_zip",
    "address_state",
    "address_town",
)


class Contact(SpaceOwned, ExternallyIdentified, Timestamped, Archivable, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        Index("uq_contacts_external", "space_id", "external_origin", "external_id", unique=True),
        Index("ix_contacts_space_first_name", "space_id", "first_name", "id"),
        Index("ix_contacts_space_last_name", "space_id", "last_name", "id"),
        Index("ix_contacts_space_created_at", "space_id", "created_at", "id"),
    )

    id: Mapped[str] = id_column()
    gender: Mapped[str | None] = text_column()
    first_name: Mapped[str | None] = text_column()
    last_name: Mapped[str | None] = text_column()
    title: Mapped[str | None] = text_column()
    title_suffix: Mapped[str | None] = text_column()
    position: Mapped[str | None] = text_column()
    locale: Mapped[str | None] = text_column()
    birthday: Mapped[date | None] = mapped_column(Date, nullable=True)
    fax: Mapped[str | None] = text_column()
    telephone: Mapped[str | None] = text_column()
    telephone_private: Mapped[str | None] = text_column()
    mobile: Mapped[str | None] = text_column()
    mobile_private: Mapped[str | None] = text_column()
    email: Mapped[str | None] = text_column()
    email_private: Mapped[str | None] = text_column()
    address_street: Mapped[str | None] = text_column()
    address_house: Mapped[str | None] = text_column()
    address_street2: Mapped[str | None] = text_column()
    address_zip: Mapped[str | None] = text_column()
    address_state: Mapped[str | None] = text_column()
    address_town: Mapped[str | None] = text_column()
    address_country_id: Mapped[str | None] = mapped_column(
        String(2), ForeignKey("countries.id"), nullable=True, index=True
    )
    owner_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    client_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("clients.id", ondelete="SET NULL"), nullable=True, index=True
    )
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)

    address_country: Mapped[Country | None] = relationship(lazy="raise")
    owner: Mapped[User | None] = relationship(lazy="raise")
    client: Mapped[Client | None] = relationship(lazy="raise")
    company_links: Mapped[list[ContactCompany]] = relationship(
        back_populates="contact",
        lazy="raise",
        order_by=lambda: ContactCompany.company_id,
        passive_deletes=True,
    )
