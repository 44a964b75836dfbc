"""Custom field values: one generic mechanism for every entity with a `custom_fields` column.

A domain declares its entity type once and calls:
- `prepare(session, caller, entity_type)` before rendering (loads the space's active fields,
  memoised per request; the list pipeline and `get_one` call it through `Resource.prepare`);
- `render(entity, entity_type, caller)` for the `custom_fields` object of a response;
- `await merge(session, caller, entity_type, entity, incoming, creating)` on writes (422 naming
  `custom_fields.<alias>` for an unknown key, a bad value or a missing required one);
- `listing_extension(entity_type, column)` for `custom_fields.<alias>` filters and sorts.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Date, Update, func, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from kanbert.custom_fields.models import CustomField, CustomFieldType, EntityType
from kanbert.kit.context import Caller
from kanbert.kit.errors import invalid
from kanbert.kit.query.fields import Field, Kind
from kanbert.kit.resource import Extension
from kanbert.spaces.models import Space
from kanbert.users.models import User
from kanbert.webhooks.capture import CALLER_KEY

PREFIX = "custom_fields."
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)


MEMO_KEY = "custom_fields"
Definitions = dict[EntityType, list[CustomField]]
# Per database (engine) and space: (custom_fields_version, definitions). Saves every read of an
# entity with custom fields one statement; the version, read with the token, says when another
# request or process changed them. The cached rows are detached and only ever read.
_cache: weakref.WeakKeyDictionary[Any, dict[str, tuple[int, Definitions]]] = (
    weakref.WeakKeyDictionary()
)


async def active_fields(
    session: AsyncSession, caller: Caller, entity_type: EntityType
) -> list[CustomField]:
    """The space's non-archived fields for an entity type. The fields of every entity type are
    loaded at once (a task list with its projects included needs both; a space has a handful
    of fields), at most once per request and not at all while the version is unchanged."""
    if MEMO_KEY not in caller.memo:
        caller.memo[MEMO_KEY] = await _definitions(session, caller)
    fields: list[CustomField] = caller.memo[MEMO_KEY][entity_type]
    return fields


async def _definitions(session: AsyncSession, caller: Caller) -> Definitions:
    version = caller.custom_fields_version
    if _writes_fields(session):
        version = None  # what this transaction sees is neither the cached set nor to be cached
    spaces = _cache.setdefault(session.get_bind(), {})
    cached = spaces.get(caller.space_id)
    if version is not None and cached is not None and cached[0] == version:
        return cached[1]
    query = (
        select(CustomField)
        .where(CustomField.space_id == caller.space_id, CustomField.deleted_at.is_(None))
        .order_by(CustomField.created_at, CustomField.id)
    )
    fields = list(await session.scalars(query))
    if version is None:
        return _by_type(fields)
    # Copies, in no session: the cache outlives this one, and what this request loads or
    # changes later must not reach the cache.
    definitions = _by_type([_copy(field) for field in fields])
    spaces[caller.space_id] = (version, definitions)
    return definitions


def _by_type(fields: list[CustomField]) -> Definitions:
    by_type: Definitions = {kind: [] for kind in EntityType}
    for field in fields:
        by_type[field.entity_type].append(field)
    return by_type


def _copy(field: CustomField) -> CustomField:
    return CustomField(**{column.key: getattr(field, column.key) for column in _COLUMNS})


_COLUMNS = list(inspect(CustomField).column_attrs)
_CHANGED_KEY = "custom_fields_changed"


def _writes_fields(session: AsyncSession) -> bool:
    """Whether this transaction changed definitions (every writer says so through
    `definitions_changed`): what it sees may yet roll back."""
    changed: bool = session.info.get(_CHANGED_KEY, False)
    return changed


async def definitions_changed(session: AsyncSession, space_id: str) -> None:
    """Call in the transaction that creates, changes, archives or restores a field: every
    process loads the definitions afresh once it commits."""
    session.info[_CHANGED_KEY] = True
    caller = session.info.get(CALLER_KEY)
    if caller is not None:
        caller.memo.pop(MEMO_KEY, None)  # read again, with this change, if rendered later
    await session.execute(next_version(space_id))


def next_version(space_id: str) -> Update:
    """The statement that tells every process the space's definitions changed (bulk writers
    such as `kanbert seed` run it themselves)."""
    return (
        update(Space)
        .where(Space.id == space_id)
        # Not a change of the space itself: its updated_at stays.
        .values(custom_fields_version=Space.custom_fields_version + 1, updated_at=Space.updated_at)
    )


def prepare(entity_type: EntityType) -> Callable[[AsyncSession, Caller], Awaitable[None]]:
    async def load(session: AsyncSession, caller: Caller) -> None:
        await active_fields(session, caller, entity_type)

    return load


def render(
    stored: Mapping[str, Any] | None, entity_type: EntityType, caller: Caller
) -> dict[str, Any]:
    """Every active field of the entity type by alias, `null` when unset."""
    fields: list[CustomField] = caller.memo.get(MEMO_KEY, {}).get(entity_type, [])
    values = stored or {}
    return {field.field_name: values.get(field.id) for field in fields}


# -- writes ---------------------------------------------------------------------------------


def _check_value(field: CustomField, value: Any) -> Any:
    """The value as stored, or ValueError with the reason."""
    kind = field.type
    if kind in (CustomFieldType.input, CustomFieldType.textarea):
        limit = 255 if kind is CustomFieldType.input else 65535
        if not isinstance(value, str) or len(value) > limit:
            raise ValueError(f"must be a string of at most {limit} characters")
        return value
    if kind is CustomFieldType.email:
        if not isinstance(value, str) or not _EMAIL.match(value) or len(value) > 255:
            raise ValueError("must be a valid e-mail address")
        return value
    if kind is CustomFieldType.url:
        if not isinstance(value, str) or not _URL.match(value) or len(value) > 2048:
            raise ValueError("must be an http(s) URL")
        return value
    if kind in (CustomFieldType.number, CustomFieldType.currency):
        return _number(value, kind is CustomFieldType.currency)
    if kind is CustomFieldType.date:
        if not isinstance(value, str):
            raise ValueError("must be a date (YYYY-MM-DD)")
        try:
            return date.fromisoformat(value).isoformat() if len(value) == 10 else _bad_date()
        except ValueError:
            raise ValueError("must be a date (YYYY-MM-DD)") from None
    if kind is CustomFieldType.checkbox:
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    allowed = [str(option["value"]) for option in field.options]
    if kind is CustomFieldType.select:
        if value not in allowed:
            raise ValueError(f"must be one of: {', '.join(allowed)}")
        return value
    if kind is CustomFieldType.multiselect:
        if not isinstance(value, list) or any(item not in allowed for item in value):
            raise ValueError(f"must be a list of: {', '.join(allowed)}")
        return list(dict.fromkeys(value))
    if not isinstance(value, str) or len(value) > 64:  # user: checked against the space later
        raise ValueError("must be a user id")
    return value


def _bad_date() -> str:
    raise ValueError


def _number(value: Any, currency: bool) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    try:
        exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ValueError("must be a number") from None
    if not exact.is_finite() or abs(exact) >= Decimal(10) ** 15:
        raise ValueError("must be a finite number below 10^15")
    if currency and exact != exact.quantize(Decimal("0.01")):
        raise ValueError("must have at most two decimal places")
    return value


async def merge(
    session: AsyncSession,
    caller: Caller,
    entity_type: EntityType,
    stored: Mapping[str, Any] | None,
    incoming: Any,
    creating: bool,
) -> dict[str, Any]:
    """The entity's new stored values (keyed by field id) after applying `incoming` (by alias).

    Values of archived fields are kept untouched, so restoring a field brings them back.
    """
    fields = await active_fields(session, caller, entity_type)
    by_alias = {field.field_name: field for field in fields}
    result = dict(stored or {})
    errors: dict[str, list[str]] = {}
    if incoming is not None and not isinstance(incoming, dict):
        raise invalid({"custom_fields": ["must be an object of alias: value"]})
    for alias, value in (incoming or {}).items():
        field = by_alias.get(alias)
        if field is None:
            errors[f"{PREFIX}{alias}"] = ["Unknown custom field."]
            continue
        if value is None:
            result.pop(field.id, None)
            continue
        try:
            result[field.id] = _check_value(field, value)
        except ValueError as problem:
            errors[f"{PREFIX}{alias}"] = [f"The {alias} field {problem}."]
    errors.update(await _unknown_users(session, caller, fields, result, incoming or {}))
    for field in fields:
        alias = field.field_name
        touched = creating or alias in (incoming or {})
        if field.is_required and touched and result.get(field.id) is None:
            errors.setdefault(f"{PREFIX}{alias}", [f"The {alias} field is required."])
    if errors:
        raise invalid(errors)
    return result


async def _unknown_users(
    session: AsyncSession,
    caller: Caller,
    fields: list[CustomField],
    values: dict[str, Any],
    incoming: Mapping[str, Any],
) -> dict[str, list[str]]:
    wanted = {
        field.field_name: values[field.id]
        for field in fields
        if field.type is CustomFieldType.user
        and field.field_name in incoming
        and values.get(field.id) is not None
    }
    if not wanted:
        return {}
    found = set(
        (
            await session.scalars(
                select(User.id).where(
                    User.space_id == caller.space_id, User.id.in_(set(wanted.values()))
                )
            )
        ).all()
    )
    return {
        f"{PREFIX}{alias}": [f"The {alias} field must be a user of this space."]
        for alias, user_id in wanted.items()
        if user_id not in found
    }


# -- filters and sorts ------------------------------------------------------------------------


class json_date(FunctionElement[date]):
    """An ISO date stored in JSON, typed as a date: PostgreSQL casts the text, SQLite compares
    the ISO strings themselves (its Date type binds and reads them as such)."""

    type = Date()
    inherit_cache = True
    name = "json_date"


@compiles(json_date)
def _json_date_default(element: json_date, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(json_date, "sqlite")
def _json_date_sqlite(element: json_date, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


_KINDS: dict[CustomFieldType, Kind] = {
    CustomFieldType.input: Kind.string,
    CustomFieldType.textarea: Kind.string,
    CustomFieldType.url: Kind.string,
    CustomFieldType.email: Kind.string,
    CustomFieldType.number: Kind.number,
    CustomFieldType.currency: Kind.currency,
    CustomFieldType.date: Kind.date,
    CustomFieldType.checkbox: Kind.boolean,
    CustomFieldType.select: Kind.enum,
    CustomFieldType.multiselect: Kind.enum,
    CustomFieldType.user: Kind.id,
}


def _expression(field: CustomField, column: Any) -> Any:
    value = column[field.id]
    if field.type in (CustomFieldType.number,):
        return value.as_float()
    if field.type is CustomFieldType.currency:
        return value.as_numeric(17, 2)
    if field.type is CustomFieldType.checkbox:
        return value.as_boolean()
    if field.type is CustomFieldType.date:
        return json_date(value.as_string())
    return value.as_string()


def _multiselect_contains(column: Any, field: CustomField) -> Callable[[str], Any]:
    """`eq`/`in` on a multiselect match when the stored list holds the value.

    Stored lists are JSON text; option values are restricted to a safe alphabet and unique
    case-insensitively, so a quoted-token match is exact on both engines.
    """
    text = func.lower(column[field.id].as_string())

    def contains(option: str) -> Any:
        return text.like(f'%"{option.lower()}"%')

    return contains


def custom_field(field: CustomField, column: Any) -> Field:
    choices = tuple(str(option["value"]) for option in field.options)
    if field.type is CustomFieldType.multiselect:
        return Field(
            Kind.enum,
            column[field.id].as_string(),
            nullable=True,
            choices=choices,
            contains=_multiselect_contains(column, field),
        )
    return Field(_KINDS[field.type], _expression(field, column), nullable=True, choices=choices)


def listing_extension(
    entity_type: EntityType, column: Any
) -> Callable[[AsyncSession, Caller], Awaitable[Extension]]:
    """`custom_fields.<alias>` filter fields and sort keys for a list, per the caller's space."""

    async def extend(session: AsyncSession, caller: Caller) -> Extension:
        fields = await active_fields(session, caller, entity_type)
        declared = {f"{PREFIX}{field.field_name}": custom_field(field, column) for field in fields}
        return Extension(filters=declared, sorts=declared)

    return extend
