from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import JSON, Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kanbert.db.base import Archivable, Base, SpaceOwned, Timestamped, id_column
from kanbert.users.models import enum_column


class CustomFieldType(enum.StrEnum):
    input = "input"
    textarea = "textarea"
    number = "number"
    currency = "currency"
    date = "date"
    checkbox = "checkbox"
    select = "select"
    multiselect = "multiselect"
    user = "user"
    url = "url"
    email = "email"


class EntityType(enum.StrEnum):
    user = "user"
    client = "client"
    company = "company"
    contact = "contact"
    project = "project"
    task = "task"


class CustomField(SpaceOwned, Timestamped, Archivable, Base):
    """A custom field definition. Values live in each entity's `custom_fields` JSON column,
    keyed by this definition's id, so renaming `field_name` never touches stored values."""

    __tablename__ = "custom_fields"
    __table_args__ = (
        Index("uq_custom_fields_alias", "space_id", "entity_type", "field_name", unique=True),
        Index("ix_custom_fields_space_title", "space_id", "title", "id"),
        Index("ix_custom_fields_space_field_name", "space_id", "field_name", "id"),
        Index("ix_custom_fields_space_created_at", "space_id", "created_at", "id"),
    )

    id: Mapped[str] = id_column()
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    field_name: Mapped[str] = mapped_column(String(64), nullable=False)
    type: Mapped[CustomFieldType] = mapped_column(
        enum_column(CustomFieldType, "custom_field_type"), nullable=False
    )
    entity_type: Mapped[EntityType] = mapped_column(
        enum_column(EntityType, "custom_field_entity"), nullable=False
    )
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    is_required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
