"""Compiles a filter tree against a resource's declaration into one SQL boolean expression.

Every leaf yields plain true/false (never SQL NULL), so `not`, `all` and `none` mean exactly
what they say: a comparison on a null value is false; `ne`/`nin` match nulls.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Numeric,
    and_,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)

from kanbert.kit.query.ast import And, Condition, CountSpec, Node, Not, Or
from kanbert.kit.query.fields import SPELLINGS, Field, FilterSpec, Kind, Mode, Relation
from kanbert.kit.query.values import DayRange, ValueContext, ValueError400, coerce


class FilterError(ValueError):
    """A filter that is well-formed but does not fit the resource; shown to the caller."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _spell(operators: Sequence[str]) -> str:
    return ", ".join(spelling for op in operators for spelling in SPELLINGS[op])


def _like_pattern(text: str) -> str:
    """A caller's LIKE pattern whose trailing lone backslash, if any, is escaped."""
    trailing = len(text) - len(text.rstrip("\\"))
    return text + "\\" if trailing % 2 else text


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class FilterCompiler:
    def __init__(self, spec: FilterSpec, ctx: ValueContext) -> None:
        self.spec = spec
        self.ctx = ctx

    # -- entry point -------------------------------------------------------------------------

    def compile(self, node: Node | None) -> tuple[ColumnElement[bool], dict[str, str]]:
        """The SQL condition and the chosen value of each mode (`archived` …)."""
        conditions, modes = self._split_modes(node)
        sql = and_(true(), *(self._node(c, self.spec.fields) for c in conditions))
        for name, mode in self.spec.modes.items():
            chosen = modes.get(name, mode.default)
            extra = mode.apply(chosen, self.ctx)
            if extra is not None:
                sql = and_(sql, extra)
        return sql, modes

    def _split_modes(self, node: Node | None) -> tuple[list[Node], dict[str, str]]:
        top: list[Node] = (
            [] if node is None else list(node.children) if isinstance(node, And) else [node]
        )
        modes: dict[str, str] = {}
        rest: list[Node] = []
        for child in top:
            if isinstance(child, Condition) and child.field in self.spec.modes:
                if child.field in modes:
                    raise FilterError(f"'{child.field}' may be given only once")
                modes[child.field] = self._mode_value(child, self.spec.modes[child.field])
            else:
                rest.append(child)
        return rest, modes

    def _mode_value(self, cond: Condition, mode: Mode) -> str:
        if cond.op != "eq":
            raise FilterError(f"'{cond.field}' allows only eq; got '{self._op_name(cond)}'")
        if cond.value not in mode.values:
            raise FilterError(
                f"'{cond.field}' must be one of: {', '.join(mode.values)}; got {cond.value!r}"
            )
        return str(cond.value)

    # -- tree --------------------------------------------------------------------------------

    def _node(self, node: Node, scope: Any) -> ColumnElement[bool]:
        if isinstance(node, And):
            return and_(true(), *(self._node(c, scope) for c in node.children))
        if isinstance(node, Or):
            return or_(false(), *(self._node(c, scope) for c in node.children))
        if isinstance(node, Not):
            return not_(self._node(node.child, scope))
        return self._condition(node, scope)

    def _condition(self, cond: Condition, scope: Any) -> ColumnElement[bool]:
        target = scope.get(cond.field)
        if target is None:
            if cond.field in self.spec.modes:
                raise FilterError(f"'{cond.field}' may only be used at the top level, with and")
            allowed = (
                ", ".join(scope) if scope is not self.spec.fields else ", ".join(self.spec.names())
            )
            raise FilterError(f"unknown field '{cond.field}'; allowed: {allowed}")
        if isinstance(target, Relation):
            return self._relation(cond, target)
        return self._scalar(cond, target)

    def _op_name(self, cond: Condition) -> str:
        return cond.op_text or cond.op

    # -- relations ---------------------------------------------------------------------------

    def _relation(self, cond: Condition, relation: Relation) -> ColumnElement[bool]:
        if cond.op not in ("any", "all", "none", "count"):
            raise FilterError(
                f"operator '{self._op_name(cond)}' is not allowed for relation '{cond.field}'; "
                "allowed: any, all, none, count"
            )
        rows = relation.related()
        if cond.op == "count":
            return self._count(cond, rows)
        if not isinstance(cond.value, And | Or | Not | Condition):
            raise FilterError(f"'{cond.field} {cond.op}' needs a condition over the related rows")
        inner = self._node(cond.value, rows.fields)
        if cond.op == "all":
            return not_(exists(select(1).select_from(rows.source).where(rows.link, not_(inner))))
        found = exists(select(1).select_from(rows.source).where(rows.link, inner))
        return found if cond.op == "any" else not_(found)

    def _count(self, cond: Condition, rows: Any) -> ColumnElement[bool]:
        spec = cond.value
        if not isinstance(spec, CountSpec):
            raise FilterError(f"'{cond.field} count' needs a comparison, e.g. count > 2")
        where = [rows.link]
        if spec.where is not None:
            where.append(self._node(spec.where, rows.fields))
        counted = select(func.count()).select_from(rows.source).where(*where).scalar_subquery()
        number = Field(Kind.number, counted)
        compare = Condition(cond.field, spec.op, spec.value, spec.op)
        if spec.op not in ("eq", "ne", "lt", "lte", "gt", "gte"):
            raise FilterError(f"'{cond.field} count' compares with =, !=, <, <=, > or >=")
        return self._scalar(compare, number)

    # -- scalars -----------------------------------------------------------------------------

    def _scalar(self, cond: Condition, field: Field) -> ColumnElement[bool]:
        if cond.op not in field.operators():
            raise FilterError(
                f"operator '{self._op_name(cond)}' is not allowed for '{cond.field}' "
                f"({field.kind.value}); allowed: {_spell(field.operators())}"
            )
        column = field.sql()
        if cond.op == "isnull":
            return column.is_(None)
        if cond.op == "isnotnull":
            return column.is_not(None)
        if cond.value is None and cond.op in ("eq", "ne"):
            return column.is_(None) if cond.op == "eq" else column.is_not(None)
        value = self._value(cond, field)
        if field.contains is not None:
            return _set_membership(cond.op, column, value, field.contains)
        if field.kind in (Kind.number, Kind.currency):
            value = _numeric(value)
        return self._apply(cond.op, column, value, field.nullable)

    def _value(self, cond: Condition, field: Field) -> Any:
        try:
            if cond.op in ("in", "nin"):
                if not isinstance(cond.value, list):
                    raise ValueError400('needs a list, e.g. ["a", "b"]')
                return [coerce(field, item, self.ctx) for item in cond.value]
            if isinstance(cond.value, list):
                raise ValueError400(f"operator '{self._op_name(cond)}' takes one value, not a list")
            return coerce(field, cond.value, self.ctx)
        except ValueError400 as problem:
            raise FilterError(f"invalid value for '{cond.field}': {problem}") from None

    def _apply(self, op: str, column: Any, value: Any, nullable: bool) -> ColumnElement[bool]:
        if op == "ne":
            return _null_or(column, not_(self._apply("eq", column, value, False)), nullable)
        if op == "nin":
            return _null_or(column, not_(self._apply("in", column, value, False)), nullable)
        positive = self._in(column, value) if op == "in" else _compare(op, column, value)
        return and_(column.is_not(None), positive) if nullable else positive

    def _in(self, column: Any, values: list[Any]) -> ColumnElement[bool]:
        ranges = [v for v in values if isinstance(v, DayRange)]
        plain = [v for v in values if not isinstance(v, DayRange)]
        parts: list[ColumnElement[bool]] = [_compare("eq", column, r) for r in ranges]
        if plain:
            parts.append(column.in_(plain))
        return or_(false(), *parts)


