"""`GET /projects`: every filter field, sort and include on data with known answers, who sees
which project (private projects, guests, other spaces) and the list's cost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.custom_fields.models import CustomField, CustomFieldType, EntityType
from kanbert.custom_fields.values import next_version
from kanbert.users.models import UserType

from support import Api, Space, World

A, B, C, D = "Alpha", "Bravo", "Charlie", "Delta"


@dataclass
class Portfolio:
    space: Space
    ids: dict[str, str]  # names of projects, clients, users, types, groups → ids
    rows: dict[str, dict[str, Any]]  # project title → its creation response

    def titles(self, api: Api | None = None, **params: Any) -> list[str]:
        response = (api or self.space.api).get("/projects", params=params)
        assert response.status_code == 200, response.text
        return [row["title"] for row in response.json()["data"]]

    def matching(self, condition: str) -> set[str]:
        return set(self.titles(filter=condition.format(**self.ids)))


def _made(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def portfolio(space: Space) -> Portfolio:
    """Alpha (public), Bravo (private, Bob's), Charlie (bare) and Delta (archived)."""
    api = space.api

    async def define(session: AsyncSession) -> None:
        session.add(
            CustomField(
                space_id=space.id,
                title="Region",
                field_name="region",
                type=CustomFieldType.input,
                entity_type=EntityType.project,
                options=[],
            )
        )
        # Written behind the API's back: announced as `kanbert seed` announces them.
        await session.execute(next_version(space.id))

    space.world.run(define)
    ids: dict[str, str] = {
        "alice": space.add_user("alice@example.com"),
        "bob": space.add_user("bob@example.com"),
        "guest": space.add_user("guest@example.com", UserType.guest),
        "advisor": space.add_user("advisor@example.com", UserType.tax_advisor),
        "integration": space.integration_id,
    }
    ids["acme"] = _made(
        api.post("/clients", json={"name": "Acme", "primary_contact_id": ids["alice"]})
    )["id"]
    ids["beta"] = _made(api.post("/clients", json={"name": "Beta Inc"}))["id"]
    ids["fixed"] = _made(api.post("/project-types", json={"title": "Fixed"}))["id"]
    ids["hourly"] = _made(api.post("/project-types", json={"title": "Hourly"}))["id"]
    ids["group"] = _made(api.post("/portfolios", json={"title": "Digital"}))["id"]
    ids["hot"] = _made(api.post("/tags", json={"title": "hot"}))["id"]
    ids["cold"] = _made(api.post("/tags", json={"title": "cold"}))["id"]
    rows: dict[str, dict[str, Any]] = {}
    for title, fields in [
        (
            A,
            {
                "shortcode": "ALP",
                "client_id": ids["acme"],
                "project_type_id": ids["fixed"],
                "project_group_id": ids["group"],
                "is_acquisition": True,
                "start_date": "2026-01-01",
                "end_date": "2026-02-01",
                "tag_ids": [ids["hot"], ids["cold"]],
                "team": [ids["alice"]],
                "guests": [ids["guest"]],
                "custom_fields": {"region": "north"},
            },
        ),
        (
            B,
            {
                "shortcode": "BRV",
                "client_id": ids["beta"],
                "project_type_id": ids["hourly"],
                "status": "closed",
                "is_private": True,
                "start_date": "2026-03-01",
                "tag_ids": [ids["hot"]],
                "team": [ids["bob"]],
                "guests": [ids["advisor"]],
                "custom_fields": {"region": "south"},
            },
        ),
        (C, {"shortcode": "CHA", "client_id": ids["acme"], "project_type_id": ids["fixed"]}),
        (D, {"shortcode": "DEL", "client_id": ids["acme"]}),
    ]:
        rows[title] = _made(api.post("/projects", json={"title": title, **fields}))
        ids[title] = rows[title]["id"]
    assert api.delete(f"/projects/{ids[D]}").status_code == 204
    return Portfolio(space, ids, rows)


FILTERS: list[tuple[str, set[str]]] = [
    ('shortcode = "ALP"', {A}),
    ('shortcode in ["brv", "CHA"]', {C}),  # eq / in compare exactly
    ('title contains "rav"', {B}),
    ('name = "Alpha"', {A}),  # an alias of title
    ('status = "closed"', {B}),
    ('status != "closed"', {A, C}),
    ("is_acquisition = true", {A}),
    ("is_private = true", {B}),
    ("is_private = false", {A, C}),
    ('client.id = "{beta}"', {B}),
    ('client.name = "Acme"', {A, C}),
    ('client.name contains "inc"', {B}),
    ('client.shortcode startswith "BI"', {B}),
    ('client.primary_contact_id = "{alice}"', {A, C}),
    ("client.primary_contact_id is null", {B}),
    ('project_type.title = "Hourly"', {B}),
    ('project_type.title startswith "fix"', {A, C}),
    ('project_type.id = "{fixed}"', {A, C}),
    ('project_group.id = "{group}"', {A}),
    ("project_group.id is null", {B, C}),
    ('created_by = "{integration}"', {A, B, C}),
    ('created_by != "{integration}"', set()),
    ('start_date >= "2026-02-01"', {B}),
    ("start_date is null", {C}),
    ('end_date < "2026-03-01"', {A}),
    ("end_date isnotnull", {A}),
    ('tags any (title = "hot")', {A, B}),
    ('tags none (title = "hot")', {C}),
    ("tags count >= 2", {A}),
    ("tags count = 0", {C}),
    ('team any (email = "alice@example.com")', {A}),
    ('team any (id = "{bob}")', {B}),
    ('team any (space.name = "Test space")', {A, B, C}),
    ('team any (space.id = "{space}")', {A, B, C}),
    ('team any (added_at >= "2000-01-01T00:00:00Z")', {A, B, C}),
    ('team all (id = "{integration}")', {C}),  # the creator alone
    ("team count = 2", {A, B}),
    ('guests any (email = "guest@example.com")', {A}),
    ('guests any (id = "{advisor}")', {B}),
    ("guests count = 0", {C}),
    ('custom_fields.region = "north"', {A}),
    ("custom_fields.region is null", {C}),
    ('archived eq "only"', {D}),
    ('archived eq "with" and client.name = "Acme"', {A, C, D}),
]


def test_every_filter_field(portfolio: Portfolio) -> None:
    portfolio.ids["space"] = portfolio.space.id
    wrong = {
        condition: (found, expected)
        for condition, expected in FILTERS
        if (found := portfolio.matching(condition)) != expected
    }
    assert not wrong, wrong


def test_datetime_filters(portfolio: Portfolio) -> None:
    created_b = portfolio.rows[B]["created_at"]
    assert portfolio.matching(f'created_at >= "{created_b}"') == {B, C}
    assert portfolio.matching(f'created_at < "{created_b}"') == {A}
    touched = portfolio.space.api.patch(f"/projects/{portfolio.ids[A]}", json={"po_number": "1"})
    assert touched.status_code == 200
    assert portfolio.matching(f'updated_at >= "{touched.json()["updated_at"]}"') == {A}


def test_unknown_filter_fields_sorts_and_includes_are_refused(portfolio: Portfolio) -> None:
    api = portfolio.space.api
    for params in (
        {"filter": 'nope = "x"'},
        {"filter": 'team any (first_name = "x")'},
        {"sort": "computed_fields.hours_spent"},
        {"sort": "client.name"},
        {"include": "client.space"},
    ):
        assert api.get("/projects", params=params).status_code == 400, params


def test_sorts(portfolio: Portfolio) -> None:
    assert portfolio.titles() == [A, B, C]  # default: title
    assert portfolio.titles(sort="-title") == [C, B, A]
    assert portfolio.titles(sort="-shortcode") == [C, B, A]
    assert portfolio.titles(sort="created_at") == [A, B, C]
    assert portfolio.titles(sort="-created_at") == [C, B, A]
    api = portfolio.space.api
    assert api.patch(f"/projects/{portfolio.ids[B]}", json={"po_number": "x"}).status_code == 200
    assert portfolio.titles(sort="-updated_at") == [B, C, A]
    assert portfolio.titles(sort="updated_at") == [A, C, B]
    # Pages follow the sort.
    first = api.get("/projects", params={"sort": "-title", "page[size]": 2}).json()
    assert [row["title"] for row in first["data"]] == [C, B]
    rest = api.get(first["meta"]["next_cursor_url"]).json()
    assert [row["title"] for row in rest["data"]] == [A]


def test_includes(portfolio: Portfolio) -> None:
    api = portfolio.space.api
    ids = portfolio.ids
    plain = api.get("/projects").json()["data"][0]
    assert "team" not in plain and "guests" not in plain and "tags" not in plain
    rows = api.get(
        "/projects", params={"include": "team,guests,tags,client,client.primary_contact"}
    ).json()["data"]
    alpha = rows[0]
    assert {u["id"] for u in alpha["team"]} == {ids["alice"], ids["integration"]}
    assert all(u["added_at"] and u["space"]["id"] == portfolio.space.id for u in alpha["team"])
    assert [u["id"] for u in alpha["guests"]] == [ids["guest"]]
    assert [t["title"] for t in alpha["tags"]] == ["cold", "hot"]
    assert alpha["client"]["name"] == "Acme"
    assert alpha["client"]["primary_contact"]["id"] == ids["alice"]
    assert alpha["project_type"]["title"] == "Fixed"
    assert alpha["project_group"]["title"] == "Digital"
    assert alpha["custom_fields"] == {"region": "north"}
    charlie = rows[2]
    assert charlie["guests"] == [] and charlie["tags"] == []
    assert charlie["custom_fields"] == {"region": None}


def _token(space: Space, user_id: str, name: str) -> Api:
    return space.token(["client:read", "project:write"], name=name, user_id=user_id)


def test_private_projects_are_hidden_from_users_not_on_them(portfolio: Portfolio) -> None:
    space, ids = portfolio.space, portfolio.ids
    alice = _token(space, ids["alice"], "alice")  # on Alpha's team, not on Bravo
    bob = _token(space, ids["bob"], "bob")  # on Bravo's team
    owner = _token(space, space.owner_id, "owner")
    private = f"/projects/{ids[B]}"
    assert alice.get(private).status_code == 404
    assert alice.patch(private, json={"title": "x"}).status_code == 404
    assert alice.put(f"{private}/team/{ids['alice']}").status_code == 404
    assert set(portfolio.titles(alice)) == {A, C}
    assert set(portfolio.titles(alice, filter='archived eq "with"')) == {A, C, D}
    assert set(portfolio.titles(bob)) == {A, B, C}
    assert set(portfolio.titles(owner)) == {A, B, C}
    # Not in a client's projects, nor found by a relation filter on clients.
    beta = alice.get("/clients/full", params={"include": "projects"}).json()["data"]
    assert {row["name"]: [p["title"] for p in row["projects"]] for row in beta} == {
        "Acme": [A, C],
        "Beta Inc": [],
    }
    for api, expected in ((alice, set()), (bob, {"Beta Inc"})):
        found = api.get("/clients/full", params={"filter": 'projects any (name = "Bravo")'})
        assert found.status_code == 200, found.text
        assert {row["name"] for row in found.json()["data"]} == expected
    # Put on the team, Alice sees it.
    assert bob.put(f"{private}/team/{ids['alice']}").status_code == 200
    assert alice.get(private).status_code == 200


@pytest.mark.parametrize("who", ["guest", "advisor"])
def test_guests_see_only_projects_they_are_guests_of(portfolio: Portfolio, who: str) -> None:
    space, ids = portfolio.space, portfolio.ids
    limited = _token(space, ids[who], who)
    mine = A if who == "guest" else B
    assert portfolio.titles(limited) == [mine]
    assert limited.get(f"/projects/{ids[mine]}").status_code == 200
    for other in {A, B, C} - {mine}:
        assert limited.get(f"/projects/{ids[other]}").status_code == 404
    # They read projects, but do not change them.
    response = limited.patch(f"/projects/{ids[mine]}", json={"title": "x"})
    assert response.status_code == 403
    assert (
        limited.post("/projects", json={"title": "x", "client_id": ids["acme"]}).status_code == 403
    )
    # Of the people on the project they see only themselves.
    shown = limited.get(f"/projects/{ids[mine]}", params={"include": "team,guests"}).json()
    assert shown["team"] == [] and [u["id"] for u in shown["guests"]] == [ids[who]]
    group = limited.get("/portfolios", params={"include": "projects_assigned"}).json()["data"]
    assert [[p["title"] for p in row["projects_assigned"]] for row in group] == [
        [A] if who == "guest" else []
    ]


def test_client_projects_include_and_filter(portfolio: Portfolio) -> None:
    api = portfolio.space.api
    rows = api.get("/clients/full", params={"include": "projects"}).json()["data"]
    assert {row["name"]: [p["title"] for p in row["projects"]] for row in rows} == {
        "Acme": [A, C],
        "Beta Inc": [B],
    }
    assert rows[0]["projects"][0]["client"]["name"] == "Acme"
    plain = api.get("/clients/full").json()["data"]
    assert all("projects" not in row for row in plain)
    for condition, expected in [
        ('projects any (shortcode = "BRV")', {"Beta Inc"}),
        ('projects any (name = "Charlie")', {"Acme"}),
        ("projects any (is_acquisition = true)", {"Acme"}),
        ('projects any (status = "closed")', {"Beta Inc"}),
        ('projects all (status = "running")', {"Acme"}),
        ("projects count = 2", {"Acme"}),  # Delta is archived
        ('projects none (name = "Delta")', {"Acme", "Beta Inc"}),
    ]:
        found = api.get("/clients/full", params={"filter": condition})
        assert found.status_code == 200, found.text
        assert {row["name"] for row in found.json()["data"]} == expected, condition
    assert api.get("/clients", params={"include": "projects"}).status_code == 400


def test_another_space_sees_no_projects(portfolio: Portfolio, other_space: Space) -> None:
    other = other_space.api
    assert other.get("/projects").json()["data"] == []
    assert other.get(f"/projects/{portfolio.ids[A]}").status_code == 404
    assert other.get("/projects/ALP", params={"find_by": "shortcode"}).status_code == 404
    # Even a client shared with the other space shows none of this space's projects.
    shared = portfolio.space.api.post(
        f"/clients/{portfolio.ids['acme']}/shares", json={"space_id": other_space.id}
    )
    assert shared.status_code == 201
    rows = other.get("/clients/full", params={"include": "projects"}).json()["data"]
    assert [(row["name"], row["projects"]) for row in rows] == [("Acme", [])]
    found = other.get("/clients/full", params={"filter": 'projects any (name = "Alpha")'})
    assert found.json()["data"] == []


def _seed(world: World, space: Space, count: int) -> None:
    api = space.api
    client = _made(api.post("/clients", json={"name": "Seed"}))["id"]
    tag = _made(api.post("/tags", json={"title": "t"}))["id"]
    guest = space.add_user("seed-guest@example.com", UserType.guest)
    for number in range(count):
        _made(
            api.post(
                "/projects",
                json={
                    "title": f"P{number:03}",
                    "client_id": client,
                    "tag_ids": [tag],
                    "guests": [guest],
                },
            )
        )


def _statements(world: World, space: Space, size: int) -> int:
    with world.count_statements() as statements:
        response = space.api.get(
            "/projects", params={"page[size]": size, "include": "team,guests,tags"}
        )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert len(data) == size
    assert all(len(row["team"]) == len(row["guests"]) == len(row["tags"]) == 1 for row in data)
    return len(statements)


def test_statements_do_not_grow_with_page_size(world: World, space: Space) -> None:
    _seed(world, space, 60)
    assert _statements(world, space, 5) == _statements(world, space, 50)
