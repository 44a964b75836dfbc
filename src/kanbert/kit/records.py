"""Single-record reads and writes shared by every resource: lookups, ETags, uniqueness."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Query, Request
from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.kit.context import Caller
from kanbert.kit.errors import ApiError, bad_request, conflict, invalid_field, not_found
from kanbert.kit.resource import IncludeTree, Resource, prepare_rendering
from kanbert.kit.responses import JsonResponse

FindBy = Annotated[
    str,
    Query(description="How `{id}` is read: id (default), external_id or shortcode.", max_length=32),
]
Origin = Annotated[
    str | None,
    Query(
        description="With find_by=external_id: the external_origin (default: the caller's).",
        max_length=255,
    ),
]


async def get_one(
    session: AsyncSession,
    caller: Caller,
    resource: Resource,
    key: str,
    find_by: str = "id",
    origin: str | None = None,
    tree: IncludeTree | None = None,
    for_update: bool = False,
) -> Any:
    """The visible record named by `key`, or a 404 (also for records of other spaces)."""
    lookup = resource.lookups.get(find_by)
    if lookup is None:
        allowed = ", ".join(resource.lookups)
        raise bad_request("find_by", f"find_by must be one of: {allowed}; got '{find_by}'")
    query = resource.scoped(caller).where(lookup(key, caller, origin))
    query = query.options(*resource.load_options(tree or {}, caller))
    if for_update:
        query = query.with_for_update()
    found = (await session.scalars(query.limit(2))).unique().all()
    if len(found) != 1:
        raise not_found()
    await prepare_rendering(resource, tree or {}, session, caller)
    return found[0]


def etag_of(record: Any) -> str:
    stamp = f"{record.id}:{record.updated_at.isoformat()}"
    return '"' + hashlib.sha256(stamp.encode()).hexdigest()[:32] + '"'


def check_if_match(request: Request, record: Any) -> None:
    """412 when the caller's `If-Match` no longer names the record's current version."""
    header = request.headers.get("if-match")
    if header is None:
        return
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" in wanted or etag_of(record) in wanted:
        return
    raise ApiError(412, "The resource was changed since you read it (If-Match does not match).")


def with_etag(body: dict[str, Any], record: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status_code=status, headers={"ETag": etag_of(record)})


async def ensure_unique(
    session: AsyncSession,
    model: Any,
    field: str,
    condition: ColumnElement[bool],
    exclude_id: str | None = None,
    message: str | None = None,
) -> None:
    """422 naming `field` when another row of the space already matches `condition`."""
    criteria = [condition]
    if exclude_id is not None:
        criteria.append(model.id != exclude_id)
    if await session.scalar(select(exists().where(and_(*criteria)))):
        raise invalid_field(
            field, message or f"The {field.replace('_', ' ')} has already been taken."
        )


async def flush_or_conflict(session: AsyncSession) -> None:
    """Flush now so a race lost on a unique index is a clear 409, not a failed commit."""
    try:
        await session.flush()
    except IntegrityError:
        raise conflict("A concurrent change conflicts with this request; retry it.") from None


def refuse_nulls(body: Any, names: Iterable[str]) -> None:
    """422 for a PATCH that sets one of these fields to null: responses render them non-null."""
    for name in names:
        if name in body.model_fields_set and getattr(body, name) is None:
            raise invalid_field(name, f"The {name.replace('_', ' ')} field may not be null.")
