"""Parsers for the `filter` query parameter (spec §4): string DSL, JSON and form-encoded.

All three produce the tree in `ast.py` and report every problem as a FilterSyntaxError whose
message says where it is: a character position for the DSL, a JSON path for JSON and forms.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterable
from importlib import resources
from typing import Any, cast

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from kanbert.kit.query.ast import (
    COMPARISON_OPERATORS,
    NULL_OPERATORS,
    OPERATOR_ALIASES,
    RELATION_OPERATORS,
    And,
    Condition,
    CountSpec,
    FilterSyntaxError,
    Node,
    Not,
    Or,
    Scalar,
    Special,
    Value,
    canonical_operator,
)

__all__ = [
    "FIELD_PATTERN",
    "MAX_DEPTH",
    "parse_dsl",
    "parse_filter_text",
    "parse_form",
    "parse_json",
]

# Deeper trees are refused so that the recursive code downstream (compiler, renderers) can never
# hit Python's recursion limit on client input: that would be a 500 instead of a 400.
MAX_DEPTH = 50

# Same shape as the DSL's FIELD terminal, so that JSON and form filters can always be rendered
# back to the DSL.
FIELD_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")

_SPECIAL = re.compile(r"(?P<name>me\.id|now|today|sow|eow|som|eom)(?:(?P<offset>[+-][0-9]+)d)?")
_ESCAPE = re.compile(r"\\([\s\S])")
_WORD = re.compile(r"[^\s()\[\],]+")


# --------------------------------------------------------------------------------------------
# String DSL


def parse_dsl(text: str) -> Node:
    """Parse the string DSL, e.g. `status in ['New','WIP'] and due_date < today+7d`."""
    try:
        # The embedded transformer makes parse() return our Node, not the Tree Lark declares.
        node = cast(Node, _dsl_parser().parse(text))
    except UnexpectedInput as exc:
        raise _dsl_error(text, exc) from None
    _check_depth(node)
    return node


@functools.cache
def _dsl_parser() -> Lark:
    # Read through importlib.resources so the grammar is found inside an installed wheel too.
    grammar = resources.files(__package__ or "kanbert.kit.query").joinpath("filter.lark")
    return Lark(
        grammar.read_text(encoding="utf-8"),
        parser="lalr",
        transformer=_DslToTree(),  # built during parsing: no intermediate parse tree
        maybe_placeholders=False,
    )


class _DslToTree(Transformer[Token, Any]):
    """Turns each grammar rule straight into its ast node or Python value."""

    def or_expr(self, children: list[Node]) -> Node:
        return Or(tuple(children))

    def and_expr(self, children: list[Node]) -> Node:
        return And(tuple(children))

    def negation(self, children: list[Any]) -> Node:
        return Not(children[1])

    def compare(self, children: list[Any]) -> Node:
        field, op, value = children
        return _condition(field, [op], value)

    def null_test(self, children: list[Any]) -> Node:
        return _condition(children[0], children[1:], None)

    def relation(self, children: list[Any]) -> Node:
        field, op, where = children
        return _condition(field, [op], where)

    def count(self, children: list[Any]) -> Node:
        field, count_token, *where, op, value = children
        spec = CountSpec(op=_canonical(op), value=value, where=where[0] if where else None)
        return _condition(field, [count_token], spec)

    def list_value(self, children: list[Scalar]) -> list[Scalar]:
        return list(children)

    def string(self, children: list[Token]) -> str:
        token = children[0]
        quote = token[0]
        # Only the quote in use and the backslash are escapes; `\%` stays `\%` for LIKE patterns.
        return _ESCAPE.sub(lambda m: m[1] if m[1] in (quote, "\\") else m[0], token[1:-1])

    def number(self, children: list[Token]) -> int | float:
        return _number(children[0])

    def true(self, children: list[Token]) -> bool:
        return True

    def false(self, children: list[Token]) -> bool:
        return False

    def null(self, children: list[Token]) -> None:
        return None

    def special(self, children: list[Token]) -> Special:
        match = _SPECIAL.fullmatch(children[0].lower())
        assert match is not None  # the grammar's SPECIAL terminal only lets these through
        return Special(match["name"], int(match["offset"] or 0))


def _condition(field: Token, op_tokens: list[Token], value: Any) -> Condition:
    op_text = " ".join(op_tokens)
    return Condition(
        field=str(field),
        op=_canonical(op_text),
        value=value,
        op_text=op_text,
        position=field.start_pos,
    )


def _canonical(op_text: str) -> str:
    op = canonical_operator(op_text)
    if op is None:  # the grammar only lets known spellings through
        raise AssertionError(f"grammar let through unknown operator {op_text!r}")
    return op


def _number(token: Token) -> int | float:
    try:
        # Without a fraction or exponent it is an int, so ids and counts stay exact.
        value: int | float = int(token) if token.lstrip("-").isdigit() else float(token)
    except ValueError:  # more digits than int() accepts
        raise _token_error("number too large", token) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise _token_error("number out of range", token)
    return value


def _token_error(problem: str, token: Token) -> FilterSyntaxError:
    # Raised while parsing, where only the token (not the whole text) is at hand.
    where = f"position {token.start_pos} (line {token.line}, column {token.column})"
    return FilterSyntaxError(f"{problem} at {where}", token.start_pos)


# Human names for the grammar's terminals, in the order they are listed in messages.
_VALUE_TERMINALS = frozenset({"STRING", "NUMBER", "TRUE", "FALSE", "SPECIAL", "LSQB"})
_OPERATOR_TERMINALS = frozenset(
    {"CMP_WORD", "SYMBOL", "MATCH_WORD", "NULL_WORD", "IS", "REL_OP", "COUNT"}
)
_COMPARISON_TERMINALS = frozenset({"CMP_WORD", "SYMBOL"})
_LITERAL_TERMINALS = (
    ("FIELD", "a field name"),
    ("NOT", "'not'"),
    ("LPAR", "'('"),
    ("_AND", "'and'"),
    ("_OR", "'or'"),
    ("COMMA", "','"),
    ("RSQB", "']'"),
    ("RPAR", "')'"),
    ("$END", "end of input"),
)


def _dsl_error(text: str, exc: UnexpectedInput) -> FilterSyntaxError:
    """`unexpected 'xyz' at position 14 (line 1, column 15); expected a value`."""
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        position = len(text)  # Lark places $END at the last token; the input ends later
        found = "end of input"
    elif isinstance(exc, UnexpectedToken):
        position = exc.token.start_pos or 0
        found = _quote(str(exc.token))
    elif isinstance(exc, UnexpectedCharacters):
        position = exc.pos_in_stream or 0
        if text[position] in "\"'":
            message = f"unterminated string starting at {_where(text, position)}"
            return FilterSyntaxError(message, position)
        found = _quote(_word_at(text, position))
    else:  # pragma: no cover - LALR raises only the two kinds above
        return FilterSyntaxError(str(exc), None)
    message = f"unexpected {found} at {_where(text, position)}"
    expected = _expected_at(text, position)
    if expected:
        message += f"; expected {_describe(expected)}"
    return FilterSyntaxError(message, position)


def _expected_at(text: str, position: int) -> set[str]:
    """The terminals the parser could have taken at `position`.

    Lark's own sets are too wide (LALR state merging offers `]` after a value outside any list)
    or too narrow (the parser has already reduced on the bad token, so `a = 1)` would only offer
    end of input), so replay the parse up to the bad token and ask the untouched state.
    """
    interactive = _dsl_parser().parse_interactive(text)
    try:
        for token in interactive.iter_parse():  # yields each token before feeding it
            if token.start_pos is not None and token.start_pos >= position:
                break
    except UnexpectedInput:
        pass  # the lexer failed first, before feeding anything to the parser
    return set(interactive.accepts())


def _describe(terminals: set[str]) -> str:
    parts: list[str] = []
    if terminals & _VALUE_TERMINALS:
        parts.append("a value")
    elif "NULL" in terminals:  # after `is`, `null` is a keyword rather than one of many values
        parts.append("'null'")
    if terminals & _OPERATOR_TERMINALS:
        only_comparisons = terminals & _OPERATOR_TERMINALS <= _COMPARISON_TERMINALS
        parts.append("a comparison operator" if only_comparisons else "an operator")
    parts += [text for name, text in _LITERAL_TERMINALS if name in terminals]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def _where(text: str, position: int) -> str:
    """`position 14 (line 1, column 15)`: the offset for programs, line and column for people."""
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return f"position {position} (line {line}, column {column})"


def _word_at(text: str, position: int) -> str:
    """The run of text a lexer error starts at, so `1.2.3` is reported whole, not as `1`."""
    match = _WORD.match(text, position)
    return match[0] if match and match[0] else text[position]


def _quote(found: str, limit: int = 30) -> str:
    return repr(found if len(found) <= limit else found[:limit] + "…")


def _check_depth(node: Node) -> None:
    # Iterative on purpose: this guards against trees too deep for recursion.
    stack: list[tuple[Node, int]] = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise FilterSyntaxError(f"filter nested deeper than {MAX_DEPTH} levels")
        stack += [(child, depth + 1) for child in _children(current)]


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, And | Or):
        return node.children
    if isinstance(node, Not):
        return (node.child,)
    if isinstance(node.value, CountSpec):
        return () if node.value.where is None else (node.value.where,)
    if isinstance(node.value, Condition | And | Or | Not):
        return (node.value,)
    return ()


# --------------------------------------------------------------------------------------------
# JSON

_GROUP_KEYS = ("and", "or", "not")
_CONDITION_KEYS = frozenset({"field", "op", "value"})
_COUNT_KEYS = frozenset({"op", "value", "where"})
_MISSING = object()


def parse_json(data: object) -> Node:
    """Parse an already-decoded JSON filter (spec §4.1); a bare list is an implicit AND."""
    return _json_node(data, "filter", 1)


def _json_node(data: object, path: str, depth: int) -> Node:
    if depth > MAX_DEPTH:
        raise _json_error(path, f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(data, list):
        return _json_implicit_and(data, path, depth)
    if isinstance(data, dict):
        if "field" in data:
            return _json_condition(data, path, depth)
        if any(key in data for key in _GROUP_KEYS):
            return _json_group(data, path, depth)
    raise _json_error(
        path, "expected a condition {field, op, value}, a group {and|or|not} or a list"
    )


def _json_implicit_and(items: list[object], path: str, depth: int) -> Node:
    children = _json_children(items, path, depth)
    return children[0] if len(children) == 1 else And(children)


def _json_children(items: object, path: str, depth: int) -> tuple[Node, ...]:
    if not isinstance(items, list):
        raise _json_error(path, "expected a list")
    return tuple(_json_node(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(items))


def _json_group(data: dict[str, object], path: str, depth: int) -> Node:
    if len(data) != 1:
        raise _json_error(path, "a group has exactly one key: and, or or not")
    key, items = next(iter(data.items()))
    if key == "not":
        return Not(_json_node(items, f"{path}.not", depth + 1))
    children = _json_children(items, f"{path}.{key}", depth)
    return And(children) if key == "and" else Or(children)


def _json_condition(data: dict[str, object], path: str, depth: int) -> Condition:
    _reject_unknown_keys(data, _CONDITION_KEYS, path)
    field = _json_field(data["field"], f"{path}.field")
    op_text = _json_operator(data.get("op", _MISSING), f"{path}.op")
    op = _canonical(op_text)
    value_path = f"{path}.value"
    raw = data.get("value", _MISSING)
    value: Value | Node | CountSpec
    if op in NULL_OPERATORS:
        if raw is not _MISSING and raw is not None:
            raise _json_error(value_path, f"must be omitted for {op_text}")
        value = None
    elif raw is _MISSING:
        raise _json_error(value_path, "required")
    elif op in RELATION_OPERATORS:
        value = _json_node(raw, value_path, depth + 1)
    elif op == "count":
        value = _json_count(raw, value_path, depth)
    else:
        value = _json_value(raw, value_path)
    return Condition(field=field, op=op, value=value, op_text=op_text)


def _json_count(raw: object, path: str, depth: int) -> CountSpec:
    if not isinstance(raw, dict):
        raise _json_error(path, "expected {op, value, where}")
    _reject_unknown_keys(raw, _COUNT_KEYS, path)
    op_text = _json_operator(raw.get("op", _MISSING), f"{path}.op")
    op = _canonical(op_text)
    if op not in COMPARISON_OPERATORS:
        raise _json_error(f"{path}.op", f"count takes a comparison operator, not {op_text!r}")
    if "value" not in raw:
        raise _json_error(f"{path}.value", "required")
    value = _json_scalar(raw["value"], f"{path}.value")
    where = raw.get("where")
    node = None if where is None else _json_node(where, f"{path}.where", depth + 1)
    return CountSpec(op=op, value=value, where=node)


def _json_field(raw: object, path: str) -> str:
    if not isinstance(raw, str):
        raise _json_error(path, "expected a string")
    if not FIELD_PATTERN.fullmatch(raw):
        raise _json_error(path, f"invalid field name {raw!r}")
    return raw


def _json_operator(raw: object, path: str) -> str:
    if raw is _MISSING:
        raise _json_error(path, "required")
    if not isinstance(raw, str):
        raise _json_error(path, "expected a string")
    if canonical_operator(raw) is None:
        valid = ", ".join(OPERATOR_ALIASES)
        raise _json_error(path, f"unknown operator {raw!r}; valid operators: {valid}")
    return raw


def _json_value(raw: object, path: str) -> Value:
    if isinstance(raw, list):
        return [_json_scalar(item, f"{path}[{i}]") for i, item in enumerate(raw)]
    return _json_scalar(raw, path)


def _json_scalar(raw: object, path: str) -> Scalar:
    # JSON strings stay strings even when they read `today`: the compiler decides by field type.
    if raw is None or isinstance(raw, str | bool | int):
        return raw
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise _json_error(path, "expected a finite number")
        return raw
    raise _json_error(path, "expected a string, number, boolean or null")


def _reject_unknown_keys(data: dict[str, object], allowed: frozenset[str], path: str) -> None:
    # Strict on purpose: a misspelt key (`vaule`) silently ignored would change the filter.
    for key in data:
        if key not in allowed:
            expected = ", ".join(sorted(allowed))
            raise _json_error(f"{path}.{key}", f"unknown key; expected one of {expected}")


def _json_error(path: str, problem: str) -> FilterSyntaxError:
    return FilterSyntaxError(f"{path}: {problem}")


# --------------------------------------------------------------------------------------------
# Either form, from the raw `filter` parameter


def parse_filter_text(text: str) -> Node:
    """Parse the `filter` parameter: JSON when it starts with `[` or `{`, otherwise the DSL."""
    if text.lstrip()[:1] in ("[", "{"):
        return parse_json(_decode_json(text))
    return parse_dsl(text)


def _decode_json(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"invalid JSON at {_where(text, exc.pos)}: {exc.msg}"
        raise FilterSyntaxError(message, exc.pos) from None
    except RecursionError:  # json's scanner recurses per nesting level
        raise FilterSyntaxError(f"filter nested deeper than {MAX_DEPTH} levels") from None


# --------------------------------------------------------------------------------------------
# Form-encoded: filter[0][field]=title&filter[0][op]=contains&filter[0][value]=Acme

_FORM_KEY = re.compile(r"filter((?:\[[^\[\]]*\])+)")
_FORM_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_FORM_INDEX = re.compile(r"[0-9]{1,9}")
# A nesting level takes at most three brackets (`[value][where][0]`); the cap keeps the
# recursive list building below well within Python's recursion limit.
_FORM_MAX_SEGMENTS = 3 * MAX_DEPTH

# A form parameter tree before lists are recognised: every container is a dict.
_FormTree = dict[str, Any]


def parse_form(items: Iterable[tuple[str, str]]) -> Node | None:
    """Parse `filter[...]` query items, or return None when there are none."""
    root: _FormTree = {}
    for key, value in items:
        if key.startswith("filter["):
            _form_insert(root, _form_segments(key), value, key)
    if not root:
        return None
    return parse_json(_form_listify(root, "filter"))


def _form_segments(key: str) -> list[str]:
    match = _FORM_KEY.fullmatch(key)
    if match is None:
        raise FilterSyntaxError(f"malformed filter parameter name {_quote(key, 100)}")
    segments: list[str] = _FORM_SEGMENT.findall(match[1])
    if len(segments) > _FORM_MAX_SEGMENTS:
        raise FilterSyntaxError(f"filter nested deeper than {MAX_DEPTH} levels")
    return segments


def _form_insert(root: _FormTree, segments: list[str], value: str, key: str) -> None:
    container = root
    for i, segment in enumerate(segments):
        name = _form_key(container, segment, key)
        if i == len(segments) - 1:
            if name in container:
                raise FilterSyntaxError(f"filter parameter {_quote(key, 100)} given more than once")
            container[name] = value
            return
        child = container.setdefault(name, {})
        if not isinstance(child, dict):
            message = f"filter parameter {_quote(key, 100)} conflicts with a plain value"
            raise FilterSyntaxError(message)
        container = child


def _form_key(container: _FormTree, segment: str, key: str) -> str:
    if segment == "":  # `[]` appends, as in PHP
        return str(max((int(k) for k in container if _FORM_INDEX.fullmatch(k)), default=-1) + 1)
    if segment.isascii() and segment.isdigit():
        if not _FORM_INDEX.fullmatch(segment):
            raise FilterSyntaxError(f"list index too large in filter parameter {_quote(key, 100)}")
        return str(int(segment))  # `01` and `1` are the same element
    return segment


def _form_listify(tree: _FormTree | str, path: str) -> object:
    """Containers whose keys are all indices become lists, in index order."""
    if isinstance(tree, str):
        return tree
    indices = [k for k in tree if _FORM_INDEX.fullmatch(k)]
    if not indices:
        return {k: _form_listify(v, f"{path}[{k}]") for k, v in tree.items()}
    if len(indices) != len(tree):
        raise FilterSyntaxError(f"{path}: mixes list indices and names")
    ordered = sorted(indices, key=int)
    return [_form_listify(tree[k], f"{path}[{k}]") for k in ordered]
