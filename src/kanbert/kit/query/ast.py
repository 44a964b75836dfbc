"""The filter language's syntax tree, shared by the JSON, DSL and form-encoded parsers.

Parsers only check syntax and normalise operators; whether a field exists, whether an operator
suits its type and whether a value fits is decided later against a resource's declaration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

# Every spelling an operator may have, mapped to its canonical name.
OPERATOR_ALIASES: dict[str, str] = {
    "eq": "eq",
    "=": "eq",
    "==": "eq",
    "ne": "ne",
    "neq": "ne",
    "!=": "ne",
    "<>": "ne",
    "lt": "lt",
    "<": "lt",
    "lte": "lte",
    "le": "lte",
    "<=": "lte",
    "gt": "gt",
    ">": "gt",
    "gte": "gte",
    "ge": "gte",
    ">=": "gte",
    "contains": "contains",
    "startswith": "startswith",
    "endswith": "endswith",
    "like": "like",
    "in": "in",
    "nin": "nin",
    "notin": "nin",
    "isnull": "isnull",
    "is null": "isnull",
    "isnotnull": "isnotnull",
    "notnull": "isnotnull",
    "is not null": "isnotnull",
    "any": "any",
    "all": "all",
    "none": "none",
    "count": "count",
}

NULL_OPERATORS = frozenset({"isnull", "isnotnull"})
RELATION_OPERATORS = frozenset({"any", "all", "none"})
COMPARISON_OPERATORS = frozenset({"eq", "ne", "lt", "lte", "gt", "gte"})

# Unquoted DSL words that stand for a value computed at request time.
SPECIAL_VALUE_PATTERN = r"(me\.id|now|today([+-]\d+d)?|sow|eow|som|eom)"


def canonical_operator(spelling: str) -> str | None:
    """The canonical operator for a spelling (case-insensitive), or None if unknown."""
    return OPERATOR_ALIASES.get(" ".join(spelling.lower().split()))


@dataclass(frozen=True)
class Special:
    """An unquoted special value such as `today+7d` (`name`='today', `offset_days`=7)."""

    name: str  # one of: me.id, now, today, sow, eow, som, eom
    offset_days: int = 0


Scalar = Union[str, int, float, bool, None, Special]
Value = Union[Scalar, list[Scalar]]


@dataclass(frozen=True)
class Condition:
    """`field op value`. For any/all/none `value` is a Node over the related rows;
    for count it is a CountSpec; for isnull/isnotnull it is None."""

    field: str
    op: str  # canonical name
    value: Value | Node | CountSpec
    op_text: str = ""  # as the caller spelt it, for messages
    position: int | None = None  # character offset in a DSL string, for messages


@dataclass(frozen=True)
class CountSpec:
    """`rel count [(where)] op value`: compares the number of (matching) related rows."""

    op: str  # a canonical comparison operator
    value: Scalar
    where: Node | None = None


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = Union[Condition, And, Or, Not]


class FilterSyntaxError(ValueError):
    """A filter that cannot be parsed. `position` is a 0-based character offset when known."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
