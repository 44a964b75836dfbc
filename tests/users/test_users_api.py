"""`/whoami`, `/space` and `/users` as callers see them."""

from __future__ import annotations

from kanbert.users.models import UserType

from support import Space

USER_DATA_KEYS = {"id", "first_name", "last_name", "email", "type", "space"}


def test_whoami_is_the_token_user_unwrapped(space: Space) -> None:
    response = space.api.get("/whoami")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == USER_DATA_KEYS
    assert body["id"] == space.integration_id
    assert body["type"] == "integration"
    assert body["space"] == {"id": space.id, "name": "Test space"}


def test_whoami_needs_no_scope_but_a_token(space: Space) -> None:
    assert space.token([], name="bare").get("/whoami").status_code == 200
    assert space.world.client.get("/api/v1/whoami").status_code == 401


def test_space(space: Space) -> None:
    body = space.api.get("/space").json()
    assert body["id"] == space.id and body["name"] == "Test space"
    assert body["timezone"] == "UTC" and body["locale"] == "en"
    assert body["created_at"].endswith("Z")


def test_users_list_filters_and_sorts(space: Space) -> None:
    space.add_user("zoe@example.com", first_name="Zoe", last_name="Adams")
    space.add_user("bob@example.com", first_name="Bob", last_name="Young", is_owner=True)
    space.add_user("gia@example.com", UserType.guest, first_name="Gia", last_name="Miller")
    api = space.api

    def emails(params: dict[str, str]) -> list[str]:
        response = api.get("/users", params=params)
        assert response.status_code == 200, response.text
        assert all(set(row) == USER_DATA_KEYS for row in response.json()["data"])
        return [row["email"] for row in response.json()["data"]]

    everyone = emails({"sort": "email"})
    assert {"zoe@example.com", "bob@example.com", "gia@example.com"} <= set(everyone)
    assert everyone == sorted(everyone)
    assert emails({"filter": 'type = "guest"'}) == ["gia@example.com"]
    assert emails({"filter": 'is_owner = true and not email startswith "owner-"'}) == [
        "bob@example.com"
    ]
    assert emails({"filter": 'first_name in ["Zoe", "Gia"]', "sort": "-first_name"}) == [
        "zoe@example.com",
        "gia@example.com",
    ]
    bad = api.get("/users", params={"filter": 'type = "robot"'})
    assert bad.status_code == 400
    assert "robot" in bad.json()["errors"]["filter"][0]


def test_a_guest_sees_only_itself(space: Space) -> None:
    guest_id = space.add_user("guest@example.com", UserType.guest)
    space.add_user("colleague@example.com")
    guest = space.token(["user_group:read"], name="guest", user_id=guest_id)
    rows = guest.get("/users").json()["data"]
    assert [row["id"] for row in rows] == [guest_id]


def test_other_spaces_users_are_invisible(space: Space, other_space: Space) -> None:
    other_space.add_user("hidden@example.com")
    emails = [row["email"] for row in space.api.walk("/users", {"page[size]": 100})]
    assert "hidden@example.com" not in emails
