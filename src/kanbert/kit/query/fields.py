"""How a resource declares what may be filtered and sorted: typed fields and relations.

Domain folders build these from their own columns; the compiler and the list pipeline only ever
see these declarations, never a domain model by name.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

from sqlalchemy import ColumnElement, not_
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.expression import FromClause

if TYPE_CHECKING:
    from kanbert.kit.query.values import ValueContext


class Kind(enum.StrEnum):
    string = "string"
    id = "id"
    enum = "enum"
    boolean = "boolean"
    date = "date"
    datetime = "datetime"
    number = "number"
    currency = "currency"


_STRING_OPS = ("in", "nin", "eq", "ne", "contains", "like", "startswith", "endswith")
_ORDERED_OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "nin")
_NULL_OPS = ("isnull", "isnotnull")

# Canonical operators each kind allows (README §4.3); null tests only where a field is nullable,
# except strings, ids, dates and numbers where the contract always lists them.
OPERATORS: dict[Kind, tuple[str, ...]] = {
    Kind.string: (*_STRING_OPS, *_NULL_OPS),
    Kind.id: ("eq", "ne", "in", "nin", *_NULL_OPS),
    Kind.enum: ("eq", "ne", "in", "nin"),
    Kind.boolean: ("eq", "ne"),
    Kind.date: (*_ORDERED_OPS, *_NULL_OPS),
    Kind.datetime: (*_ORDERED_OPS, *_NULL_OPS),
    Kind.number: (*_ORDERED_OPS, *_NULL_OPS),
    Kind.currency: (*_ORDERED_OPS, *_NULL_OPS),
}

# The spellings shown to callers for each canonical operator, for messages and docs.
SPELLINGS: dict[str, tuple[str, ...]] = {
    "eq": ("eq",),
    "ne": ("ne", "neq"),
    "lt": ("lt",),
    "lte": ("lte", "le"),
    "gt": ("gt",),
    "gte": ("gte", "ge"),
    "in": ("in",),
    "nin": ("nin", "notin"),
    "contains": ("contains",),
    "like": ("like",),
    "startswith": ("startswith",),
    "endswith": ("endswith",),
    "isnull": ("isnull",),
    "isnotnull": ("isnotnull", "notnull"),
    "any": ("any",),
    "all": ("all",),
    "none": ("none",),
    "count": ("count",),
}

# A column, mapped attribute or SQL expression, or a callable building one on demand.
ExprSource = Union[ColumnElement[Any], QueryableAttribute[Any], Callable[[], ColumnElement[Any]]]


@dataclass(frozen=True)
class Field:
    """A filterable (and possibly sortable) scalar: its kind and the SQL that yields it."""

    kind: Kind
    source: ExprSource
    nullable: bool = False
    choices: tuple[str, ...] = ()  # allowed values of an enum
    # For a field holding a set of values (a multiselect): the condition "the set holds this
    # value". Then eq/in mean "holds it / holds any of them" and ne/nin their negation.
    contains: Callable[[Any], ColumnElement[bool]] | None = None

    def sql(self) -> ColumnElement[Any]:
        if isinstance(self.source, ColumnElement | QueryableAttribute):
            return self.source  # type: ignore[return-value]
        return self.source()

    def operators(self) -> tuple[str, ...]:
        allowed = OPERATORS[self.kind]
        if self.nullable and self.kind in (Kind.enum, Kind.boolean):
            allowed = (*allowed, *_NULL_OPS)
        return allowed


@dataclass(frozen=True)
class RelatedRows:
    """The rows of a relation, correlated to the outer row by `link`."""

    source: FromClause
    link: ColumnElement[bool]
    fields: Mapping[str, Field | Relation]


@dataclass(frozen=True)
class Relation:
    """A to-many relation filtered with any/all/none/count over the same related row.

    `related` is called per use so self-referencing relations can alias their table afresh.
    """

    related: Callable[[], RelatedRows]
    field_names: tuple[str, ...]


@dataclass(frozen=True)
class Mode:
    """A pseudo-field that picks a row set rather than testing a value (`archived`).

    It takes `eq` only, one of `values`, and only at the top level of a filter. `apply` gets the
    request's value context too, for rules that depend on the day (a user's leave date).
    """

    values: tuple[str, ...]
    default: str
    apply: Callable[[str, ValueContext], ColumnElement[bool] | None]


def archived_mode_by(archived: Callable[[ValueContext], ColumnElement[bool]]) -> Mode:
    """`archived` with/only/without over a two-valued "is archived" condition."""

    def apply(value: str, ctx: ValueContext) -> ColumnElement[bool] | None:
        if value == "with":
            return None
        condition = archived(ctx)
        return condition if value == "only" else not_(condition)

    return Mode(values=("with", "only", "without"), default="without", apply=apply)


def archived_mode(deleted_at: Any) -> Mode:
    return archived_mode_by(lambda _ctx: deleted_at.is_not(None))


@dataclass(frozen=True)
class FilterSpec:
    fields: Mapping[str, Field | Relation]
    modes: Mapping[str, Mode] = field(default_factory=dict)

    def names(self) -> list[str]:
        return [*self.fields, *self.modes]
