"""Render a filter tree back to the string DSL or to JSON (e.g. for cursor links and messages).

Both outputs parse back to an equal tree (ignoring `position` and `op_text`), except that:
- render_dsl writes an And/Or of one child as that child and refuses empty groups, which have
  no DSL spelling;
- render_json writes Special values as their text (`"today+7d"`), which parse_json keeps as a
  plain string.
Trees the parsers could never produce (unknown operators, NaN, bad field names) raise ValueError.
"""

from __future__ import annotations

import math

from kanbert.kit.query.ast import (
    NULL_OPERATORS,
    OPERATOR_ALIASES,
    RELATION_OPERATORS,
    And,
    Condition,
    CountSpec,
    Node,
    Not,
    Or,
    Scalar,
    Special,
)
from kanbert.kit.query.parse import FIELD_PATTERN

__all__ = ["render_dsl", "render_json", "special_text"]

_SPECIAL_NAMES = frozenset({"me.id", "now", "today", "sow", "eow", "som", "eom"})

# Symbols read better than words for comparisons; the null tests use their two-word spelling.
_DSL_OPERATORS: dict[str, str] = {
    "eq": "=",
    "ne": "!=",
    "lt": "<",
    "lte": "<=",
    "gt": ">",
    "gte": ">=",
    "isnull": "is null",
    "isnotnull": "is not null",
}
_CANONICAL = frozenset(OPERATOR_ALIASES.values())


# --------------------------------------------------------------------------------------------
# DSL


def render_dsl(node: Node) -> str:
    """The DSL text for a tree, e.g. `title contains "Acme" and (a = 1 or b = 2)`."""
    if isinstance(node, And | Or):
        return _dsl_group(node)
    if isinstance(node, Not):
        return f"not {_dsl_operand(node.child)}"
    return _dsl_condition(node)


def _dsl_group(node: And | Or) -> str:
    if not node.children:
        raise ValueError("an empty group has no DSL form")
    if len(node.children) == 1:
        return render_dsl(node.children[0])
    # A nested group is always parenthesised: the parser keeps `(a and b) and c` nested, so
    # the brackets are what makes the tree come back with the same shape.
    joiner = " and " if isinstance(node, And) else " or "
    return joiner.join(_dsl_operand(child) for child in node.children)


def _dsl_operand(node: Node) -> str:
    """A group's or `not`'s operand: groups go in parentheses, anything else stands bare."""
    node = _unwrap(node)
    text = render_dsl(node)
    return f"({text})" if isinstance(node, And | Or) else text


def _unwrap(node: Node) -> Node:
    # A one-child group is written as its child, so judge the need for brackets on the child.
    while isinstance(node, And | Or) and len(node.children) == 1:
        node = node.children[0]
    return node


def _dsl_condition(node: Condition) -> str:
    field = _field(node.field)
    if field.lower() == "not":  # would read as the keyword where a condition starts
        raise ValueError("a field named 'not' has no DSL form")
    op = _operator(node.op)
    if op in NULL_OPERATORS:
        return f"{field} {_DSL_OPERATORS[op]}"
    if op in RELATION_OPERATORS:
        return f"{field} {op} ({render_dsl(_node_value(node))})"
    if op == "count":
        return f"{field} count {_dsl_count(_count_value(node))}"
    if isinstance(node.value, list):
        return f"{field} {_DSL_OPERATORS.get(op, op)} {_dsl_list(node.value)}"
    return f"{field} {_DSL_OPERATORS.get(op, op)} {_dsl_scalar(_scalar(node.value))}"


def _dsl_count(spec: CountSpec) -> str:
    where = "" if spec.where is None else f"({render_dsl(spec.where)}) "
    return f"{where}{_DSL_OPERATORS[_comparison(spec.op)]} {_dsl_scalar(_scalar(spec.value))}"


def _dsl_list(values: list[Scalar]) -> str:
    return "[" + ", ".join(_dsl_scalar(_scalar(value)) for value in values) + "]"


def _dsl_scalar(value: Scalar) -> str:
    # bool before int: True is an int too.
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, Special):
        return special_text(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _float(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"{value!r} has no filter form")
    # repr is the shortest text that reads back as the same float, and always has a `.` or
    # an exponent, so it never reads back as an int.
    return repr(value)


# --------------------------------------------------------------------------------------------
# JSON


def render_json(node: Node) -> object:
    """The JSON form of a tree, ready for json.dumps; groups come out as {"and"|"or"|"not": …}."""
    if isinstance(node, And):
        return {"and": [render_json(child) for child in node.children]}
    if isinstance(node, Or):
        return {"or": [render_json(child) for child in node.children]}
    if isinstance(node, Not):
        return {"not": render_json(node.child)}
    return _json_condition(node)


def _json_condition(node: Condition) -> dict[str, object]:
    op = _operator(node.op)
    rendered: dict[str, object] = {"field": _field(node.field), "op": op}
    if op in NULL_OPERATORS:
        return rendered  # spec: the value is omitted for null tests
    if op in RELATION_OPERATORS:
        rendered["value"] = render_json(_node_value(node))
    elif op == "count":
        rendered["value"] = _json_count(_count_value(node))
    elif isinstance(node.value, list):
        rendered["value"] = [_json_scalar(_scalar(value)) for value in node.value]
    else:
        rendered["value"] = _json_scalar(_scalar(node.value))
    return rendered


def _json_count(spec: CountSpec) -> dict[str, object]:
    rendered: dict[str, object] = {
        "op": _comparison(spec.op),
        "value": _json_scalar(_scalar(spec.value)),
    }
    if spec.where is not None:
        rendered["where"] = render_json(spec.where)
    return rendered


def _json_scalar(value: Scalar) -> object:
    if isinstance(value, Special):
        return special_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value!r} has no filter form")
    return value


# --------------------------------------------------------------------------------------------
# Shared checks


def special_text(value: Special) -> str:
    """`today+7d`, `today-1d`, `now`: the special value as a caller writes it."""
    if value.name not in _SPECIAL_NAMES:
        raise ValueError(f"unknown special value {value.name!r}")
    if value.offset_days == 0:
        return value.name
    if value.name != "today":
        raise ValueError(f"only today takes a day offset, not {value.name!r}")
    return f"today{value.offset_days:+d}d"


def _field(field: str) -> str:
    # The parsers accept no other names, so anything else could not be read back.
    if not FIELD_PATTERN.fullmatch(field):
        raise ValueError(f"invalid field name {field!r}")
    return field


def _operator(op: str) -> str:
    if op not in _CANONICAL:
        raise ValueError(f"unknown canonical operator {op!r}")
    return op


def _comparison(op: str) -> str:
    if op not in _DSL_OPERATORS or op in NULL_OPERATORS:
        raise ValueError(f"count takes a comparison operator, not {op!r}")
    return op


def _node_value(node: Condition) -> Node:
    if not isinstance(node.value, Condition | And | Or | Not):
        raise ValueError(f"{node.op} on {node.field!r} needs a nested filter")
    return node.value


def _count_value(node: Condition) -> CountSpec:
    if not isinstance(node.value, CountSpec):
        raise ValueError(f"count on {node.field!r} needs a CountSpec")
    return node.value


def _scalar(value: object) -> Scalar:
    if value is None or isinstance(value, str | int | float | Special):
        return value
    raise ValueError(f"{value!r} is not a filter value")
