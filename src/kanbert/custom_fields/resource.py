"""Custom field definitions as a resource: rendering, lookups and the list."""

from __future__ import annotations

from typing import Any

from kanbert.custom_fields.models import CustomField, CustomFieldType
from kanbert.kit.context import Caller
from kanbert.kit.query.fields import Field, FilterSpec, Kind, archived_mode
from kanbert.kit.resource import IncludeTree, Listing, Resource, by_column
from kanbert.kit.timefmt import format_datetime


def custom_field_data(field: CustomField, _tree: IncludeTree, _caller: Caller) -> dict[str, Any]:
    return {
        "id": field.id,
        "title": field.title,
        "field_name": field.field_name,
        "type": field.type.value,
        "entity_type": field.entity_type.value,
        "options": field.options,
        "is_required": field.is_required,
        "created_at": format_datetime(field.created_at),
        "updated_at": format_datetime(field.updated_at),
        "deleted_at": format_datetime(field.deleted_at),
    }


custom_fields = Resource(
    name="custom-fields",
    model=CustomField,
    render=custom_field_data,
    lookups={"id": by_column(CustomField.id)},
)

_title = Field(Kind.string, CustomField.title)
_field_name = Field(Kind.string, CustomField.field_name)

custom_field_listing = Listing(
    resource=custom_fields,
    key="custom-fields",
    filters=FilterSpec(
        fields={
            "title": _title,
            "type": Field(Kind.enum, CustomField.type, choices=tuple(CustomFieldType)),
            # The contract types entity_type as a string; values are still one of the enum's.
            "entity_type": Field(Kind.string, CustomField.entity_type),
        },
        modes={"archived": archived_mode(CustomField.deleted_at)},
    ),
    sorts={
        "title": _title,
        "field_name": _field_name,
        "created_at": Field(Kind.datetime, CustomField.created_at),
    },
    default_sort=("title",),
)

SELECT_TYPES = (CustomFieldType.select, CustomFieldType.multiselect)