def _numeric(value: Any) -> Any:
    """Numbers bound as unconstrained NUMERIC, exact on every engine.

    Left to SQLAlchemy, a Python int is bound as INTEGER/BIGINT and a float with the column's
    type: on PostgreSQL `weight in [0, 2.25]` cast both to integers (2.25 became 2: the row
    was missed, SQLite found it), an int beyond BIGINT overflowed and `price < 1e12` overflowed
    NUMERIC(12, 2), all 500s. A float goes as the decimal it was written as (`99.99`), not as
    its binary expansion (99.98999…), which asyncpg would send to a NUMERIC parameter.
    """
    if isinstance(value, list):
        return [_numeric(item) for item in value]
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return literal(exact, Numeric())


def _set_membership(op: str, column: Any, value: Any, contains: Any) -> ColumnElement[bool]:
    """eq/in on a set-valued field: it holds the value / any of them; ne/nin: it holds none.

    A null (unset) set holds nothing, so ne/nin match it, keeping every leaf two-valued.
    """
    wanted = value if isinstance(value, list) else [value]
    holds = and_(column.is_not(None), or_(false(), *(contains(item) for item in wanted)))
    return holds if op in ("eq", "in") else not_(holds)


def _null_or(column: Any, condition: ColumnElement[bool], nullable: bool) -> ColumnElement[bool]:
    return or_(column.is_(None), condition) if nullable else condition


def _compare(op: str, column: Any, value: Any) -> ColumnElement[bool]:
    if isinstance(value, DayRange):
        return _compare_day(op, column, value)
    if op in ("contains", "startswith", "endswith", "like"):
        return _match(op, column, value)
    operations = {
        "eq": column.__eq__,
        "lt": column.__lt__,
        "lte": column.__le__,
        "gt": column.__gt__,
        "gte": column.__ge__,
    }
    result: ColumnElement[bool] = operations[op](value)
    return result


def _compare_day(op: str, column: Any, day: DayRange) -> ColumnElement[bool]:
    """Whole-day semantics: `eq` is inside the day, `lte` includes it, `gt` is after it."""
    if op == "eq":
        return and_(column >= day.start, column < day.end)
    bounds = {
        "lt": column < day.start,
        "lte": column < day.end,
        "gt": column >= day.end,
        "gte": column >= day.start,
    }
    result: ColumnElement[bool] = bounds[op]
    return result


def _match(op: str, column: Any, text: str) -> ColumnElement[bool]:
    # lower() on both sides: LIKE is case-insensitive on SQLite but not on PostgreSQL.
    lowered = func.lower(column)
    if op == "like":
        # Backslash escapes the next character, stated explicitly: PostgreSQL escapes with it by
        # default but SQLite has no default escape, so `a\%b` matched differently per engine.
        # A trailing lone backslash stands for itself (PostgreSQL rejected it: a 500).
        return lowered.like(func.lower(_like_pattern(text)), escape="\\")
    escaped = _escape_like(text.lower())
    pattern = {"contains": f"%{escaped}%", "startswith": f"{escaped}%", "endswith": f"%{escaped}"}[
        op
    ]
    return lowered.like(pattern, escape="\\")
