"""The filter language end to end (spec README §3, §4) over the test-only gadgets resource.

A fixed data set pins every operator of every field kind to an exact set of rows; a property
test compares random filter trees, sent in both the DSL and the JSON form, with a plain-Python
evaluation of the same tree over random data.
"""

from __future__ import annotations

import json
import operator
import re
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import insert, update

from kanbert.kit.query.ast import And, Condition, CountSpec, Node, Not, Or, Special
from kanbert.kit.query.render import render_dsl, render_json
from kanbert.spaces.models import Space as SpaceRow

from gadgets import STATUSES, Gadget, Part
from support import Space, World

# A Wednesday, noon UTC: today 2024-05-15, sow Mon 05-13, eow Sun 05-19, som 05-01, eom 05-31.
NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)
ME = "@me"  # stands for the caller's id in data; replaced when the rows are inserted


@pytest.fixture(scope="module", autouse=True)
def frozen_now() -> Iterator[datetime]:
    """Every request of this module runs at NOW (the caller's clock is read in auth.deps)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("kanbert.auth.deps.utcnow", lambda: NOW)
        yield NOW


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --------------------------------------------------------------------------------------------
# Seeding and reading


GADGET_DEFAULTS: dict[str, Any] = {
    "title": "",
    "code": None,
    "owner_id": None,
    "status": "draft",
    "is_active": True,
    "is_featured": None,
    "due_on": None,
    "seen_at": None,
    "created_at": at("2024-01-01T00:00:00"),
    "weight": None,
    "price": None,
    "deleted_at": None,
}


def insert_gadgets(world: World, space: Space, gadgets: Sequence[dict[str, Any]]) -> list[str]:
    """Insert gadgets (each may carry `parts`) into `space`; returns their ids in order."""
    ids = [f"g{i}x{secrets.token_hex(6)}" for i in range(len(gadgets))]
    gadget_rows: list[dict[str, Any]] = []
    part_rows: list[dict[str, Any]] = []
    for gadget_id, gadget in zip(ids, gadgets, strict=True):
        row = {**GADGET_DEFAULTS, **{k: v for k, v in gadget.items() if k != "parts"}}
        if row["owner_id"] == ME:
            row["owner_id"] = space.integration_id
        if row["price"] is not None:
            row["price"] = Decimal(str(row["price"]))
        gadget_rows.append(
            {**row, "id": gadget_id, "space_id": space.id, "updated_at": row["created_at"]}
        )
        part_rows += [
            {"id": f"p{secrets.token_hex(8)}", "gadget_id": gadget_id, **part}
            for part in gadget.get("parts", ())
        ]

    async def work(session: Any) -> None:
        if gadget_rows:
            await session.execute(insert(Gadget), gadget_rows)
        if part_rows:
            await session.execute(insert(Part), part_rows)

    world.run(work)
    return ids


def walk(space: Space, params: dict[str, Any] | list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Every row of the gadgets list for `params`, following next links; checks no repeats."""
    if isinstance(params, dict):
        params = {"page[size]": 100, **params}
    else:
        params = [("page[size]", "100"), *params]
    rows = space.api.walk("/gadgets", params=params)
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)), f"a row came twice: {ids}"
    return rows


