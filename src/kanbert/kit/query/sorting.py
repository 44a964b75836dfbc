"""Sorting and keyset conditions over (sort keys…, id), nulls last in ascending order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, false, literal, or_, true
from sqlalchemy.sql.elements import UnaryExpression

from kanbert.kit.query.fields import Field, Kind


class SortError(ValueError):
    pass


@dataclass(frozen=True)
class SortKey:
    name: str
    field: Field
    descending: bool


def parse_sort(
    text: str | None, allowed: Mapping[str, Field], default: Sequence[str]
) -> list[SortKey]:
    names = [part.strip() for part in text.split(",")] if text else list(default)
    keys: list[SortKey] = []
    for raw in names:
        name = raw.removeprefix("-")
        if not name or name not in allowed:
            raise SortError(f"cannot sort by '{raw}'; allowed: {', '.join(allowed)}")
        if any(key.name == name for key in keys):
            raise SortError(f"'{name}' appears twice in sort")
        keys.append(SortKey(name, allowed[name], raw.startswith("-")))
    return keys


def order_by(keys: Sequence[SortKey], id_column: Any, reverse: bool) -> list[UnaryExpression[Any]]:
    clauses: list[UnaryExpression[Any]] = []
    for key in keys:
        column = key.field.sql()
        descending = key.descending != reverse
        # Nulls sort after every value ascending, so they come first descending.
        clause = column.desc().nulls_first() if descending else column.asc().nulls_last()
        clauses.append(clause)
    clauses.append(id_column.desc() if reverse else id_column.asc())
    return clauses


def _after(column: Any, value: Any, descending: bool, nullable: bool) -> ColumnElement[bool]:
    """Rows strictly after `value` in this key's order."""
    if value is None:
        return column.is_not(None) if descending else false()
    # A bound parameter, not a bare Python value: SQLAlchemy refuses `<`/`>` against a literal
    # True/False (ArgumentError, a 500 when paging a boolean sort).
    value = literal(value, column.type)
    if descending:
        return column < value
    return or_(column > value, column.is_(None)) if nullable else column > value


def _equal(column: Any, value: Any) -> ColumnElement[bool]:
    result: ColumnElement[bool] = column.is_(None) if value is None else column == value
    return result


def keyset_condition(
    keys: Sequence[SortKey], id_column: Any, values: Sequence[Any], backwards: bool
) -> ColumnElement[bool]:
    """Rows after (or, backwards, before) the row whose sort values are `values`."""
    columns = [(key.field.sql(), key.descending != backwards, key.field.nullable) for key in keys]
    columns.append((id_column, backwards, False))
    alternatives: list[ColumnElement[bool]] = []
    for position, (column, descending, nullable) in enumerate(columns):
        prefix = [_equal(c, v) for (c, _, _), v in zip(columns[:position], values, strict=False)]
        after = _after(column, values[position], descending, nullable)
        alternatives.append(and_(true(), *prefix, after))
    condition = or_(false(), *alternatives)
    bound = _range_start(*columns[0], values[0])
    return condition if bound is None else and_(bound, condition)


def _range_start(
    column: Any, descending: bool, nullable: bool, value: Any
) -> ColumnElement[bool] | None:
    """A condition every row after the cursor meets on the first key, redundant with the
    alternatives but one range an index can seek to: without it the databases read the OR from
    the first row of the index on and discard what precedes the cursor, so page 2,000 read
    100,000 rows (bench/README.md, deep pages). None where no single range exists (after a
    null, or ascending on a nullable key, whose nulls come last)."""
    if value is None:
        return None
    value = literal(value, column.type)
    if descending:
        # Descending, nulls come first: every row after a value is at most that value.
        bounded: ColumnElement[bool] = column <= value
        return bounded
    return None if nullable else column >= value


def dump_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value.value if hasattr(value, "value") and not isinstance(value, bool) else value


def load_value(kind: Kind, raw: Any) -> Any:
    """The typed value of a key read back from a cursor; ValueError if it cannot be one."""
    if raw is None:
        return None
    if kind is Kind.datetime:
        return datetime.fromisoformat(raw)
    if kind is Kind.date:
        return date.fromisoformat(raw)
    if kind in (Kind.number, Kind.currency):
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise ValueError("not a number")
        return Decimal(raw) if isinstance(raw, str) else raw
    if kind is Kind.boolean:
        if not isinstance(raw, bool):
            raise ValueError("not a boolean")
        return raw
    if not isinstance(raw, str):
        raise ValueError("not a string")
    return raw
