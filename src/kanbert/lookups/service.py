"""Lookup writes, and the resolution of lookup references sent in CRM request bodies."""

from __future__ import annotations

from collections.abc import Sequence

import pycountry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.kit.context import Caller
from kanbert.kit.errors import invalid_field
from kanbert.kit.records import flush_or_conflict
from kanbert.kit.schemas import RequestBody
from kanbert.lookups.models import Country, LookupRow, Tag
from kanbert.lookups.resource import LookupKind


async def create_lookup(
    session: AsyncSession, caller: Caller, kind: LookupKind, body: RequestBody
) -> LookupRow:
    label = kind.spec.label
    row = kind.model(space_id=caller.space_id, **{label: getattr(body, label)})
    session.add(row)
    await flush_or_conflict(session)
    return row


async def update_lookup(
    session: AsyncSession, kind: LookupKind, row: LookupRow, body: RequestBody
) -> LookupRow:
    label = kind.spec.label
    setattr(row, label, getattr(body, label))
    await flush_or_conflict(session)
    return row


async def delete_lookup(session: AsyncSession, row: LookupRow) -> None:
    # A hard delete: the foreign keys clear what referenced the row (companies' lookup columns
    # are ON DELETE SET NULL, tag links ON DELETE CASCADE), so no company is loaded or touched.
    await session.delete(row)
    await flush_or_conflict(session)


# -- references from CRM bodies -------------------------------------------------------------


async def country_by_id(session: AsyncSession, country_id: str, field: str) -> Country:
    country = await session.get(Country, country_id)
    if country is None:
        raise invalid_field(field, f"The selected {field} does not exist.")
    return country


async def country_by_name_or_code(session: AsyncSession, value: str, field: str) -> Country:
    """The country an ISO 3166-1 alpha-2, alpha-3 or numeric code or English name names.

    pycountry matches every one of those case-insensitively; the row must also exist here (a
    newer pycountry may know a country this database's migration did not insert).
    """
    text = value.strip()
    if text.isdigit():
        text = text.zfill(3)  # numeric codes are three digits: 40 means Austria's "040"
    try:
        code = pycountry.countries.lookup(text).alpha_2
    except LookupError:
        code = None
    country = await session.get(Country, code) if code else None
    if country is None:
        raise invalid_field(
            field,
            f"Unknown country {value!r}: give an ISO 3166-1 alpha-2, alpha-3 or numeric code "
            "or the English name.",
        )
    return country


async def referenced_lookup(
    session: AsyncSession, caller: Caller, kind: LookupKind, row_id: str | None, field: str
) -> LookupRow | None:
    """The lookup row of this space that `field` names (422 naming the field if none)."""
    if row_id is None:
        return None
    model = kind.model
    row = await session.scalar(
        select(model).where(model.id == row_id, model.space_id == caller.space_id)
    )
    if row is None:
        raise invalid_field(field, f"The selected {kind.spec.noun} does not exist.")
    return row


async def referenced_tags(
    session: AsyncSession, caller: Caller, tag_ids: Sequence[str], field: str
) -> list[LookupRow]:
    """The tags of this space that `field` lists, without duplicates (422 if one is unknown)."""
    wanted = list(dict.fromkeys(tag_ids))
    if not wanted:
        return []
    found = (
        await session.scalars(
            select(Tag).where(Tag.id.in_(wanted), Tag.space_id == caller.space_id)
        )
    ).all()
    missing = set(wanted) - {tag.id for tag in found}
    if missing:
        raise invalid_field(field, f"Unknown tags: {', '.join(sorted(missing))}.")
    return list(found)
