"""Writes companies and contacts do alike: access, plain fields, references, external ids,
custom fields, archiving, and reading a written record back for its response."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.custom_fields import values
from kanbert.custom_fields.models import EntityType
from kanbert.kit.context import Caller
from kanbert.kit.errors import forbidden, invalid_field
from kanbert.kit.records import ensure_unique, flush_or_conflict
from kanbert.kit.resource import IncludeTree, Resource, prepare_rendering
from kanbert.kit.timefmt import utcnow
from kanbert.lookups.service import country_by_id, country_by_name_or_code
from kanbert.users.resource import LIMITED_TYPES
from kanbert.webhooks.capture import deleting_record


def crm_visible(caller: Caller) -> ColumnElement[bool] | None:
    # Guests and tax advisors see no CRM data (auth.md §4): to them it does not exist.
    return false() if caller.user_type in LIMITED_TYPES else None


def ensure_crm_access(caller: Caller) -> None:
    """Creating needs this check; other writes reach only visible records (404 otherwise)."""
    if caller.user_type in LIMITED_TYPES:
        raise forbidden("Your user type may not change CRM data.")


def assign_plain(record: Any, body: BaseModel, names: Iterable[str]) -> None:
    """Copy the given (not merely defaulted) body fields onto the record's same-named columns."""
    for name in names:
        if name in body.model_fields_set:
            setattr(record, name, getattr(body, name))


async def assign_country(
    session: AsyncSession, record: Any, body: BaseModel, attribute: str
) -> None:
    """`<attribute>_id` (a country id) wins over `<attribute>` (a code or name) when both come."""
    given = body.model_fields_set
    id_field = f"{attribute}_id"
    if id_field in given:
        country_id = getattr(body, id_field)
        country = None if country_id is None else await country_by_id(session, country_id, id_field)
    elif attribute in given:
        named = getattr(body, attribute)
        country = (
            None if named is None else await country_by_name_or_code(session, named, attribute)
        )
    else:
        return
    setattr(record, id_field, None if country is None else country.id)


async def assign_reference(
    session: AsyncSession,
    caller: Caller,
    record: Any,
    field: str,
    model: Any,
    value: str | None,
    noun: str,
) -> None:
    """Set `record.<field>`: a newly referenced row must be an active one of this space (422).

    Sending back the reference already stored is always fine, even once that row has been
    archived: sync tools re-send whole records.
    """
    if value is not None and value != getattr(record, field):
        found = await session.scalar(
            select(model.id).where(
                model.id == value, model.space_id == caller.space_id, model.deleted_at.is_(None)
            )
        )
        if found is None:
            raise invalid_field(field, f"The selected {noun} does not exist.")
    setattr(record, field, value)


async def assign_external(session: AsyncSession, caller: Caller, record: Any, body: Any) -> None:
    """Apply `external_id` / `external_origin`; the pair is unique per space and type (422).

    The origin defaults to the caller's (its integration's slug) once there is an external id.
    """
    given = body.model_fields_set
    if not given & {"external_id", "external_origin"}:
        return
    external_id = body.external_id if "external_id" in given else record.external_id
    origin = body.external_origin if "external_origin" in given else record.external_origin
    if external_id is not None or origin is not None:
        origin = origin or caller.origin
    model = type(record)
    if external_id is not None:
        await ensure_unique(
            session,
            model,
            "external_id",
            (model.space_id == caller.space_id)
            & (model.external_origin == origin)
            & (model.external_id == external_id),
            record.id,
        )
    record.external_id = external_id
    record.external_origin = origin


async def assign_custom_fields(
    session: AsyncSession,
    caller: Caller,
    entity_type: EntityType,
    record: Any,
    incoming: dict[str, Any] | None,
    creating: bool,
) -> None:
    record.custom_fields = await values.merge(
        session, caller, entity_type, record.custom_fields, incoming, creating=creating
    )


def touch(*records: Any) -> None:
    # A write that changes only relations or custom fields must still move the ETag.
    now = utcnow()
    for record in records:
        record.updated_at = now


# A race lost on a unique index is a clear 409, not a failed commit.
flush = flush_or_conflict


async def archive(session: AsyncSession, record: Any) -> None:
    if record.deleted_at is None:
        record.deleted_at = utcnow()
    await flush(session)


async def restore(session: AsyncSession, record: Any) -> None:
    record.deleted_at = None
    await flush(session)


async def force_delete(session: AsyncSession, record: Any) -> None:
    # Links to companies / contacts and tags go with the row (ON DELETE CASCADE); the records
    # on their other side stay.
    await deleting_record(session, record)
    await session.delete(record)
    await flush(session)


async def reloaded(
    session: AsyncSession,
    caller: Caller,
    resource: Resource,
    record_id: str,
    tree: IncludeTree | None = None,
) -> Any:
    """The record as its response renders it, read afresh after a write.

    Writes set foreign keys and link rows; reading the row again with the resource's loads
    (`populate_existing`) brings every rendered relation up to date in a fixed number of
    statements.
    """
    tree = tree or {}
    query = (
        resource.scoped(caller)
        .where(resource.model.id == record_id)
        .options(*resource.load_options(tree, caller))
        .execution_options(populate_existing=True)
    )
    record = (await session.scalars(query)).unique().one()
    await prepare_rendering(resource, tree, session, caller)
    return record
