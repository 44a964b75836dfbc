"""Tests for the filter parsers (DSL, JSON, form-encoded) and the renderers."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kanbert.kit.query.ast import (
    COMPARISON_OPERATORS,
    OPERATOR_ALIASES,
    SPECIAL_VALUE_PATTERN,
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
)
from kanbert.kit.query.parse import (
    MAX_DEPTH,
    parse_dsl,
    parse_filter_text,
    parse_form,
    parse_json,
)
from kanbert.kit.query.render import render_dsl, render_json, special_text

# --------------------------------------------------------------------------------------------
# Helpers


def strip(node: Node) -> Node:
    """The tree without `position` and `op_text`, which only serve messages."""
    if isinstance(node, And):
        return And(tuple(strip(child) for child in node.children))
    if isinstance(node, Or):
        return Or(tuple(strip(child) for child in node.children))
    if isinstance(node, Not):
        return Not(strip(node.child))
    value = node.value
    if isinstance(value, CountSpec):
        where = None if value.where is None else strip(value.where)
        value = dataclasses.replace(value, where=where)
    elif isinstance(value, Condition | And | Or | Not):
        value = strip(value)
    return Condition(node.field, node.op, value)


def specials_as_text(node: Node) -> Node:
    """The tree as JSON gives it back: Special values become their text."""

    def scalar(value: Scalar) -> Scalar:
        return special_text(value) if isinstance(value, Special) else value

    if isinstance(node, And):
        return And(tuple(specials_as_text(child) for child in node.children))
    if isinstance(node, Or):
        return Or(tuple(specials_as_text(child) for child in node.children))
    if isinstance(node, Not):
        return Not(specials_as_text(node.child))
    value = node.value
    if isinstance(value, CountSpec):
        where = None if value.where is None else specials_as_text(value.where)
        value = CountSpec(value.op, scalar(value.value), where)
    elif isinstance(value, Condition | And | Or | Not):
        value = specials_as_text(value)
    elif isinstance(value, list):
        value = [scalar(item) for item in value]
    else:
        value = scalar(value)
    return dataclasses.replace(node, value=value)


def dsl(text: str) -> Node:
    return strip(parse_dsl(text))


def cond(field: str, op: str, value: Value | Node | CountSpec = None) -> Condition:
    return Condition(field, op, value)


def form(items: list[tuple[str, str]]) -> Node:
    node = parse_form(items)
    assert node is not None
    return strip(node)


A1 = cond("a", "eq", 1)
B2 = cond("b", "eq", 2)
C3 = cond("c", "eq", 3)


# --------------------------------------------------------------------------------------------
# DSL: the spec's examples


def test_spec_examples() -> None:
    assert dsl(
        "title contains \"Acme\" and (created_at >= \"2024-01-01\" or client.name contains 'Corp')"
    ) == And((
        cond("title", "contains", "Acme"),
        Or((cond("created_at", "gte", "2024-01-01"), cond("client.name", "contains", "Corp"))),
    ))
    assert dsl('shortcode = "P-42"') == cond("shortcode", "eq", "P-42")
    assert dsl("status in ['New','WIP'] and due_date < today+7d") == And((
        cond("status", "in", ["New", "WIP"]),
        cond("due_date", "lt", Special("today", 7)),
    ))
    assert dsl("primary_contact.id is null") == cond("primary_contact.id", "isnull")
    assert dsl("not (a = 1)") == Not(A1)
    assert dsl("not a = 1") == Not(A1)


# --------------------------------------------------------------------------------------------
# DSL: operators

VALUE_SPELLINGS = [
    s for s, op in OPERATOR_ALIASES.items()
    if op not in {"isnull", "isnotnull", "any", "all", "none", "count"}
]
NULL_WORDS = ["isnull", "isnotnull", "notnull"]


def case_variants(word: str) -> list[str]:
    return sorted({word, word.upper(), word.capitalize(), word.swapcase()})


@pytest.mark.parametrize(
    "spelling", [v for s in VALUE_SPELLINGS for v in case_variants(s)]
)
def test_value_operator_spellings(spelling: str) -> None:
    node = parse_dsl(f"a {spelling} 1")
    assert node == Condition("a", OPERATOR_ALIASES[spelling.lower()], 1, spelling, 0)


@pytest.mark.parametrize("spelling", [v for s in NULL_WORDS for v in case_variants(s)])
def test_null_operator_words_take_no_value(spelling: str) -> None:
    node = parse_dsl(f"a.b {spelling}")
    assert node == Condition("a.b", OPERATOR_ALIASES[spelling.lower()], None, spelling, 0)
    with pytest.raises(FilterSyntaxError):
        parse_dsl(f"a {spelling} 1")


@pytest.mark.parametrize(
    ("text", "op"),
    [
        ("a is null", "isnull"),
        ("a IS NULL", "isnull"),
        ("a Is \t nUll", "isnull"),
        ("a is not null", "isnotnull"),
        ("a IS\nNOT   Null", "isnotnull"),
    ],
)
def test_is_null_phrases(text: str, op: str) -> None:
    node = parse_dsl(text)
    assert isinstance(node, Condition)
    assert (node.op, node.value) == (op, None)
    assert node.op_text == " ".join(text.split()[1:])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a=1", cond("a", "eq", 1)),
        ("a==1", cond("a", "eq", 1)),
        ("a!=1", cond("a", "ne", 1)),
        ("a<>1", cond("a", "ne", 1)),
        ("a<-1", cond("a", "lt", -1)),
        ("a<=-1.5", cond("a", "lte", -1.5)),
        ("a>today-2d", cond("a", "gt", Special("today", -2))),
        ("a>='x'", cond("a", "gte", "x")),
        ("a in[1,2]", cond("a", "in", [1, 2])),
        ('a eq"x"', cond("a", "eq", "x")),
    ],
)
def test_symbols_need_no_spaces(text: str, expected: Node) -> None:
    assert dsl(text) == expected


@pytest.mark.parametrize(
    ("and_", "or_", "not_"), [("and", "or", "not"), ("AND", "OR", "NOT"), ("aNd", "Or", "NoT")]
)
def test_boolean_keywords_are_case_insensitive(and_: str, or_: str, not_: str) -> None:
    text = f"a = 1 {and_} b = 2 {or_} {not_} c = 3"
    assert dsl(text) == Or((And((A1, B2)), Not(C3)))


# --------------------------------------------------------------------------------------------
# DSL: values


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ('"Acme"', "Acme"),
        ("'Acme'", "Acme"),
        ('""', ""),
        ("''", ""),
        ('"it\'s"', "it's"),
        ("'say \"hi\"'", 'say "hi"'),
        (r'"a\"b"', 'a"b'),
        (r"'a\'b'", "a'b"),
        (r'"back\\slash"', "back\\slash"),
        (r'"ends with \\"', "ends with \\"),
        # Only the quote in use and the backslash are escapes; others stay verbatim.
        (r'"a\'b"', r"a\'b"),
        (r'"50\%"', r"50\%"),
        ('"naïve ✓ 日本"', "naïve ✓ 日本"),
        ('"two\nlines"', "two\nlines"),
        ('"today"', "today"),
        ('"and or not"', "and or not"),
    ],
)
def test_strings(literal: str, value: str) -> None:
    assert dsl(f"a = {literal}") == cond("a", "eq", value)


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("0", 0),
        ("42", 42),
        ("-7", -7),
        ("1.5", 1.5),
        ("-0.25", -0.25),
        ("1e3", 1000.0),
        ("2.5E-3", 0.0025),
        ("123456789012345678901234567890", 123456789012345678901234567890),
    ],
)
def test_numbers(literal: str, value: float) -> None:
    node = parse_dsl(f"a = {literal}")
    assert isinstance(node, Condition)
    assert node.value == value
    assert type(node.value) is type(value)


@pytest.mark.parametrize(
    ("literal", "value"),
    [("true", True), ("TRUE", True), ("False", False), ("null", None), ("NULL", None)],
)
def test_booleans_and_null(literal: str, value: bool | None) -> None:
    assert dsl(f"a = {literal}") == cond("a", "eq", value)


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("[]", []),
        ("[ ]", []),
        ("[1]", [1]),
        ("['a', \"b\", -1, 2.5, null, true, today, me.id]",
         ["a", "b", -1, 2.5, None, True, Special("today"), Special("me.id")]),
    ],
)
def test_lists(literal: str, value: list[Scalar]) -> None:
    assert dsl(f"a in {literal}") == cond("a", "in", value)


@pytest.mark.parametrize(
    ("literal", "special"),
    [
        ("me.id", Special("me.id")),
        ("now", Special("now")),
        ("today", Special("today")),
        ("today+7d", Special("today", 7)),
        ("today-1d", Special("today", -1)),
        ("today+0d", Special("today", 0)),
        ("TODAY+2D", Special("today", 2)),
        ("sow", Special("sow")),
        ("eow", Special("eow")),
        ("som", Special("som")),
        ("eom", Special("eom")),
    ],
)
def test_special_values(literal: str, special: Special) -> None:
    assert re.fullmatch(SPECIAL_VALUE_PATTERN, literal.lower())  # grammar and ast agree
    assert dsl(f"a >= {literal}") == cond("a", "gte", special)


@pytest.mark.parametrize("literal", ["nowhere", "today+7", "today+d", "me.ids", "someday"])
def test_near_specials_are_errors(literal: str) -> None:
    with pytest.raises(FilterSyntaxError):
        parse_dsl(f"a = {literal}")


# --------------------------------------------------------------------------------------------
# DSL: structure


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a = 1 or b = 2 and c = 3", Or((A1, And((B2, C3))))),
        ("a = 1 and b = 2 or c = 3", Or((And((A1, B2)), C3))),
        ("a = 1 and b = 2 and c = 3", And((A1, B2, C3))),
        ("a = 1 or b = 2 or c = 3", Or((A1, B2, C3))),
        ("(a = 1 or b = 2) and c = 3", And((Or((A1, B2)), C3))),
        # Brackets keep their group: the tree mirrors what was written.
        ("(a = 1 and b = 2) and c = 3", And((And((A1, B2)), C3))),
        ("((a = 1))", A1),
        ("not a = 1 and b = 2", And((Not(A1), B2))),
        ("not (a = 1 and b = 2)", Not(And((A1, B2)))),
        ("not not a = 1", Not(Not(A1))),
        ("a = 1 or not b = 2", Or((A1, Not(B2)))),
    ],
)
def test_precedence_and_grouping(text: str, expected: Node) -> None:
    assert dsl(text) == expected


def test_relation_filters() -> None:
    assert dsl('tags any (title = "urgent")') == cond("tags", "any", cond("title", "eq", "urgent"))
    assert dsl('team ALL (space.name = "Agency")') == cond(
        "team", "all", cond("space.name", "eq", "Agency")
    )
    assert dsl('team None(email endswith "@example.com")') == cond(
        "team", "none", cond("email", "endswith", "@example.com")
    )
    assert dsl("tags any (a = 1 or b = 2)") == cond("tags", "any", Or((A1, B2)))


def test_nested_relation_filters() -> None:
    text = 'team any (tags none (title = "x") and projects count (a = 1) >= 2)'
    assert dsl(text) == cond("team", "any", And((
        cond("tags", "none", cond("title", "eq", "x")),
        cond("projects", "count", CountSpec("gte", 2, A1)),
    )))


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("tags count > 2", CountSpec("gt", 2)),
        ("tags COUNT eq 0", CountSpec("eq", 0)),
        ("tags count <> 1", CountSpec("ne", 1)),
        ('tags count (title startswith "x") >= 1',
         CountSpec("gte", 1, cond("title", "startswith", "x"))),
        ("tags count (a = 1 and b = 2) lte 3", CountSpec("lte", 3, And((A1, B2)))),
    ],
)
def test_count(text: str, spec: CountSpec) -> None:
    assert dsl(text) == cond("tags", "count", spec)


@pytest.mark.parametrize(
    "field",
    [
        "is_public", "in_progress", "notes", "order", "status", "any_field", "none_x",
        "count", "null", "true", "today", "now", "and_x", "or_y", "not_z", "nothing",
        "is", "in", "like", "all", "eq", "contains.x", "orders.count", "a.not", "not.a",
    ],
)
def test_keyword_like_fields(field: str) -> None:
    assert dsl(f"{field} = 1") == cond(field, "eq", 1)
    assert dsl(f"not {field} is not null") == Not(cond(field, "isnotnull"))
    assert dsl(f"a = 1 and {field} in [1] or {field} any ({field} = 1)") == Or((
        And((A1, cond(field, "in", [1]))),
        cond(field, "any", cond(field, "eq", 1)),
    ))


def test_positions_and_operator_text() -> None:
    node = parse_dsl('title CONTAINS "x" and\n  (b <> 2 or tags any (c is  NOT null))')
    assert isinstance(node, And)
    first, group = node.children
    assert first == Condition("title", "contains", "x", "CONTAINS", 0)
    assert isinstance(group, Or)
    b, tags = group.children
    assert isinstance(b, Condition) and isinstance(tags, Condition)
    assert (b.position, b.op_text) == (26, "<>")
    assert tags.position == 36
    assert tags.value == Condition("c", "isnotnull", None, "is NOT null", 46)


# --------------------------------------------------------------------------------------------
# DSL: errors


@pytest.mark.parametrize(
    ("text", "position", "expected"),
    [
        ("title contains xyz", 15, "expected a value"),
        ("title contains", 14, "expected a value"),
        ("", 0, "expected a field name, 'not' or '('"),
        ("a", 1, "expected an operator"),
        ("a @ 1", 2, "expected an operator"),
        ("a = 1 order = 2", 6, "expected 'and', 'or' or end of input"),
        ("a = 1)", 5, "expected 'and', 'or' or end of input"),
        ("(a = 1", 6, "expected 'and', 'or' or ')'"),
        ("a in [1 2]", 8, "expected ',' or ']'"),
        ("a in [1,", 8, "expected a value"),
        ("a is x", 5, "expected 'null' or 'not'"),
        ("a isnull 1", 9, "end of input"),
        ("tags count contains 1", 11, "expected a comparison operator or '('"),
        ("tags count (a = 1) x", 19, "expected a comparison operator"),
        ("tags any ()", 10, "expected a field name"),
        ("tags any a = 1", 9, "expected '('"),
        ("a = 1.2.3", 4, "unexpected '1.2.3'"),
        ("a = 1 and\n  b = @", 16, "(line 2, column 7)"),
        ('a = "abc', 4, "unterminated string"),
        ("a = 'it\\'", 4, "unterminated string"),
        ("a = 1e999", 4, "number out of range"),
        ("a = " + "9" * 5000, 4, "number too large"),
        ("not = 1", 4, "expected a field name"),
    ],
)
def test_syntax_errors(text: str, position: int, expected: str) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_dsl(text)
    assert info.value.position == position
    assert f"position {position} " in info.value.message
    assert expected in info.value.message
    assert str(info.value) == info.value.message


def test_error_message_format() -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_dsl("title contains xyz")
    assert info.value.message == (
        "unexpected 'xyz' at position 15 (line 1, column 16); expected a value"
    )


def test_depth_is_limited() -> None:
    assert dsl("(" * 200 + "a = 1" + ")" * 200) == A1  # brackets alone add no depth
    with pytest.raises(FilterSyntaxError, match="nested deeper"):
        parse_dsl("not " * (MAX_DEPTH + 1) + "a = 1")
    with pytest.raises(FilterSyntaxError, match="nested deeper"):
        parse_dsl("not " * 100_000 + "a = 1")


# --------------------------------------------------------------------------------------------
# JSON


def test_json_bare_list_is_an_implicit_and() -> None:
    a = {"field": "a", "op": "eq", "value": 1}
    b = {"field": "b", "op": "eq", "value": 2}
    assert strip(parse_json([a, b])) == And((A1, B2))
    assert strip(parse_json([a])) == A1
    assert parse_json([]) == And(())


def test_json_groups() -> None:
    data = {"and": [
        {"field": "client.name", "op": "contains", "value": "Acme"},
        {"or": [
            {"field": "shortcode", "op": "eq", "value": "P-42"},
            {"field": "shortcode", "op": "startsWith", "value": "P-"},
        ]},
        {"not": {"field": "a", "op": "=", "value": 1}},
        {"not": [{"field": "a", "op": "eq", "value": 1}, {"field": "b", "op": "eq", "value": 2}]},
        {"and": [{"field": "a", "op": "eq", "value": 1}]},
    ]}
    assert strip(parse_json(data)) == And((
        cond("client.name", "contains", "Acme"),
        Or((cond("shortcode", "eq", "P-42"), cond("shortcode", "startswith", "P-"))),
        Not(A1),
        Not(And((A1, B2))),
        And((A1,)),  # an explicit group keeps its shape
    ))


def test_json_condition_details() -> None:
    node = parse_json({"field": "a", "op": "StartsWith", "value": "today"})
    assert node == Condition("a", "startswith", "today", "StartsWith", None)
    assert parse_json({"field": "a", "op": "is not null"}) == Condition(
        "a", "isnotnull", None, "is not null"
    )
    assert strip(parse_json({"field": "a", "op": "isnull", "value": None})) == cond("a", "isnull")
    assert strip(parse_json({"field": "a", "op": "in", "value": ["x", 1, 2.5, True, None]})) == (
        cond("a", "in", ["x", 1, 2.5, True, None])
    )
    assert strip(parse_json({"field": "a", "op": "eq", "value": None})) == cond("a", "eq", None)


def test_json_relations_and_count() -> None:
    title = {"field": "title", "op": "eq", "value": "urgent"}
    assert strip(parse_json({"field": "tags", "op": "any", "value": [title]})) == cond(
        "tags", "any", cond("title", "eq", "urgent")
    )
    assert strip(parse_json({"field": "tags", "op": "none", "value": {"or": [title, title]}})) == (
        cond("tags", "none", Or((cond("title", "eq", "urgent"),) * 2))
    )
    assert strip(parse_json({"field": "tags", "op": "all", "value": []})) == cond(
        "tags", "all", And(())
    )
    simple = {"op": "gt", "value": 2}
    assert strip(parse_json({"field": "tags", "op": "count", "value": simple})) == cond(
        "tags", "count", CountSpec("gt", 2)
    )
    counted = {"op": ">=", "value": 1, "where": [title]}
    assert strip(parse_json({"field": "tags", "op": "count", "value": counted})) == cond(
        "tags", "count", CountSpec("gte", 1, cond("title", "eq", "urgent"))
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([{"field": "a", "op": "eq", "value": 1}, {"field": "b"}], "filter[1].op: required"),
        ({"field": "a", "op": "eq"}, "filter.value: required"),
        ({"field": "a", "op": "eq", "vaule": 1}, "filter.vaule: unknown key"),
        ({"field": "a", "op": 3, "value": 1}, "filter.op: expected a string"),
        ({"field": 3, "op": "eq", "value": 1}, "filter.field: expected a string"),
        ({"field": "a b", "op": "eq", "value": 1}, "filter.field: invalid field name 'a b'"),
        ({"field": "a", "op": "eq", "value": {"x": 1}}, "filter.value: expected a string"),
        ({"field": "a", "op": "in", "value": [[1]]}, "filter.value[0]: expected a string"),
        ({"field": "a", "op": "eq", "value": float("nan")}, "filter.value: expected a finite"),
        ({"field": "a", "op": "isnull", "value": 1}, "filter.value: must be omitted for isnull"),
        ({"field": "t", "op": "any", "value": 1}, "filter.value: expected a condition"),
        ({"field": "t", "op": "count", "value": 2}, "filter.value: expected {op, value, where}"),
        ({"field": "t", "op": "count", "value": {"op": "in", "value": 1}},
         "filter.value.op: count takes a comparison operator, not 'in'"),
        ({"field": "t", "op": "count", "value": {"op": "gt"}}, "filter.value.value: required"),
        ({"field": "t", "op": "count", "value": {"op": "gt", "value": 1, "where": 5}},
         "filter.value.where: expected a condition"),
        ({"and": [], "or": []}, "filter: a group has exactly one key"),
        ({"and": {"field": "a"}}, "filter.and: expected a list"),
        ({"or": [1]}, "filter.or[0]: expected a condition"),
        ({"not": [{"and": [{"field": "a", "op": "eq"}]}]},
         "filter.not[0].and[0].value: required"),
        ("a = 1", "filter: expected a condition"),
        ({}, "filter: expected a condition"),
    ],
)
def test_json_errors(data: object, message: str) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_json(data)
    assert message in info.value.message


def test_json_unknown_operator_lists_the_valid_ones() -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_json([{"field": "a", "op": "equals", "value": 1}])
    message = info.value.message
    assert message.startswith("filter[0].op: unknown operator 'equals'; valid operators: ")
    assert all(spelling in message for spelling in OPERATOR_ALIASES)


def test_json_depth_is_limited() -> None:
    data: object = {"field": "a", "op": "eq", "value": 1}
    for _ in range(MAX_DEPTH + 5):
        data = {"not": data}
    with pytest.raises(FilterSyntaxError, match="nested deeper"):
        parse_json(data)


# --------------------------------------------------------------------------------------------
# parse_filter_text


def test_filter_text_picks_json_or_dsl() -> None:
    assert strip(parse_filter_text('  [{"field": "a", "op": "eq", "value": 1}]')) == A1
    assert strip(parse_filter_text('{"or": [{"field": "a", "op": "eq", "value": 1}]}')) == Or((A1,))
    assert strip(parse_filter_text("a = 1")) == A1
    # A JSON string stays a string; only the DSL knows special values.
    assert strip(parse_filter_text('[{"field": "d", "op": "lt", "value": "today+7d"}]')) == (
        cond("d", "lt", "today+7d")
    )


def test_filter_text_json_errors() -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter_text('[{"field": "a",, "op": "eq"}]')
    assert info.value.position == 15
    assert "invalid JSON at position 15 (line 1, column 16)" in info.value.message
    with pytest.raises(FilterSyntaxError, match=r"filter\.op: required"):
        parse_filter_text('{"field": "a"}')
    with pytest.raises(FilterSyntaxError, match="nested deeper"):
        parse_filter_text("[" * 100_000 + "]" * 100_000)


# --------------------------------------------------------------------------------------------
# Form-encoded


def test_form_simple_and_ignores_other_parameters() -> None:
    items = [
        ("page[size]", "10"),
        ("filter[0][field]", "title"),
        ("filter[0][op]", "contains"),
        ("filter[0][value]", "Acme"),
        ("sort", "-title"),
    ]
    assert form(items) == cond("title", "contains", "Acme")
    assert parse_form([("sort", "x"), ("filter", "a = 1")]) is None
    assert parse_form([]) is None


def test_form_lists_and_order() -> None:
    items = [
        ("filter[1][field]", "status"),
        ("filter[1][op]", "in"),
        ("filter[1][value][]", "New"),
        ("filter[1][value][]", "WIP"),
        ("filter[0][field]", "a"),
        ("filter[0][op]", "nin"),
        ("filter[0][value][1]", "y"),
        ("filter[0][value][0]", "x"),
    ]
    assert form(items) == And((
        cond("a", "nin", ["x", "y"]),
        cond("status", "in", ["New", "WIP"]),
    ))


def test_form_nested_groups() -> None:
    items = [
        ("filter[and][0][field]", "a"),
        ("filter[and][0][op]", "eq"),
        ("filter[and][0][value]", "1"),
        ("filter[and][1][or][0][field]", "b"),
        ("filter[and][1][or][0][op]", "isnull"),
        ("filter[and][1][or][1][not][field]", "c"),
        ("filter[and][1][or][1][not][op]", "eq"),
        ("filter[and][1][or][1][not][value]", "3"),
    ]
    assert form(items) == And((
        cond("a", "eq", "1"),
        Or((cond("b", "isnull"), Not(cond("c", "eq", "3")))),
    ))


def test_form_relation_and_count() -> None:
    items = [
        ("filter[0][field]", "tags"),
        ("filter[0][op]", "any"),
        ("filter[0][value][0][field]", "title"),
        ("filter[0][value][0][op]", "eq"),
        ("filter[0][value][0][value]", "urgent"),
        ("filter[1][field]", "tags"),
        ("filter[1][op]", "count"),
        ("filter[1][value][op]", "gt"),
        ("filter[1][value][value]", "2"),
        ("filter[1][value][where][0][field]", "title"),
        ("filter[1][value][where][0][op]", "startswith"),
        ("filter[1][value][where][0][value]", "x"),
    ]
    assert form(items) == And((
        cond("tags", "any", cond("title", "eq", "urgent")),
        cond("tags", "count", CountSpec("gt", "2", cond("title", "startswith", "x"))),
    ))


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([("filter[0", "x")], "malformed filter parameter name 'filter[0'"),
        ([("filter[0]x", "x")], "malformed"),
        ([("filter[0][a[b]]", "x")], "malformed"),
        ([("filter[0][field]", "a"), ("filter[0][field]", "b")], "given more than once"),
        ([("filter[0][field]", "a"), ("filter[0][field][x]", "b")], "conflicts"),
        ([("filter[0][field]", "a"), ("filter[x][field]", "b")], "mixes list indices and names"),
        ([("filter[99999999999][field]", "a")], "list index too large"),
        ([("filter[0][field]", "a")], "filter[0].op: required"),
        ([("filter" + "[not]" * 1000 + "[field]", "a")], "nested deeper"),
    ],
)
def test_form_errors(items: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_form(items)
    assert message in info.value.message


# --------------------------------------------------------------------------------------------
# Rendering


def test_render_dsl_examples() -> None:
    tree = And((Or((A1, B2)), Not(cond("s", "in", ["x", Special("today", -3)])), C3))
    assert render_dsl(tree) == '(a = 1 or b = 2) and not s in ["x", today-3d] and c = 3'
    assert render_dsl(cond("a", "eq", 'say "\\hi"')) == r'a = "say \"\\hi\""'
    assert render_dsl(cond("a", "isnotnull")) == "a is not null"
    assert render_dsl(cond("t", "count", CountSpec("gte", 1, A1))) == "t count (a = 1) >= 1"
    assert render_dsl(Not(Or((A1, B2)))) == "not (a = 1 or b = 2)"
    assert render_dsl(cond("a", "eq", 1e16)) == "a = 1e+16"
    # One-child groups are written as the child, with brackets where the child needs them.
    assert render_dsl(And((And((Or((A1, B2)),)), C3))) == "(a = 1 or b = 2) and c = 3"


@pytest.mark.parametrize(
    "tree",
    [
        And(()),
        cond("a", "eq", float("inf")),
        cond("a b", "eq", 1),
        cond("not", "eq", 1),
        cond("a", "bogus", 1),
        cond("a", "eq", Special("now", 2)),
        cond("t", "any", 1),
        cond("t", "count", CountSpec("in", 1)),
    ],
)
def test_render_dsl_refuses_what_cannot_be_read_back(tree: Node) -> None:
    with pytest.raises(ValueError):
        render_dsl(tree)


def test_render_json_examples() -> None:
    tree = And((Not(cond("a", "isnull")), cond("t", "count", CountSpec("gt", 2)),
                cond("d", "lt", Special("today", 7))))
    assert render_json(tree) == {"and": [
        {"not": {"field": "a", "op": "isnull"}},
        {"field": "t", "op": "count", "value": {"op": "gt", "value": 2}},
        {"field": "d", "op": "lt", "value": "today+7d"},
    ]}


# --------------------------------------------------------------------------------------------
# Round trips (property tests)

FIELD_NAMES = st.sampled_from([
    "title", "client.name", "custom_fields.my_alias", "is_public", "in_progress", "notes",
    "order", "status", "any_field", "none_x", "count", "null", "in", "today",
])
SPECIALS = st.one_of(
    st.sampled_from([Special(name) for name in ("me.id", "now", "today", "sow", "eow", "som",
                                                 "eom")]),
    st.integers(-400, 400).map(lambda days: Special("today", days)),
)
TRICKY_TEXT = st.text(alphabet=st.sampled_from([*"ab \"'\\\n%_,()[]", "é", "日", "✓"]))
SCALARS: st.SearchStrategy[Scalar] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
    TRICKY_TEXT,
    SPECIALS,
)
VALUE_OPS = st.sampled_from(
    ["eq", "ne", "lt", "lte", "gt", "gte", "contains", "startswith", "endswith", "like", "in",
     "nin"]
)
COMPARISONS = st.sampled_from(sorted(COMPARISON_OPERATORS))


def _leaves() -> st.SearchStrategy[Node]:
    return st.one_of(
        st.builds(Condition, FIELD_NAMES, VALUE_OPS, SCALARS | st.lists(SCALARS, max_size=4)),
        st.builds(Condition, FIELD_NAMES, st.sampled_from(["isnull", "isnotnull"]), st.none()),
        st.builds(
            lambda field, op, value: Condition(field, "count", CountSpec(op, value)),
            FIELD_NAMES, COMPARISONS, SCALARS,
        ),
    )


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    # Groups have at least two children: one-child and empty groups have no DSL spelling.
    groups = st.lists(children, min_size=2, max_size=4)
    return st.one_of(
        groups.map(lambda nodes: And(tuple(nodes))),
        groups.map(lambda nodes: Or(tuple(nodes))),
        children.map(Not),
        st.builds(Condition, FIELD_NAMES, st.sampled_from(["any", "all", "none"]), children),
        st.builds(
            lambda field, op, value, where: Condition(field, "count", CountSpec(op, value, where)),
            FIELD_NAMES, COMPARISONS, SCALARS, children,
        ),
    )


TREES = st.recursive(_leaves(), _extend, max_leaves=12)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(TREES)
def test_dsl_round_trip(tree: Node) -> None:
    assert strip(parse_dsl(render_dsl(tree))) == tree


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(TREES)
def test_json_round_trip(tree: Node) -> None:
    decoded = json.loads(json.dumps(render_json(tree)))
    assert strip(parse_json(decoded)) == specials_as_text(tree)


@given(st.text())
def test_dsl_fails_only_with_filter_syntax_error(text: str) -> None:
    try:
        parse_dsl(text)
    except FilterSyntaxError as error:
        assert error.position is None or 0 <= error.position <= len(text)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.sampled_from(
        ["a", "eq", "in", "any", "count", "gt", "isnull", "and", "or", "not"]
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["field", "op", "value", "where", "and", "or", "not", "x"]), inner,
        max_size=4,
    ),
    max_leaves=15,
)


@given(JSON_VALUES)
def test_json_fails_only_with_filter_syntax_error(data: object) -> None:
    with contextlib.suppress(FilterSyntaxError):
        parse_json(data)


FORM_KEYS = st.lists(
    st.sampled_from(["0", "1", "", "field", "op", "value", "where", "and", "or", "not", "x[",
                     "]"]),
    max_size=5,
).map(lambda segments: "filter" + "".join(f"[{s}]" for s in segments))


@given(st.lists(st.tuples(FORM_KEYS, st.sampled_from(["a", "eq", "isnull", "any", "1", ""]))))
def test_form_fails_only_with_filter_syntax_error(items: list[tuple[str, str]]) -> None:
    with contextlib.suppress(FilterSyntaxError):
        parse_form(items)
