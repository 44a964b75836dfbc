from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, StringConstraints

from kanbert.custom_fields.models import CustomFieldType, EntityType
from kanbert.kit.schemas import RequestBody

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
# Aliases appear in `custom_fields.<alias>` filters and as JSON keys: keep them identifiers.
Alias = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
# Option values are matched inside stored JSON lists (multiselect filters): a safe alphabet.
OptionValue = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")]
Label = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class Option(BaseModel):
    value: OptionValue
    label: Label


class CustomFieldData(BaseModel):
    id: str
    title: str
    field_name: str
    type: CustomFieldType
    entity_type: EntityType
    options: list[Option]
    is_required: bool
    created_at: str
    updated_at: str | None
    deleted_at: str | None


class CustomFieldCreate(RequestBody):
    title: Title
    field_name: Alias
    type: CustomFieldType
    entity_type: EntityType
    options: list[Option] = []
    is_required: bool = False


class CustomFieldUpdate(RequestBody):
    title: Title | None = None
    field_name: Alias | None = None
    options: list[Option] | None = None
    is_required: bool | None = None