def expect_400(space: Space, params: Any, key: str, *fragments: str) -> str:
    response = space.api.get("/gadgets", params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert list(body["errors"]) == [key], body
    assert body["errors"][key] == [body["message"]], body
    for fragment in fragments:
        assert fragment in body["message"], (fragment, body["message"])
    return str(body["message"])


# --------------------------------------------------------------------------------------------
# The fixed data set
#
#     title            code  owner   status   act feat due_on seen_at (UTC)          weight price
#  a  "Alpha 100%"     A_1   me      draft    T   T    05-15  05-15 00:00:00          1.5  10.00
#  b  "beta_max"       b%2   ownerB  live     F   F    05-14  05-14 23:59:59.999999   2.25  0.50
#  c  "Gamma"          -     -       retired  T   -    -      -                       -     -
#  d  "alphabet"       a1    ownerB  live     T   T    05-19  05-19 23:59:59.999999  -3.0  99.99
#  e  "100 percent"    AX1   me      draft    F   -    05-01  05-13 00:00:00          0.0   0.00
#  f  "Alpha deleted"  -     -       draft    T   F    05-15  05-15 10:00:00          1.5  10.00
#  (f is archived)
#
#  created_at: a 05-01 00:00, b 05-10 08:00, c 05-13 00:00, d 05-31 23:59:59.999999,
#              e 06-01 00:00, f 05-02 00:00
#  parts:  a [bolt red 2, nut blue 5]   b [bolt blue 1]   c []
#          d [washer red 3, nut red 0, bolt - 1]   e [Nut Red 4]   f [bolt blue 1]

FIXED: dict[str, dict[str, Any]] = {
    "a": {
        "title": "Alpha 100%", "code": "A_1", "owner_id": ME, "status": "draft",
        "is_active": True, "is_featured": True, "due_on": date(2024, 5, 15),
        "seen_at": at("2024-05-15T00:00:00"), "created_at": at("2024-05-01T00:00:00"),
        "weight": 1.5, "price": "10.00",
        "parts": [
            {"title": "bolt", "qty": 2, "colour": "red"},
            {"title": "nut", "qty": 5, "colour": "blue"},
        ],
    },
    "b": {
        "title": "beta_max", "code": "b%2", "owner_id": "ownerB", "status": "live",
        "is_active": False, "is_featured": False, "due_on": date(2024, 5, 14),
        "seen_at": at("2024-05-14T23:59:59.999999"), "created_at": at("2024-05-10T08:00:00"),
        "weight": 2.25, "price": "0.50",
        "parts": [{"title": "bolt", "qty": 1, "colour": "blue"}],
    },
    "c": {
        "title": "Gamma", "status": "retired", "is_active": True,
        "created_at": at("2024-05-13T00:00:00"),
    },
    "d": {
        "title": "alphabet", "code": "a1", "owner_id": "ownerB", "status": "live",
        "is_active": True, "is_featured": True, "due_on": date(2024, 5, 19),
        "seen_at": at("2024-05-19T23:59:59.999999"),
        "created_at": at("2024-05-31T23:59:59.999999"), "weight": -3.0, "price": "99.99",
        "parts": [
            {"title": "washer", "qty": 3, "colour": "red"},
            {"title": "nut", "qty": 0, "colour": "red"},
            {"title": "bolt", "qty": 1, "colour": None},
        ],
    },
    "e": {
        "title": "100 percent", "code": "AX1", "owner_id": ME, "status": "draft",
        "is_active": False, "is_featured": None, "due_on": date(2024, 5, 1),
        "seen_at": at("2024-05-13T00:00:00"), "created_at": at("2024-06-01T00:00:00"),
        "weight": 0.0, "price": "0.00",
        "parts": [{"title": "Nut", "qty": 4, "colour": "Red"}],
    },
    "f": {
        "title": "Alpha deleted", "code": None, "owner_id": None, "status": "draft",
        "is_active": True, "is_featured": False, "due_on": date(2024, 5, 15),
        "seen_at": at("2024-05-15T10:00:00"), "created_at": at("2024-05-02T00:00:00"),
        "weight": 1.5, "price": "10.00", "deleted_at": at("2024-05-05T00:00:00"),
        "parts": [{"title": "bolt", "qty": 1, "colour": "blue"}],
    },
}


@dataclass
class Fixed:
    space: Space
    ids: dict[str, str]  # label → id
    labels: dict[str, str]  # id → label

    def labels_of(self, rows: list[dict[str, Any]]) -> set[str]:
        return {self.labels[row["id"]] for row in rows}

    def select(self, params: Any) -> set[str]:
        return self.labels_of(walk(self.space, params))

    def dsl(self, text: str) -> set[str]:
        return self.select({"filter": self.fill(text)})

    def json(self, document: object) -> set[str]:
        return self.select({"filter": self.fill(json.dumps(document))})

    def fill(self, text: str) -> str:
        """`<c>` in a filter stands for the id of gadget c."""
        return re.sub(r"<([a-f])>", lambda m: self.ids[m[1]], text)


@pytest.fixture(scope="module")
def fixed(gadget_world: World) -> Fixed:
    space = gadget_world.new_space("Fixed gadgets")
    ids = insert_gadgets(gadget_world, space, list(FIXED.values()))
    by_label = dict(zip(FIXED, ids, strict=True))
    return Fixed(space, by_label, {v: k for k, v in by_label.items()})


# (filter in the DSL, the labels it selects). Archived f is hidden unless asked for.
OPERATOR_CASES: list[tuple[str, str]] = [
    # -- string (title non-null, code nullable) --
    ('title = "Gamma"', "c"),
    ('title == "Gamma"', "c"),
    ('title eq "Gamma"', "c"),
    ('title EQ "Gamma"', "c"),
    ('title = "gamma"', ""),  # equality is exact; only the matching operators ignore case
    ('title != "Gamma"', "abde"),
    ('code ne "a1"', "abce"),  # null-safe: c (code null) matches
    ('code neq "a1"', "abce"),
    ('code <> "a1"', "abce"),
    ('code = "a1"', "d"),
    ('code = null', "c"),
    ('code != null', "abde"),
    ('title in ["Gamma", "beta_max", "nope"]', "bc"),
    ('code in ["a1", "zz"]', "d"),
    ('code nin ["a1", "A_1"]', "bce"),
    ('code notin ["a1", "A_1"]', "bce"),
    ('code NotIn []', "abcde"),
    ('code in []', ""),
    ('title contains "ALPHA"', "ad"),
    ('title contains "100%"', "a"),  # % is literal: "100 percent" does not match
    ('title contains "_"', "b"),  # _ is literal
    ('code contains "%"', "b"),
    ('code contains "_"', "a"),
    ('code CONTAINS "x"', "e"),
    ('title startswith "alpha"', "ad"),
    ('title StartsWith "ALPHA"', "ad"),
    ('title startswith "1_0"', ""),
    ('title endswith "%"', "a"),
    ('title endswith "MAX"', "b"),
    ('code startswith "a"', "ade"),
    ('code endswith "1"', "ade"),
    ('title like "alpha%"', "ad"),
    ('title like "%a_"', "b"),  # _ is one character: "beta_max" ends in "ax"
    ('code like "a_1"', "ae"),
    ('code LIKE "A%"', "ade"),
    ('code like "%"', "abde"),
    ('title like "100%"', "e"),
    ('title like "%100%"', "ae"),
    ('code is null', "c"),
    ('code IS NULL', "c"),
    ('code isnull', "c"),
    ('code is not null', "abde"),
    ('code isnotnull', "abde"),
    ('code notnull', "abde"),
    # -- id (id non-null, owner.id nullable) --
    ('id = "<c>"', "c"),
    ('id != "<c>"', "abde"),
    ('id in ["<a>", "<e>", "<f>"]', "ae"),
    ('id nin ["<a>"]', "bcde"),
    ('owner.id = me.id', "ae"),
    ('owner.id = "me.id"', "ae"),
    ('owner.id != me.id', "bcd"),
    ('owner.id = "ownerB"', "bd"),
    ('owner.id in [me.id, "ownerB"]', "abde"),
    ('owner.id nin ["ownerB"]', "ace"),
    ('owner.id notin [me.id]', "bcd"),
    ('owner.id is null', "c"),
    ('owner.id is not null', "abde"),
    # -- enum --
    ('status = "live"', "bd"),
    ('status != "live"', "ace"),
    ('status neq "draft"', "bcd"),
    ('status in ["draft", "retired"]', "ace"),
    ('status nin ["draft"]', "bcd"),
    # -- boolean (is_active non-null, is_featured nullable) --
    ("is_active = true", "acd"),
    ("is_active = false", "be"),
    ("is_active != true", "be"),
    ("is_active ne false", "acd"),
    ("is_featured = true", "ad"),
    ("is_featured = false", "b"),
    ("is_featured != true", "bce"),
    ("is_featured ne false", "acde"),
    ("is_featured is null", "ce"),
    ("is_featured = null", "ce"),
    ("is_featured isnotnull", "abd"),
    # -- date --
    ('due_on = "2024-05-15"', "a"),
    ('due_on != "2024-05-15"', "bcde"),
    ('due_on < "2024-05-15"', "be"),
    ('due_on lt "2024-05-15"', "be"),
    ('due_on <= "2024-05-15"', "abe"),
    ('due_on lte "2024-05-15"', "abe"),
    ('due_on le "2024-05-15"', "abe"),
    ('due_on > "2024-05-14"', "ad"),
    ('due_on gt "2024-05-14"', "ad"),
    ('due_on >= "2024-05-14"', "abd"),
    ('due_on gte "2024-05-14"', "abd"),
    ('due_on ge "2024-05-14"', "abd"),
    ('due_on in ["2024-05-01", "2024-05-19"]', "de"),
    ('due_on nin ["2024-05-01", "2024-05-19"]', "abc"),
    ("due_on is null", "c"),
    ("due_on is not null", "abde"),
    ("due_on = today", "a"),
    ("due_on = TODAY", "a"),
    ("due_on = today-1d", "b"),
    ("due_on = today+4d", "d"),
    ("due_on < today", "be"),
    ("due_on <= today", "abe"),
    ("due_on = now", "a"),
    ("due_on >= sow", "abd"),
    ("due_on = eow", "d"),
    ("due_on = som", "e"),
    ("due_on <= eom", "abde"),
    ("due_on in [today, today-1d]", "ab"),
    ('due_on < "9999-12-31"', "abde"),
    ('due_on > "0001-01-01"', "abde"),
    # -- datetime with a date-only value: eq is the whole day, lte includes it, gt excludes it
    ('seen_at = "2024-05-15"', "a"),
    ('seen_at = "2024-05-14"', "b"),
    ('seen_at != "2024-05-15"', "bcde"),
    ('seen_at < "2024-05-14"', "e"),
    ('seen_at <= "2024-05-14"', "be"),
    ('seen_at > "2024-05-14"', "ad"),
    ('seen_at >= "2024-05-14"', "abd"),
    ('seen_at in ["2024-05-13", "2024-05-19T23:59:59.999999Z"]', "de"),
    ('seen_at nin ["2024-05-13"]', "abcd"),
    ('created_at = "2024-05-10"', "b"),
    ('created_at lt "2024-05-10"', "a"),
    ('created_at <= "2024-05-31"', "abcd"),
    ('created_at > "2024-05-31"', "e"),
    # ... and with instants
    ('seen_at = "2024-05-15T00:00:00Z"', "a"),
    ('seen_at = "2024-05-15T02:00:00+02:00"', "a"),
    ('seen_at > "2024-05-14T23:59:59.999999Z"', "ad"),
    ('seen_at >= "2024-05-14T23:59:59.999999Z"', "abd"),
    ('seen_at < "2024-05-15T00:00:00Z"', "be"),
    ('seen_at < "9999-12-31T23:59:59.999999Z"', "abde"),
    ('seen_at >= "0001-01-01"', "abde"),
    ("seen_at is null", "c"),
    ("seen_at notnull", "abde"),
    # ... and with special values (NOW is 2024-05-15T12:00Z)
    ("seen_at = today", "a"),
    ("seen_at = today-1d", "b"),
    ("seen_at != today", "bcde"),
    ("seen_at < today", "be"),
    ("seen_at <= today", "abe"),
    ("seen_at > today-1d", "ad"),
    ("seen_at < now", "abe"),
    ("seen_at > now", "d"),
    ("seen_at = sow", "e"),
    ("seen_at = eow", "d"),
    ("seen_at < eow", "abe"),
    ("seen_at <= eow", "abde"),
    ("created_at = som", "a"),
    ("created_at > som", "bcde"),
    ("created_at = eom", "d"),
    ("created_at > eom", "e"),
    ("created_at >= sow", "cde"),
    # -- number --
    ("weight = 1.5", "a"),
    ("weight != 1.5", "bcde"),
    ("weight < 0", "d"),
    ("weight <= 0", "de"),
    ("weight > 1.5", "b"),
    ("weight >= 1.5", "ab"),
    ("weight = -3", "d"),
    ("weight in [0, 2.25]", "be"),
    ("weight nin [0]", "abcd"),
    ("weight in [2.25, 0]", "be"),
    ("weight > 99999999999999999999", ""),  # beyond BIGINT
    ("weight < 1e300", "abde"),
    ("weight is null", "c"),
    ("weight is not null", "abde"),
    ('weight = "2.25"', "b"),  # numbers may come as strings (they do in form-encoded filters)
    # -- currency --
    ("price = 10", "a"),
    ("price = 10.00", "a"),
    ("price = 99.99", "d"),
    ("price = 0.5", "b"),
    ("price != 0", "abcd"),
    ("price < 10", "be"),
    ("price <= 10", "abe"),
    ("price > 0.5", "ad"),
    ("price >= 0.5", "abd"),
    ("price in [0.5, 99.99]", "bd"),
    ("price nin [10]", "bcde"),
    ("price in [0, 0.5]", "be"),  # mixed int and float
    ("price < 100000000000", "abde"),  # beyond the column's NUMERIC(12, 2)
    ("price > -99999999999999999999.5", "abde"),
    ("price isnull", "c"),
    ("price is not null", "abde"),
    # -- groups --
    ('title contains "alpha" or status = "retired"', "acd"),
    ('title contains "alpha" and status = "live"', "d"),
    ('not title contains "alpha"', "bce"),
    ('not (code is null or weight < 1)', "ab"),
    ('status = "draft" or status = "live" and is_active = true', "ade"),  # and binds tighter
    ('(status = "draft" or status = "live") and is_active = true', "ad"),
    ('not not status = "live"', "bd"),
    # -- relations --
    ('parts any (title = "bolt")', "abd"),
    ('parts any (title = "nut")', "ad"),
    ('parts any (title startswith "NU")', "ade"),
    ('parts any (colour != "red")', "abde"),  # d's colourless bolt and e's "Red" both count
    ('parts all (colour = "red")', "c"),  # c has no parts
    ("parts all (qty >= 1)", "abce"),
    ('parts none (title = "bolt")', "ce"),
    ("parts none (colour is null)", "abce"),
    ('not parts any (title = "bolt")', "ce"),
    ("parts count > 1", "ad"),
    ("parts count = 0", "c"),
    ("parts count < 99999999999999999999", "abcde"),
    ("parts any (qty in [0, 1.5])", "d"),  # 1.5 is no integer, and no qty of 2
    ("parts any (qty = 1.5)", ""),
    ("parts count != 1", "acd"),
    ('parts count (colour = "red") >= 2', "d"),
    ('parts count (colour contains "RED") >= 1', "ade"),
    ("parts count (qty > 0) = 1", "be"),
    ('parts any (title = "bolt" and colour = "blue")', "b"),  # the same related row
    ('parts any (title = "bolt") and parts any (colour = "blue")', "ab"),
    ('parts any (title = "bolt" and not colour = "red")', "bd"),
    ('parts all (title = "bolt" or qty > 1)', "abce"),
    # -- archived --
    ('archived = "with"', "abcdef"),
    ('archived eq "only"', "f"),
    ('archived = "without"', "abcde"),
    ('archived = "with" and title contains "alpha"', "adf"),
    ('title contains "alpha" and archived = "only"', "f"),
    ('archived = "with" and parts any (title = "bolt" and colour = "blue")', "bf"),
]


@pytest.mark.parametrize(("text", "expected"), OPERATOR_CASES, ids=[c[0] for c in OPERATOR_CASES])
def test_operator_selects_exactly(fixed: Fixed, text: str, expected: str) -> None:
    assert fixed.dsl(text) == set(expected)


def test_no_filter_hides_archived_rows(fixed: Fixed) -> None:
    assert fixed.select({}) == set("abcde")
    assert fixed.select({"filter": ""}) == set("abcde")
    assert fixed.select({"filter": "[]"}) == set("abcde")


JSON_CASES: list[tuple[object, str]] = [
    ([{"field": "title", "op": "contains", "value": "Alpha"}], "ad"),
    ({"field": "code", "op": "isnull"}, "c"),
    ({"field": "code", "op": "notnull"}, "abde"),
    ({"field": "code", "op": "NEQ", "value": "a1"}, "abce"),
    ({"field": "code", "op": "<>", "value": None}, "abde"),
    ({"field": "title", "op": "startsWith", "value": "ALPHA"}, "ad"),
    ({"field": "title", "op": "like", "value": "%A_"}, "b"),
    ({"field": "owner.id", "op": "eq", "value": "me.id"}, "ae"),
    ({"field": "owner.id", "op": "in", "value": ["me.id", "ownerB"]}, "abde"),
    ({"field": "is_featured", "op": "ne", "value": True}, "bce"),
    ({"field": "due_on", "op": "eq", "value": "today"}, "a"),
    ({"field": "due_on", "op": "lt", "value": "today"}, "be"),
    ({"field": "due_on", "op": "eq", "value": "today+4d"}, "d"),
    ({"field": "seen_at", "op": "lte", "value": "2024-05-14"}, "be"),
    ({"field": "seen_at", "op": "gt", "value": "2024-05-14"}, "ad"),
    ({"field": "seen_at", "op": "eq", "value": "today-1d"}, "b"),
    ({"field": "seen_at", "op": "lt", "value": "now"}, "abe"),
    ({"field": "created_at", "op": "eq", "value": "eom"}, "d"),
    ({"field": "weight", "op": "ge", "value": "1.5"}, "ab"),
    ({"field": "price", "op": "in", "value": [0.5, "99.99"]}, "bd"),
    ({"and": [{"field": "status", "op": "eq", "value": "live"},
              {"or": [{"field": "weight", "op": "lt", "value": 0},
                      {"field": "is_active", "op": "eq", "value": False}]}]}, "bd"),
    ({"not": {"field": "title", "op": "contains", "value": "alpha"}}, "bce"),
    ({"or": [{"field": "status", "op": "eq", "value": "retired"},
             {"not": [{"field": "is_active", "op": "eq", "value": True},
                      {"field": "status", "op": "eq", "value": "draft"}]}]}, "bcde"),
    # relations
    ({"field": "parts", "op": "any", "value": [{"field": "title", "op": "eq", "value": "bolt"}]},
     "abd"),
    ({"field": "parts", "op": "all", "value": {"field": "colour", "op": "eq", "value": "red"}},
     "c"),
    ({"field": "parts", "op": "none", "value": [{"field": "title", "op": "eq", "value": "bolt"}]},
     "ce"),
    ({"field": "parts", "op": "count", "value": {"op": "gt", "value": 1}}, "ad"),
    ({"field": "parts", "op": "count",
      "value": {"op": "gte", "value": 2,
                "where": [{"field": "colour", "op": "eq", "value": "red"}]}}, "d"),
    ({"field": "parts", "op": "any",
      "value": [{"field": "title", "op": "eq", "value": "bolt"},
                {"field": "colour", "op": "eq", "value": "blue"}]}, "b"),
    ([{"field": "parts", "op": "any", "value": [{"field": "title", "op": "eq", "value": "bolt"}]},
      {"field": "parts", "op": "any", "value": [{"field": "colour", "op": "eq", "value": "blue"}]}],
     "ab"),
    # archived
    ([{"field": "archived", "op": "eq", "value": "with"}], "abcdef"),
    ([{"field": "archived", "op": "eq", "value": "only"}], "f"),
    ({"and": [{"field": "archived", "op": "eq", "value": "only"},
              {"field": "title", "op": "contains", "value": "alpha"}]}, "f"),
]


@pytest.mark.parametrize(("document", "expected"), JSON_CASES, ids=[str(c[0]) for c in JSON_CASES])
def test_json_filter_selects_exactly(fixed: Fixed, document: object, expected: str) -> None:
    assert fixed.json(document) == set(expected)


def test_like_escapes_and_backslashes(gadget_world: World, gadget_space: Space) -> None:
    r"""contains/startswith/endswith take `\`, `%` and `_` literally on both engines."""
    ids = insert_gadgets(
        gadget_world,
        gadget_space,
        [{"title": "a\\b"}, {"title": "a%b"}, {"title": "a_b"}, {"title": "aXb"}, {"title": "x\\"}],
    )

    def select(document: object) -> set[int]:
        rows = walk(gadget_space, {"filter": json.dumps(document)})
        return {ids.index(row["id"]) for row in rows}

    assert select({"field": "title", "op": "contains", "value": "\\"}) == {0, 4}
    assert select({"field": "title", "op": "contains", "value": "a\\b"}) == {0}
    assert select({"field": "title", "op": "startswith", "value": "a%"}) == {1}
    assert select({"field": "title", "op": "endswith", "value": "_b"}) == {2}
    assert select({"field": "title", "op": "like", "value": "a_b"}) == {0, 1, 2, 3}
    assert select({"field": "title", "op": "like", "value": "_\\"}) == {4}
    assert select({"field": "title", "op": "like", "value": "A%B"}) == {0, 1, 2, 3}
    # In a LIKE pattern a backslash escapes the next character (as the DSL keeps `\%` for it),
    # on both engines, and a trailing lone backslash stands for itself.
    assert select({"field": "title", "op": "like", "value": "a\\%b"}) == {1}
    assert select({"field": "title", "op": "like", "value": "a\\_b"}) == {2}
    assert select({"field": "title", "op": "like", "value": "a\\\\b"}) == {0}
    assert select({"field": "title", "op": "like", "value": "a\\"}) == set()
    assert select({"field": "title", "op": "like", "value": "X\\"}) == {4}
    assert select({"field": "title", "op": "like", "value": "%\\"}) == {4}
    assert select({"field": "title", "op": "endswith", "value": "\\"}) == {4}
    assert walk(gadget_space, {"filter": 'title like "a\\%b"'}) == walk(
        gadget_space, {"filter": json.dumps({"field": "title", "op": "like", "value": "a\\%b"})}
    )


def test_day_boundaries_follow_the_space_time_zone(
    gadget_world: World, gadget_space: Space
) -> None:
    """At NOW (12:00 UTC) it is already 2024-05-16 00:00 in Auckland (UTC+12)."""

    async def set_zone(session: Any) -> None:
        await session.execute(
            update(SpaceRow)
            .where(SpaceRow.id == gadget_space.id)
            .values(timezone="Pacific/Auckland")
        )

    gadget_world.run(set_zone)
    ids = insert_gadgets(
        gadget_world,
        gadget_space,
        [
            {"due_on": date(2024, 5, 15), "seen_at": at("2024-05-15T11:59:59.999999")},
            {"due_on": date(2024, 5, 16), "seen_at": at("2024-05-15T12:00:00")},
            {"due_on": date(2024, 5, 17), "seen_at": at("2024-05-16T12:00:00")},
        ],
    )

    def select(text: str) -> set[int]:
        return {ids.index(row["id"]) for row in walk(gadget_space, {"filter": text})}

    assert select("due_on = today") == {1}
    assert select("seen_at = today") == {1}
    assert select("seen_at < today") == {0}
    assert select("seen_at > today") == {2}
    assert select('seen_at = "2024-05-15"') == {0}  # the Auckland day: 05-14 12:00Z to 05-15 12:00Z
    assert select('seen_at = "2024-05-16"') == {1}


# --------------------------------------------------------------------------------------------
# The three forms agree


def form(*conditions: tuple[str, ...]) -> list[tuple[str, str]]:
    """`("title", "contains", "a")` → filter[0][field]=title&filter[0][op]=…&filter[0][value]=a."""
    items: list[tuple[str, str]] = []
    for i, condition in enumerate(conditions):
        field, op, *value = condition
        items += [(f"filter[{i}][field]", field), (f"filter[{i}][op]", op)]
        items += [(f"filter[{i}][value]", v) for v in value]
    return items


EQUIVALENT_FORMS: list[tuple[str, object, list[tuple[str, str]], str]] = [
    (
        'title contains "alpha" and weight >= 1',
        [{"field": "title", "op": "contains", "value": "alpha"},
         {"field": "weight", "op": "gte", "value": 1}],
        form(("title", "contains", "alpha"), ("weight", "gte", "1")),
        "a",
    ),
    (
        "is_featured = false and due_on <= today",
        [{"field": "is_featured", "op": "eq", "value": False},
         {"field": "due_on", "op": "lte", "value": "today"}],
        form(("is_featured", "eq", "false"), ("due_on", "lte", "today")),
        "b",
    ),
    (
        'code is null and archived = "with"',
        [{"field": "code", "op": "isnull"}, {"field": "archived", "op": "eq", "value": "with"}],
        form(("code", "isnull"), ("archived", "eq", "with")),
        "cf",
    ),
    (
        'status in ["draft", "retired"] and owner.id = me.id',
        [{"field": "status", "op": "in", "value": ["draft", "retired"]},
         {"field": "owner.id", "op": "eq", "value": "me.id"}],
        [("filter[0][field]", "status"), ("filter[0][op]", "in"),
         ("filter[0][value][0]", "draft"), ("filter[0][value][1]", "retired"),
         ("filter[1][field]", "owner.id"), ("filter[1][op]", "eq"), ("filter[1][value]", "me.id")],
        "ae",
    ),
    (
        'parts any (title = "bolt" and colour = "blue")',
        [{"field": "parts", "op": "any",
          "value": [{"field": "title", "op": "eq", "value": "bolt"},
                    {"field": "colour", "op": "eq", "value": "blue"}]}],
        [("filter[0][field]", "parts"), ("filter[0][op]", "any"),
         ("filter[0][value][0][field]", "title"), ("filter[0][value][0][op]", "eq"),
         ("filter[0][value][0][value]", "bolt"),
         ("filter[0][value][1][field]", "colour"), ("filter[0][value][1][op]", "eq"),
         ("filter[0][value][1][value]", "blue")],
        "b",
    ),
    (
        'parts count (colour = "red") >= 2',
        [{"field": "parts", "op": "count",
          "value": {"op": "gte", "value": 2,
                    "where": [{"field": "colour", "op": "eq", "value": "red"}]}}],
        [("filter[0][field]", "parts"), ("filter[0][op]", "count"),
         ("filter[0][value][op]", "gte"), ("filter[0][value][value]", "2"),
         ("filter[0][value][where][0][field]", "colour"),
         ("filter[0][value][where][0][op]", "eq"),
         ("filter[0][value][where][0][value]", "red")],
        "d",
    ),
]


@pytest.mark.parametrize(
    ("dsl", "document", "form_items", "expected"),
    EQUIVALENT_FORMS,
    ids=[case[0] for case in EQUIVALENT_FORMS],
)
def test_three_forms_agree(
    fixed: Fixed,
    dsl: str,
    document: object,
    form_items: list[tuple[str, str]],
    expected: str,
) -> None:
    assert fixed.dsl(dsl) == set(expected)
    assert fixed.json(document) == set(expected)
    assert fixed.select(form_items) == set(expected)


def test_filter_given_twice_is_refused(fixed: Fixed) -> None:
    params = [("filter", 'title = "x"'), *form(("title", "eq", "x"))]
    expect_400(fixed.space, params, "filter", "not both")


# --------------------------------------------------------------------------------------------
# Archived


def test_archived_nested_under_or_is_refused(fixed: Fixed) -> None:
    expect_400(
        fixed.space,
        {"filter": 'title = "x" or archived = "with"'},
        "filter",
        "'archived'",
        "top level",
    )
    expect_400(fixed.space, {"filter": 'not archived = "with"'}, "filter", "'archived'")
    expect_400(
        fixed.space, {"filter": 'parts any (archived = "with")'}, "filter", "'archived'"
    )


def test_archived_takes_eq_and_known_values_only(fixed: Fixed) -> None:
    expect_400(fixed.space, {"filter": 'archived = "all"'}, "filter", "with, only, without")
    expect_400(fixed.space, {"filter": 'archived != "with"'}, "filter", "'archived'", "eq")
    expect_400(fixed.space, {"filter": "archived = true"}, "filter", "'archived'")


# --------------------------------------------------------------------------------------------
# Errors: 400 with the parameter and a message naming the problem


ERROR_CASES: list[tuple[str, str, tuple[str, ...]]] = [
    # unknown fields, listing what is allowed
    ('titel = "x"', "filter", ("'titel'", "allowed:", "title", "price", "parts", "archived")),
    ('owner = "x"', "filter", ("'owner'", "owner.id")),
    ("parts any (weight = 1)", "filter", ("'weight'", "allowed: title, qty, colour")),
    ("parts count (nope = 1) > 1", "filter", ("'nope'", "title, qty, colour")),
    # operators the type does not allow
    ('is_active contains "x"', "filter", ("'contains'", "'is_active'", "boolean", "eq, ne")),
    ('price like "1"', "filter", ("'like'", "'price'", "currency")),
    ('weight contains "1"', "filter", ("'contains'", "'weight'", "number")),
    ('title < "b"', "filter", ("'<'", "'title'", "string", "startswith")),
    ('owner.id contains "own"', "filter", ("'contains'", "'owner.id'", "id")),
    ('status like "li%"', "filter", ("'like'", "'status'", "enum")),
    ("status is null", "filter", ("'status'", "enum")),  # not nullable: no null tests
    ("is_active is null", "filter", ("'is_active'", "boolean")),
    ('due_on startswith "2024"', "filter", ("'startswith'", "'due_on'", "date")),
    ('seen_at like "2024%"', "filter", ("'like'", "'seen_at'", "datetime")),
    ("parts = 1", "filter", ("'='", "'parts'", "any, all, none, count")),
    ("parts is null", "filter", ("'parts'", "any, all, none, count")),
    ('title any (title = "x")', "filter", ("'any'", "'title'")),
    # values that do not fit the type
    ('weight = "heavy"', "filter", ("'weight'", "'heavy'", "not a number")),
    ("weight = true", "filter", ("'weight'", "not a number")),
    ('price > "ten"', "filter", ("'price'", "'ten'", "not a number")),
    ('weight > "1e400"', "filter", ("'weight'", "out of range")),
    ("weight > " + "9" * 400, "filter", ("'weight'", "out of range")),
    ("weight > 1e400", "filter", ("out of range", "position 9")),
    ('due_on = "2024-13-01"', "filter", ("'due_on'", "'2024-13-01'", "not a date")),
    ('due_on = "2024-05-01T10:00:00Z"', "filter", ("'due_on'", "not a date")),
    ("due_on = 20240501", "filter", ("'due_on'", "not a date")),
    ("due_on = me.id", "filter", ("'due_on'", "me.id")),
    ("due_on = today+99999999d", "filter", ("'due_on'", "today+99999999d", "out of range")),
    ("seen_at < today-9999999999999d", "filter", ("'seen_at'", "out of range")),
    ('[{"field": "due_on", "op": "eq", "value": "today+99999999d"}]', "filter",
     ("'due_on'", "out of range")),
    ('seen_at = "9999-12-31"', "filter", ("'seen_at'", "'9999-12-31'", "out of range")),
    ('seen_at > "0001-01-01T00:00:00+05:00"', "filter", ("'seen_at'", "out of range")),
    ('seen_at > "yesterday"', "filter", ("'seen_at'", "'yesterday'", "date-time")),
    ('seen_at > "2024-02-30"', "filter", ("'seen_at'", "'2024-02-30'")),
    ('owner.id = "not an id!"', "filter", ("'owner.id'", "'not an id!'", "not an id")),
    ("owner.id = 12", "filter", ("'owner.id'", "not an id")),
    ("owner.id = today", "filter", ("'owner.id'", "today", "not an id")),
    ('status = "bogus"', "filter", ("'status'", "'bogus'", "draft, live, retired")),
    ('status = "Live"', "filter", ("'status'", "'Live'")),
    ('status in ["live", "bogus"]', "filter", ("'status'", "'bogus'")),
    ('is_active = "yes"', "filter", ("'is_active'", "'yes'", "boolean")),
    ("title = 12", "filter", ("'title'", "not a string")),
    ("title = today", "filter", ("'title'", "today", "not a string")),
    ('title in "abc"', "filter", ("'title'", "list")),
    ('title = ["a"]', "filter", ("'title'", "list")),
    ('parts count > "many"', "filter", ("'parts'", "'many'", "not a number")),
    ('parts any (qty = "lots")', "filter", ("'qty'", "'lots'", "not a number")),
    # malformed DSL: the message says where
    ('title = "x" and', "filter", ("position 15", "end of input")),
    ('title = = "x"', "filter", ("position 8", "'='")),
    ('title contains "abc', "filter", ("unterminated string", "position 15")),
    ("(title = 'x'", "filter", ("position 12",)),
    ("title = 'x')", "filter", ("position 11", "')'")),
    ("title foo 'x'", "filter", ("position 6", "'foo'")),
    ("parts any title = 'x'", "filter", ("position 10",)),
    # bad JSON
    ('[{"field": "title", "op": "eq", "value": "x"}', "filter", ("invalid JSON", "position")),
    ('{"field": "title", "op": "eq"}', "filter", ("filter.value", "required")),
    ('{"field": "title", "op": "equals", "value": "x"}', "filter", ("filter.op", "'equals'")),
    ('[{"field": "title", "op": "eq", "vaule": "x"}]', "filter", ("filter[0].vaule",)),
    ('{"field": "code", "op": "isnull", "value": "x"}', "filter", ("filter.value", "omitted")),
    ('{"and": {"field": "title"}}', "filter", ("filter.and", "list")),
    ('{"xor": []}', "filter", ("filter",)),
    ('[{"field": "parts", "op": "count", "value": 3}]', "filter", ("filter[0].value",)),
    ('[{"field": "titel", "op": "eq", "value": "x"}]', "filter", ("'titel'", "allowed:")),
]


@pytest.mark.parametrize(
    ("text", "key", "fragments"), ERROR_CASES, ids=[case[0] for case in ERROR_CASES]
)
def test_bad_filter_is_a_400_naming_the_problem(
    fixed: Fixed, text: str, key: str, fragments: tuple[str, ...]
) -> None:
    expect_400(fixed.space, {"filter": text}, key, *fragments)


def test_bad_sort_and_include_are_400s(fixed: Fixed) -> None:
    expect_400(fixed.space, {"sort": "colour"}, "sort", "'colour'", "allowed:", "title", "price")
    expect_400(fixed.space, {"sort": "-nope"}, "sort", "'-nope'")
    expect_400(fixed.space, {"sort": "title,-title"}, "sort", "'title'", "twice")
    expect_400(fixed.space, {"sort": "title,"}, "sort", "allowed:")
    expect_400(fixed.space, {"include": "widgets"}, "include", "'widgets'", "allowed: parts")
    expect_400(fixed.space, {"include": "parts,owner"}, "include", "'owner'")
    expect_400(fixed.space, {"include": "parts.gadget"}, "include", "'parts.gadget'")


def test_include_parts(fixed: Fixed) -> None:
    plain = walk(fixed.space, {"filter": 'title = "Gamma"'})
    assert "parts" not in plain[0]
    rows = walk(fixed.space, {"include": "parts", "filter": 'status = "live"'})
    parts = {fixed.labels[row["id"]]: sorted(p["title"] for p in row["parts"]) for row in rows}
    assert parts == {"b": ["bolt"], "d": ["bolt", "nut", "washer"]}
    gamma = walk(fixed.space, {"include": "parts", "filter": 'title = "Gamma"'})
    assert gamma[0]["parts"] == []


# --------------------------------------------------------------------------------------------
# Cursors


def first_page(space: Space, **params: Any) -> dict[str, Any]:
    response = space.api.get("/gadgets", params={"page[size]": 2, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_cursor_is_refused_when_forged_or_foreign(
    fixed: Fixed, gadget_world: World
) -> None:
    space = fixed.space
    token = first_page(space, sort="title")["meta"]["next_cursor"]
    assert token
    same = space.api.get("/gadgets", params={"sort": "title", "page[cursor]": token})
    assert same.status_code == 200, same.text

    for position in (3, token.index(".") + 2, len(token) - 1):
        flipped = "B" if token[position] != "B" else "C"
        forged = token[:position] + flipped + token[position + 1 :]
        expect_400(
            space, {"sort": "title", "page[cursor]": forged}, "page[cursor]", "not a valid cursor"
        )
    expect_400(space, {"sort": "title", "page[cursor]": "garbage"}, "page[cursor]", "cursor")
    expect_400(space, {"sort": "title", "page[cursor]": token + "x"}, "page[cursor]", "cursor")

    # Another sort of the same list.
    for sort in ("-title", "title,created_at", "created_at"):
        expect_400(
            space, {"sort": sort, "page[cursor]": token}, "page[cursor]", "another list, sort"
        )
    # Another space.
    other = gadget_world.new_space("Other gadgets")
    expect_400(
        other, {"sort": "title", "page[cursor]": token}, "page[cursor]", "another list, sort"
    )
    # Another list: a cursor of /clients.
    for name in ("Acme One", "Acme Two"):
        assert space.api.post("/clients", json={"name": name}).status_code == 201
    clients = space.api.get("/clients", params={"page[size]": 1, "sort": "name"}).json()
    foreign = clients["meta"]["next_cursor"]
    assert foreign
    expect_400(
        space, {"sort": "title", "page[cursor]": foreign}, "page[cursor]", "another list, sort"
    )


# --------------------------------------------------------------------------------------------
# Sorting and paging over nullable keys


def _sort_value(field: str, row: dict[str, Any]) -> Any:
    value = row[field]
    if field == "price" and value is not None:
        return Decimal(value)
    return value


def expected_order(rows: list[dict[str, Any]], sort: str) -> list[str]:
    """Python's order for `sort`: nulls last ascending, first descending, ties by id."""
    ordered = sorted(rows, key=lambda row: row["id"])
    for part in reversed(sort.split(",")):
        field = part.removeprefix("-")
        descending = part.startswith("-")

        def key(row: dict[str, Any], field: str = field) -> tuple[bool, Any]:
            value = _sort_value(field, row)
            return (value is None, 0 if value is None else value)

        ordered.sort(key=key, reverse=descending)  # stable, also when reversed
    return [row["id"] for row in ordered]


def walk_pages(space: Space, params: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Ids walking next from the first page, then prev back from the last page."""
    forward: list[list[str]] = []
    response = space.api.get("/gadgets", params=params)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        forward.append([row["id"] for row in body["data"]])
        if not body["meta"]["next_cursor_url"]:
            break
        response = space.api.get(body["meta"]["next_cursor_url"])
    backward: list[list[str]] = [forward[-1]]
    while body["meta"]["prev_cursor_url"]:
        response = space.api.get(body["meta"]["prev_cursor_url"])
        assert response.status_code == 200, response.text
        body = response.json()
        backward.insert(0, [row["id"] for row in body["data"]])
    return [i for page in forward for i in page], [i for page in backward for i in page]


SORTS = [
    "title",
    "-title",
    "code",
    "-code",
    "due_on",
    "-due_on,title",
    "weight,-created_at",
    "-weight",
    "price",
    "-price,-due_on",
    "is_featured,-seen_at",
    "-is_featured,code",
    "seen_at",
    "-seen_at",
    "created_at",
]


@pytest.mark.parametrize("sort", SORTS)
def test_sorting_and_paging_with_nulls(fixed: Fixed, sort: str) -> None:
    params: dict[str, Any] = {"filter": 'archived = "with"', "sort": sort}
    everything = walk(fixed.space, params)
    expected = expected_order(everything, sort)
    assert [row["id"] for row in everything] == expected
    for size in (1, 2, 4):
        forward, backward = walk_pages(fixed.space, {**params, "page[size]": size})
        assert forward == expected, size
        assert backward == expected, size


def test_default_sort_is_created_at(fixed: Fixed) -> None:
    rows = walk(fixed.space, {})
    assert [fixed.labels[row["id"]] for row in rows] == list("abcde")


# --------------------------------------------------------------------------------------------
# Property: DSL and JSON agree with a plain-Python evaluation of the same tree

ALPHABET = "aAbB%_ \\"  # both cases, the LIKE wildcards and the LIKE escape character
OWNERS = ("ownerA", "ownerB", ME)
DATES = tuple(date(2024, 5, day) for day in (12, 13, 14, 15))
INSTANTS = tuple(
    at(text)
    for text in (
        "2024-05-12T00:00:00",
        "2024-05-12T23:59:59.999999",
        "2024-05-13T00:00:00",
        "2024-05-13T12:30:00",
        "2024-05-14T23:59:59.999999",
        "2024-05-15T00:00:00.000001",
    )
)
COLOURS = ("red", "Red", "blue")

# Mostly non-empty: hypothesis would otherwise make a good part of them "".
texts = st.integers(0, 9).flatmap(
    lambda k: st.just("") if k == 0 else st.text(alphabet=ALPHABET, min_size=1, max_size=5)
)
quarters = st.integers(-8, 8).map(lambda k: k / 4)
prices = st.integers(0, 12).map(lambda k: k / 4)


def nullable(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


parts_strategy = st.fixed_dictionaries(
    {
        "title": texts,
        "qty": st.integers(0, 4),
        "colour": nullable(st.one_of(st.sampled_from(COLOURS), texts)),
    }
)

gadget_strategy = st.fixed_dictionaries(
    {
        "title": texts,
        "code": nullable(texts),
        "owner_id": nullable(st.sampled_from(OWNERS)),
        "status": st.sampled_from(STATUSES),
        "is_active": st.booleans(),
        "is_featured": nullable(st.booleans()),
        "due_on": nullable(st.sampled_from(DATES)),
        "seen_at": nullable(st.sampled_from(INSTANTS)),
        "created_at": st.sampled_from(INSTANTS),
        "weight": nullable(quarters),
        "price": nullable(prices),
        "deleted_at": st.one_of(st.none(), st.none(), st.just(at("2024-05-01T00:00:00"))),
        "parts": st.lists(parts_strategy, max_size=3),
    }
)

# Field name → (kind, nullable) as declared in gadgets.py, and the same for the parts relation.
GADGET_FIELDS: dict[str, tuple[str, bool]] = {
    "title": ("string", False),
    "code": ("string", True),
    "owner.id": ("id", True),
    "status": ("enum", False),
    "is_active": ("boolean", False),
    "is_featured": ("boolean", True),
    "due_on": ("date", True),
    "seen_at": ("datetime", True),
    "created_at": ("datetime", False),
    "weight": ("number", True),
    "price": ("currency", True),
}
PART_FIELDS: dict[str, tuple[str, bool]] = {
    "title": ("string", False),
    "qty": ("number", False),
    "colour": ("string", True),
}
ORDERED = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "nin", "isnull", "isnotnull")
OPERATORS_BY_KIND: dict[str, tuple[str, ...]] = {
    "string": ("eq", "ne", "in", "nin", "contains", "like", "startswith", "endswith",
               "isnull", "isnotnull"),
    "id": ("eq", "ne", "in", "nin", "isnull", "isnotnull"),
    "enum": ("eq", "ne", "in", "nin"),
    "boolean": ("eq", "ne"),
    "date": ORDERED,
    "datetime": ORDERED,
    "number": ORDERED,
    "currency": ORDERED,
}

Pool = dict[str, list[Any]]  # field → the non-null values the data set holds


def pools(gadgets: list[dict[str, Any]]) -> tuple[Pool, Pool]:
    """The values present in a data set, per gadget field and per part field."""
    gadget_pool: Pool = {name: [] for name in GADGET_FIELDS}
    part_pool: Pool = {name: [] for name in PART_FIELDS}
    for gadget in gadgets:
        for name in GADGET_FIELDS:
            value = gadget["owner_id" if name == "owner.id" else name]
            if value is not None:
                gadget_pool[name].append(value)
        for part in gadget["parts"]:
            for name in PART_FIELDS:
                if part[name] is not None:
                    part_pool[name].append(part[name])
    return gadget_pool, part_pool


def _instant_text(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def generic_value(kind: str) -> st.SearchStrategy[Any]:
    """Any filter value (as the parsers would produce it) fitting `kind`."""
    if kind == "string":
        return st.text(alphabet=ALPHABET, max_size=3)
    if kind == "id":
        return st.sampled_from(("ownerA", "ownerB", "ownerC", Special("me.id")))
    if kind == "enum":
        return st.sampled_from(STATUSES)
    if kind == "boolean":
        return st.booleans()
    if kind == "date":
        return st.sampled_from((date(2024, 5, 11), *DATES, date(2024, 5, 16))).map(str)
    if kind == "datetime":
        days = st.sampled_from((date(2024, 5, 11), *DATES)).map(str)
        instants = st.sampled_from((*INSTANTS, at("2024-05-13T06:00:00"))).map(_instant_text)
        return st.one_of(days, instants)
    if kind == "number":
        return st.one_of(st.integers(-3, 5), quarters)
    return st.one_of(st.integers(0, 3), prices)


EDITS = ("keep", "keep", "swap", "one", "any")


def _mangle(text: str, edits: list[str]) -> str:
    """`text` with each character kept, case-swapped or replaced by `_` or `%`.

    In a LIKE pattern those are wildcards; for contains/startswith/endswith they must match
    literally, so such a value finds the row it came from only where the data has them too.
    """
    out = []
    for ch, edit in zip(text, edits, strict=False):
        out.append({"keep": ch, "swap": ch.swapcase(), "one": "_", "any": "%"}[edit])
    return "".join(out)


def _mangled(text: str) -> st.SearchStrategy[str]:
    edits = st.lists(st.sampled_from(EDITS), min_size=len(text), max_size=len(text))
    return edits.map(lambda chosen: _mangle(text, chosen))


def seen_value(kind: str, op: str, seen: list[Any]) -> st.SearchStrategy[Any] | None:
    """A filter value made from a value in the data, so that conditions do match rows."""
    if not seen or kind in ("enum", "boolean"):
        return None
    some = st.sampled_from(seen)
    if kind == "string":
        if op in ("contains", "startswith", "endswith", "like"):
            # A piece of a value (the whole value for like), then mangled.
            cut = st.integers(0, 2) if op != "like" else st.just(0)
            pieces = st.tuples(some, cut, cut).map(lambda t: t[0][t[1] : len(t[0]) - t[2]])
            return pieces.flatmap(_mangled)
        return st.one_of(some, some.map(str.swapcase))
    if kind == "id":
        return some.map(lambda owner: Special("me.id") if owner == ME else owner)
    if kind == "date":
        return some.map(str)
    if kind == "datetime":
        return st.one_of(some.map(_instant_text), some.map(lambda v: str(v.date())))
    # Numbers: integral values also as ints, so that lists mix ints and floats.
    return some.map(lambda v: int(v) if float(v).is_integer() else float(v))


def value_strategy(kind: str, op: str, seen: list[Any]) -> st.SearchStrategy[Any]:
    from_data = seen_value(kind, op, seen)
    generic = generic_value(kind)
    return generic if from_data is None else st.one_of(from_data, from_data, generic)


@st.composite
def condition_strategy(
    draw: st.DrawFn, fields: dict[str, tuple[str, bool]], pool: Pool, name: str | None = None
) -> Condition:
    name = name or draw(st.sampled_from(sorted(fields)))
    kind, is_nullable = fields[name]
    operators = OPERATORS_BY_KIND[kind]
    if kind in ("boolean", "enum") and is_nullable:
        operators = (*operators, "isnull", "isnotnull")
    op = draw(st.sampled_from(operators))
    values = value_strategy(kind, op, pool[name])
    value: Any
    if op in ("isnull", "isnotnull"):
        value = None
    elif op in ("in", "nin"):
        value = draw(st.lists(values, max_size=3))
    elif op in ("eq", "ne") and draw(st.integers(0, 9)) == 0:
        value = None  # `= null` / `!= null`
    else:
        value = draw(values)
    return Condition(name, op, value)


def tree_strategy(depth: int, leaf: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    """Trees of and/or/not at most `depth` groups deep over `leaf` conditions."""
    if depth == 0:
        return leaf
    sub = tree_strategy(depth - 1, leaf)
    return st.one_of(
        leaf,
        st.lists(sub, min_size=1, max_size=4).map(lambda c: And(tuple(c))),
        st.lists(sub, min_size=2, max_size=4).map(lambda c: Or(tuple(c))),
        sub.map(Not),
    )


@st.composite
def relation_strategy(draw: st.DrawFn, part_pool: Pool) -> Condition:
    part_tree = tree_strategy(1, condition_strategy(PART_FIELDS, part_pool))
    op = draw(st.sampled_from(("any", "all", "none", "count")))
    if op != "count":
        return Condition("parts", op, draw(part_tree))
    compare = draw(st.sampled_from(("eq", "ne", "lt", "lte", "gt", "gte")))
    where = draw(st.one_of(st.none(), part_tree))
    return Condition("parts", "count", CountSpec(compare, draw(st.integers(0, 3)), where))


MODES = st.sampled_from((None, "with", "only", "without"))


def filters_strategy(
    gadget_pool: Pool, part_pool: Pool
) -> st.SearchStrategy[list[tuple[Node, str | None]]]:
    """Filters, each with an optional archived mode: single conditions on six fields and one
    over the relation (every effect of a single condition shows in the rows; hypothesis would
    favour a few fields if left to pick), then a few groups nesting and/or/not up to 3 deep.
    """
    leaf: st.SearchStrategy[Node] = st.one_of(
        condition_strategy(GADGET_FIELDS, gadget_pool),
        condition_strategy(GADGET_FIELDS, gadget_pool),
        relation_strategy(part_pool),
    )
    singles = st.permutations(list(GADGET_FIELDS)).flatmap(
        lambda names: st.tuples(
            *(condition_strategy(GADGET_FIELDS, gadget_pool, name) for name in names[:6]),
            relation_strategy(part_pool),
        )
    )
    children = st.lists(tree_strategy(2, leaf), min_size=2, max_size=4)
    groups = st.lists(
        st.one_of(children.map(lambda c: And(tuple(c))), children.map(lambda c: Or(tuple(c)))),
        min_size=2,
        max_size=3,
    )
    return st.tuples(singles, groups).flatmap(
        lambda both: st.tuples(*(st.tuples(st.just(tree), MODES) for tree in (*both[0], *both[1])))
    ).map(list)


# -- the reference evaluation ----------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    start: datetime
    end: datetime


def typed(kind: str, raw: Any, me: str) -> Any:
    """The filter value as the server should understand it (the space is in UTC)."""
    if kind == "id":
        return me if raw == Special("me.id") else raw
    if kind == "date":
        return date.fromisoformat(raw)
    if kind == "datetime":
        if len(raw) == 10:
            start = datetime.combine(date.fromisoformat(raw), datetime.min.time(), tzinfo=UTC)
            return Day(start, start + timedelta(days=1))
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if kind in ("number", "currency"):
        return float(raw)
    return raw


def like_regex(pattern: str) -> re.Pattern[str]:
    r"""`%` any run, `_` one character, `\` escapes the next one (a trailing one is literal)."""
    body: list[str] = []
    chars = iter(pattern.lower())
    for ch in chars:
        if ch == "\\":
            body.append(re.escape(next(chars, "\\")))
        else:
            body.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
    return re.compile("".join(body), re.DOTALL)


def compare(op: str, value: Any, wanted: Any) -> bool:
    """A positive comparison of a non-null `value` with a typed filter value."""
    if isinstance(wanted, Day):
        return {
            "eq": wanted.start <= value < wanted.end,
            "lt": value < wanted.start,
            "lte": value < wanted.end,
            "gt": value >= wanted.end,
            "gte": value >= wanted.start,
        }[op]
    if op == "contains":
        return wanted.lower() in value.lower()
    if op == "startswith":
        return bool(value.lower().startswith(wanted.lower()))
    if op == "endswith":
        return bool(value.lower().endswith(wanted.lower()))
    if op == "like":
        return like_regex(wanted).fullmatch(value.lower()) is not None
    if isinstance(value, Decimal):
        value = float(value)
    return {
        "eq": value == wanted,
        "lt": value < wanted,
        "lte": value <= wanted,
        "gt": value > wanted,
        "gte": value >= wanted,
    }[op]


def holds_scalar(cond: Condition, kind: str, value: Any, me: str) -> bool:
    op = cond.op
    if op == "isnull" or (op == "eq" and cond.value is None):
        return value is None
    if op == "isnotnull" or (op == "ne" and cond.value is None):
        return value is not None
    if op in ("in", "nin"):
        assert isinstance(cond.value, list)
        found = value is not None and any(
            compare("eq", value, typed(kind, item, me)) for item in cond.value
        )
        return found if op == "in" else not found
    wanted = typed(kind, cond.value, me)
    if op == "ne":
        return value is None or not compare("eq", value, wanted)
    return value is not None and compare(op, value, wanted)


def holds(node: Node, row: dict[str, Any], fields: dict[str, tuple[str, bool]], me: str) -> bool:
    if isinstance(node, And):
        return all(holds(child, row, fields, me) for child in node.children)
    if isinstance(node, Or):
        return any(holds(child, row, fields, me) for child in node.children)
    if isinstance(node, Not):
        return not holds(node.child, row, fields, me)
    if node.field == "parts":
        parts = row["parts"]
        if isinstance(node.value, CountSpec):
            spec = node.value
            where = spec.where
            count = sum(1 for p in parts if where is None or holds(where, p, PART_FIELDS, me))
            return COUNT_COMPARISONS[spec.op](count, spec.value)
        inner = node.value
        assert isinstance(inner, And | Or | Not | Condition)
        matches = [holds(inner, p, PART_FIELDS, me) for p in parts]
        return {"any": any(matches), "all": all(matches), "none": not any(matches)}[node.op]
    kind, _ = fields[node.field]
    return holds_scalar(node, kind, row[node.field], me)


COUNT_COMPARISONS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}


def visible(row: dict[str, Any], mode: str | None) -> bool:
    if mode == "with":
        return True
    if mode == "only":
        return row["deleted_at"] is not None
    return row["deleted_at"] is None


@given(gadgets=st.lists(gadget_strategy, min_size=4, max_size=12), data=st.data())
@hypothesis_settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_random_filters_agree_with_python(
    gadget_world: World,
    gadgets: list[dict[str, Any]],
    data: st.DataObject,
) -> None:
    filters = data.draw(filters_strategy(*pools(gadgets)))
    space = gadget_world.new_space("Random gadgets")
    me = space.integration_id
    ids = insert_gadgets(gadget_world, space, gadgets)
    rows = []
    for gadget_id, gadget in zip(ids, gadgets, strict=True):
        owner = me if gadget["owner_id"] == ME else gadget["owner_id"]
        rows.append({**gadget, "id": gadget_id, "owner.id": owner})

    for tree, mode in filters:
        node: Node = tree if mode is None else And((tree, Condition("archived", "eq", mode)))
        expected = {
            row["id"] for row in rows if visible(row, mode) and holds(tree, row, GADGET_FIELDS, me)
        }
        dsl = render_dsl(node)
        document = json.dumps(render_json(node))
        by_dsl = {row["id"] for row in walk(space, {"filter": dsl})}
        by_json = {row["id"] for row in walk(space, {"filter": document})}
        assert by_dsl == by_json, (dsl, document)
        assert by_dsl == expected, dsl
        shown = sum(visible(row, mode) for row in rows)
        share = "none" if not expected else "all" if len(expected) == shown else "a part"
        event(f"selects {share}")
