"""User groups and their members, and users' `user_groups` include, as callers see them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.user_groups.models import UserGroup, user_group_members
from kanbert.users.models import User, UserType

from support import Api, Space, World

GROUP_KEYS = {"id", "external_id", "name", "is_team"}
USER_DATA_KEYS = {"id", "first_name", "last_name", "email", "type", "space"}


def create(api: Api, **body: Any) -> dict[str, Any]:
    response = api.post("/user-group", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def names(api: Api, params: dict[str, Any] | None = None) -> list[str]:
    return [row["name"] for row in api.walk("/user-group", {"page[size]": 100, **(params or {})})]


def member_ids(body: dict[str, Any]) -> list[str]:
    return [user["id"] for user in body["users"]]


# --- groups ------------------------------------------------------------------------------------


def test_create_show_update_delete(space: Space) -> None:
    created = space.api.post("/user-group", json={"name": "Design"})
    assert created.status_code == 201, created.text
    group = created.json()
    assert set(group) == GROUP_KEYS
    assert group["name"] == "Design" and group["is_team"] is False
    assert group["external_id"] is None
    assert created.headers["ETag"]

    shown = space.api.get(f"/user-group/{group['id']}")
    assert shown.status_code == 200 and shown.json() == group

    updated = space.api.patch(f"/user-group/{group['id']}", json={"name": "UX", "is_team": True})
    assert updated.status_code == 200, updated.text
    assert updated.json() == {**group, "name": "UX", "is_team": True}
    kept = space.api.patch(f"/user-group/{group['id']}", json={"is_team": False})
    assert kept.json()["name"] == "UX" and kept.json()["is_team"] is False
    for required in ("name", "is_team"):
        refused = space.api.patch(f"/user-group/{group['id']}", json={required: None})
        assert refused.status_code == 422 and required in refused.json()["errors"]

    member = space.add_user("member@example.com")
    assert space.api.put(f"/user-group/{group['id']}/users/{member}").status_code == 200
    assert space.api.delete(f"/user-group/{group['id']}").status_code == 204
    assert space.api.get(f"/user-group/{group['id']}").status_code == 404
    assert space.api.delete(f"/user-group/{group['id']}").status_code == 404
    # A hard delete: the memberships go with the group, the users stay.
    assert space.api.get(f"/users/{member}").status_code == 200

    async def memberships(session: AsyncSession) -> list[Any]:
        query = select(user_group_members).where(user_group_members.c.user_id == member)
        return list((await session.execute(query)).all())

    assert space.world.run(memberships) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "n" * 256}, "name"),
        ({"name": 5}, "name"),
        ({"name": "A", "is_team": "maybe"}, "is_team"),
        ({"name": "A", "external_id": "x" * 256}, "external_id"),
    ],
)
def test_create_validation(space: Space, body: dict[str, Any], field: str) -> None:
    response = space.api.post("/user-group", json=body)
    assert response.status_code == 422, response.text
    assert field in response.json()["errors"], response.json()


def test_external_ids(space: Space) -> None:
    group = create(space.api, name="Sales", external_id="grp-1")
    assert group["external_id"] == "grp-1"
    found = space.api.get("/user-group/grp-1", params={"find_by": "external_id"})
    assert found.status_code == 200 and found.json()["id"] == group["id"]
    elsewhere = space.api.get(
        "/user-group/grp-1", params={"find_by": "external_id", "origin": "crm"}
    )
    assert elsewhere.status_code == 404
    duplicate = space.api.post("/user-group", json={"name": "Other", "external_id": "grp-1"})
    assert duplicate.status_code == 422 and "external_id" in duplicate.json()["errors"]
    other_origin = create(space.api, name="Other", external_id="grp-1", external_origin="crm")
    assert other_origin["external_id"] == "grp-1"
    renamed = space.api.patch(
        "/user-group/grp-1", params={"find_by": "external_id"}, json={"external_id": "grp-2"}
    )
    assert renamed.status_code == 200 and renamed.json()["external_id"] == "grp-2"


def test_list_filters_and_sorts(space: Space) -> None:
    for name, is_team in (("Beta", True), ("alpha", False), ("Gamma", True), ("Delta", False)):
        create(space.api, name=name, is_team=is_team)

    assert names(space.api) == ["Beta", "Delta", "Gamma", "alpha"]  # default: by name
    assert names(space.api, {"sort": "-name"}) == ["alpha", "Gamma", "Delta", "Beta"]
    assert names(space.api, {"sort": "is_team,name"}) == ["Delta", "alpha", "Beta", "Gamma"]
    assert names(space.api, {"sort": "-is_team,-name"}) == ["Gamma", "Beta", "alpha", "Delta"]
    assert names(space.api, {"filter": "is_team = true"}) == ["Beta", "Gamma"]
    assert names(space.api, {"filter": "is_team != true"}) == ["Delta", "alpha"]
    assert names(space.api, {"filter": 'name contains "LTA"'}) == ["Delta"]
    assert names(space.api, {"filter": 'name in ["alpha", "Gamma"]'}) == ["Gamma", "alpha"]
    assert names(space.api, {"filter": 'name startswith "a" or is_team = true'}) == [
        "Beta",
        "Gamma",
        "alpha",
    ]
    json_filter = '[{"field": "name", "op": "eq", "value": "Delta"}]'
    assert names(space.api, {"filter": json_filter}) == ["Delta"]
    page = space.api.get("/user-group", params={"page[size]": 2, "sort": "name"}).json()
    assert [row["name"] for row in page["data"]] == ["Beta", "Delta"]
    assert all(set(row) == GROUP_KEYS for row in page["data"])
    assert names(space.api, {"sort": "name", "page[size]": 1}) == names(space.api)
    for bad in (
        {"filter": 'archived eq "with"'},
        {"filter": 'title = "x"'},
        {"sort": "created_at"},
        {"include": "members"},
    ):
        response = space.api.get("/user-group", params=bad)
        assert response.status_code == 400, (bad, response.text)


# --- members -----------------------------------------------------------------------------------


def test_add_and_remove_members(space: Space) -> None:
    group = create(space.api, name="Team A", is_team=True)
    zed = space.add_user("zed@example.com", first_name="Zed", last_name="Young")
    amy = space.add_user("amy@example.com", first_name="Amy", last_name="Adams")
    path = f"/user-group/{group['id']}/users"

    added = space.api.put(f"{path}/{zed}")
    assert added.status_code == 200, added.text
    body = added.json()
    assert set(body) == GROUP_KEYS | {"users"}
    assert member_ids(body) == [zed]
    assert set(body["users"][0]) == USER_DATA_KEYS
    assert body["users"][0]["space"] == {"id": space.id, "name": "Test space"}

    both = space.api.put(f"{path}/{amy}").json()
    assert member_ids(both) == [amy, zed]  # by last name
    again = space.api.put(f"{path}/{amy}")  # adding a member again changes nothing
    assert again.status_code == 200 and member_ids(again.json()) == [amy, zed]

    shown = space.api.get(f"/user-group/{group['id']}", params={"include": "users"}).json()
    assert member_ids(shown) == [amy, zed]
    assert "users" not in space.api.get(f"/user-group/{group['id']}").json()
    listed = space.api.get("/user-group", params={"include": "users"}).json()["data"]
    assert [member_ids(row) for row in listed] == [[amy, zed]]

    assert space.api.delete(f"{path}/{zed}").status_code == 204
    assert space.api.delete(f"{path}/{zed}").status_code == 204  # removing again: no-op
    shown = space.api.get(f"/user-group/{group['id']}", params={"include": "users"}).json()
    assert member_ids(shown) == [amy]


def test_member_must_be_an_active_user_of_the_space(space: Space, other_space: Space) -> None:
    group = create(space.api, name="G")
    path = f"/user-group/{group['id']}/users"
    stranger = other_space.add_user("stranger@example.com")
    for response in (space.api.put(f"{path}/{stranger}"), space.api.put(f"{path}/nobody")):
        assert response.status_code == 404 and response.json() == {"message": "Not found."}
    assert space.api.delete(f"{path}/{stranger}").status_code == 404
    assert space.api.put(f"/user-group/nope/users/{space.owner_id}").status_code == 404

    archived = space.add_user("archived@example.com")
    assert space.api.delete(f"/users/{archived}").status_code == 204
    refused = space.api.put(f"{path}/{archived}")
    assert refused.status_code == 422 and "user_id" in refused.json()["errors"]
    gone = space.add_user(
        "gone@example.com", leave_date=datetime.now(UTC).date() - timedelta(days=1)
    )
    assert space.api.put(f"{path}/{gone}").status_code == 422


def test_archived_members_leave_the_include(space: Space) -> None:
    group = create(space.api, name="G")
    stays = space.add_user("stays@example.com")
    leaves = space.add_user("leaves@example.com")
    for user_id in (stays, leaves):
        assert space.api.put(f"/user-group/{group['id']}/users/{user_id}").status_code == 200
    assert space.api.delete(f"/users/{leaves}").status_code == 204
    shown = space.api.get(f"/user-group/{group['id']}", params={"include": "users"}).json()
    assert member_ids(shown) == [stays]
    # Restored, the user is a member again: archiving did not end the membership.
    assert space.api.post(f"/users/{leaves}/restore").status_code == 200
    shown = space.api.get(f"/user-group/{group['id']}", params={"include": "users"}).json()
    assert sorted(member_ids(shown)) == sorted([stays, leaves])


def test_membership_changes_change_the_etag(space: Space) -> None:
    group = create(space.api, name="G")
    member = space.add_user("m@example.com")
    etag = space.api.get(f"/user-group/{group['id']}").headers["ETag"]
    added = space.api.put(f"/user-group/{group['id']}/users/{member}", headers={"If-Match": etag})
    assert added.status_code == 200 and added.headers["ETag"] != etag
    stale = space.api.delete(
        f"/user-group/{group['id']}/users/{member}", headers={"If-Match": etag}
    )
    assert stale.status_code == 412
    stale_patch = space.api.patch(
        f"/user-group/{group['id']}", json={"name": "H"}, headers={"If-Match": etag}
    )
    assert stale_patch.status_code == 412


# --- users' user_groups include ----------------------------------------------------------------


def test_users_include_their_groups(space: Space) -> None:
    user_id = space.add_user("grouped@example.com")
    loner = space.add_user("loner@example.com")
    for name in ("Zeta", "Alpha"):
        group = create(space.api, name=name, is_team=name == "Zeta")
        assert space.api.put(f"/user-group/{group['id']}/users/{user_id}").status_code == 200

    shown = space.api.get(f"/users/{user_id}", params={"include": "user_groups"})
    assert shown.status_code == 200, shown.text
    groups = shown.json()["user_groups"]
    assert [group["name"] for group in groups] == ["Alpha", "Zeta"]
    assert all(set(group) == GROUP_KEYS for group in groups)
    assert groups[1]["is_team"] is True
    assert "user_groups" not in space.api.get(f"/users/{user_id}").json()

    rows = space.api.walk("/users", {"include": "user_groups", "page[size]": 100})
    by_id = {row["id"]: row for row in rows}
    assert [group["name"] for group in by_id[user_id]["user_groups"]] == ["Alpha", "Zeta"]
    assert by_id[loner]["user_groups"] == []
    assert set(by_id[loner]) == USER_DATA_KEYS | {"user_groups"}

    nested = space.api.get(f"/users/{user_id}", params={"include": "user_groups.users"}).json()
    assert all(member_ids(group) == [user_id] for group in nested["user_groups"])
    bad = space.api.get(f"/users/{user_id}", params={"include": "groups"})
    assert bad.status_code == 400


# --- who may do what ---------------------------------------------------------------------------


def test_scopes(space: Space) -> None:
    group = create(space.api, name="G")
    member = space.add_user("m@example.com")
    base = f"/user-group/{group['id']}"

    def reads(api: Api) -> list[Any]:
        return [api.get("/user-group"), api.get(base)]

    def writes(api: Api) -> list[Any]:
        return [
            api.post("/user-group", json={"name": "New"}),
            api.patch(base, json={"name": "X"}),
            api.put(f"{base}/users/{member}"),
            api.delete(f"{base}/users/{member}"),
            api.delete(base),
        ]

    bare = space.token([], name="bare")
    for response in reads(bare):
        assert response.status_code == 403
        assert response.json() == {"message": "This action requires the scope user_group:read."}
    reader = space.token(["user_group:read"], name="reader")
    assert all(response.status_code == 200 for response in reads(reader))
    for api in (bare, reader):
        for response in writes(api):
            assert response.status_code == 403, response.text
            assert response.json() == {
                "message": "This action requires the scope user_group:write."
            }
    assert space.api.get(base).json()["name"] == "G"


def test_a_colleague_may_manage_groups(space: Space) -> None:
    colleague = space.add_user("colleague@example.com")
    api = space.token(["user_group:read", "user_group:write"], name="c", user_id=colleague)
    group = create(api, name="Mine")
    assert api.put(f"/user-group/{group['id']}/users/{colleague}").status_code == 200
    assert api.delete(f"/user-group/{group['id']}").status_code == 204


@pytest.mark.parametrize("user_type", [UserType.guest, UserType.tax_advisor])
def test_guests_and_tax_advisors_see_no_groups(space: Space, user_type: UserType) -> None:
    limited_id = space.add_user("limited@example.com", user_type)
    group = create(space.api, name="G")
    assert space.api.put(f"/user-group/{group['id']}/users/{limited_id}").status_code == 200
    limited = space.token(
        ["user_group:read", "user_group:write"], name="limited", user_id=limited_id
    )
    assert limited.get("/user-group").json()["data"] == []
    assert limited.get(f"/user-group/{group['id']}").status_code == 404
    assert limited.patch(f"/user-group/{group['id']}", json={"name": "X"}).status_code == 404
    assert limited.delete(f"/user-group/{group['id']}").status_code == 404
    created = limited.post("/user-group", json={"name": "Mine"})
    assert created.status_code == 403, created.text
    own = limited.get(f"/users/{limited_id}", params={"include": "user_groups"}).json()
    assert own["user_groups"] == []
    rows = limited.get("/users", params={"include": "user_groups"}).json()["data"]
    assert [(row["id"], row["user_groups"]) for row in rows] == [(limited_id, [])]


def test_another_space_never_sees_these_groups(space: Space, other_space: Space) -> None:
    group = create(space.api, name="Secret", external_id="s-1")
    member = space.add_user("member@example.com")
    assert space.api.put(f"/user-group/{group['id']}/users/{member}").status_code == 200
    stranger = other_space.api
    own_user = other_space.add_user("own@example.com")
    base = f"/user-group/{group['id']}"
    for response in (
        stranger.get(base),
        stranger.get(base, params={"include": "users"}),
        stranger.get("/user-group/s-1", params={"find_by": "external_id"}),
        stranger.get(
            "/user-group/s-1", params={"find_by": "external_id", "origin": "setup-integration"}
        ),
        stranger.patch(base, json={"name": "Mine"}),
        stranger.delete(base),
        stranger.put(f"{base}/users/{own_user}"),
        stranger.put(f"{base}/users/{member}"),
        stranger.delete(f"{base}/users/{member}"),
    ):
        assert response.status_code == 404, response.text
        assert response.json() == {"message": "Not found."}
    assert "Secret" not in names(stranger)
    assert names(stranger, {"filter": 'name = "Secret"'}) == []
    # Nor through its own users' include.
    rows = stranger.walk("/users", {"include": "user_groups", "page[size]": 100})
    assert all(row["user_groups"] == [] for row in rows)
    shown = space.api.get(base, params={"include": "users"}).json()
    assert shown["name"] == "Secret" and member_ids(shown) == [member]


# --- statement counts --------------------------------------------------------------------------


def seed_groups(world: World, space: Space, groups: int, users: int) -> None:
    async def add(session: AsyncSession) -> None:
        people = [
            User(
                space_id=space.id,
                type=UserType.user,
                email=f"person{i}@example.com",
                first_name=f"P{i:03d}",
                last_name="Person",
            )
            for i in range(users)
        ]
        teams = [UserGroup(space_id=space.id, name=f"Group {i:03d}") for i in range(groups)]
        session.add_all([*people, *teams])
        await session.flush()
        rows = [
            {"user_group_id": team.id, "user_id": people[(i + k) % users].id}
            for i, team in enumerate(teams)
            for k in range(3)
        ]
        await session.execute(insert(user_group_members), rows)

    world.run(add)


def statements_for(world: World, space: Space, path: str, params: dict[str, Any]) -> int:
    with world.count_statements() as statements:
        response = space.api.get(path, params=params)
    assert response.status_code == 200, response.text
    assert len(response.json()["data"]) == params["page[size]"]
    return len(statements)


@pytest.mark.parametrize(("path", "include"), [("/users", "user_groups"), ("/user-group", "users")])
def test_statements_do_not_grow_with_page_size(
    world: World, space: Space, path: str, include: str
) -> None:
    seed_groups(world, space, groups=110, users=110)
    # The first read also loads the custom field definitions, kept for the reads after it.
    statements_for(world, space, path, {"page[size]": 10, "include": include})
    small = statements_for(world, space, path, {"page[size]": 10, "include": include})
    large = statements_for(world, space, path, {"page[size]": 100, "include": include})
    assert small == large
    # BEGIN, token, page, relation through the membership table, users' spaces: one batched
    # statement per level, whatever the page size.
    assert large <= 5, large
