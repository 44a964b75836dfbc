"""Custom field definitions: create, change, archive, restore."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.custom_fields.models import CustomField
from kanbert.custom_fields.resource import SELECT_TYPES
from kanbert.custom_fields.schemas import CustomFieldCreate, CustomFieldUpdate, Option
from kanbert.custom_fields.values import definitions_changed
from kanbert.kit.context import Caller
from kanbert.kit.errors import invalid_field
from kanbert.kit.records import ensure_unique, flush_or_conflict
from kanbert.kit.timefmt import utcnow


def _options(field_type: str, options: list[Option]) -> list[dict[str, str]]:
    if field_type in SELECT_TYPES and not options:
        raise invalid_field("options", "A select field needs at least one option.")
    if field_type not in SELECT_TYPES and options:
        raise invalid_field("options", "Only select and multiselect fields take options.")
    seen: set[str] = set()
    for option in options:
        if option.value.lower() in seen:
            raise invalid_field("options", f"The option value '{option.value}' appears twice.")
        seen.add(option.value.lower())
    return [option.model_dump() for option in options]


async def _unique_alias(
    session: AsyncSession,
    caller: Caller,
    field: CustomField | CustomFieldCreate,
    alias: str,
    exclude_id: str | None = None,
) -> None:
    await ensure_unique(
        session,
        CustomField,
        "field_name",
        (CustomField.space_id == caller.space_id)
        & (CustomField.entity_type == field.entity_type)
        & (CustomField.field_name == alias),
        exclude_id,
    )


async def create_field(
    session: AsyncSession, caller: Caller, body: CustomFieldCreate
) -> CustomField:
    await _unique_alias(session, caller, body, body.field_name)
    field = CustomField(
        space_id=caller.space_id,
        title=body.title,
        field_name=body.field_name,
        type=body.type,
        entity_type=body.entity_type,
        options=_options(body.type, body.options),
        is_required=body.is_required,
    )
    session.add(field)
    await flush_or_conflict(session)
    await definitions_changed(session, caller.space_id)
    return field


async def update_field(
    session: AsyncSession, caller: Caller, field: CustomField, body: CustomFieldUpdate
) -> CustomField:
    for name in body.model_fields_set & {"title", "field_name", "options", "is_required"}:
        if getattr(body, name) is None:
            raise invalid_field(name, f"The {name} field may not be null.")
    if body.field_name is not None and body.field_name != field.field_name:
        await _unique_alias(session, caller, field, body.field_name, field.id)
        field.field_name = body.field_name
    if body.title is not None:
        field.title = body.title
    if body.options is not None:
        field.options = _options(field.type, body.options)
    if body.is_required is not None:
        field.is_required = body.is_required
    await flush_or_conflict(session)
    await definitions_changed(session, caller.space_id)
    return field


async def archive_field(session: AsyncSession, field: CustomField) -> None:
    # Stored values stay in each entity's custom_fields column; restoring brings them back.
    if field.deleted_at is None:
        field.deleted_at = utcnow()
    await flush_or_conflict(session)
    await definitions_changed(session, field.space_id)


async def restore_field(session: AsyncSession, field: CustomField) -> CustomField:
    field.deleted_at = None
    await flush_or_conflict(session)
    await definitions_changed(session, field.space_id)
    return field
