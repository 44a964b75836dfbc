"""`/tokens`: issuing, listing, showing and revoking tokens, as owners, users, guests and
integrations see it (auth.md §1, §3, §4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.auth.models import ApiToken
from kanbert.auth.scopes import ALL_SCOPES
from kanbert.auth.tokens import hash_token
from kanbert.kit.idempotency import IdempotencyRecord
from kanbert.users.models import User, UserType

from support import Api, Space

TOKEN_KEYS = {"id", "name", "scopes", "user", "created_at", "expires_at", "revoked_at"}
USER_DATA_KEYS = {"id", "first_name", "last_name", "email", "type", "space"}
READ = "task-management:read"


def owner_api(space: Space, scopes: tuple[str, ...] = ALL_SCOPES) -> Api:
    return space.token(scopes, name="owner", user_id=space.owner_id)


def person_api(
    space: Space,
    email: str,
    user_type: UserType = UserType.user,
    scopes: tuple[str, ...] = ("integration", READ),
) -> tuple[str, Api]:
    user_id = space.add_user(email, user_type)
    return user_id, space.token(scopes, name=f"{email} login", user_id=user_id)


def create(api: Api, **body: Any) -> dict[str, Any]:
    response = api.post("/tokens", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def listed_ids(api: Api, params: dict[str, Any] | None = None) -> list[str]:
    return [row["id"] for row in api.walk("/tokens", {"page[size]": 100, **(params or {})})]


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- creating ----------------------------------------------------------------------------------


def test_owner_creates_an_integration_token_that_works_at_once(space: Space) -> None:
    owner = owner_api(space)
    created = create(
        owner, name="Sync job", scopes=[READ, "client:read"], integration="Nightly sync"
    )
    assert set(created) == TOKEN_KEYS | {"token"}
    assert created["token"].startswith("kbt_")
    assert created["name"] == "Sync job"
    # Scopes come back deduplicated in the documented order.
    assert created["scopes"] == ["task-management:read", "client:read"]
    assert created["expires_at"] is None and created["revoked_at"] is None
    assert set(created["user"]) == USER_DATA_KEYS
    assert created["user"]["type"] == "integration"
    assert created["user"]["first_name"] == "Nightly sync"
    assert created["user"]["space"]["id"] == space.id

    token = Api(space.world.client, created["token"])
    whoami = token.get("/whoami")
    assert whoami.status_code == 200, whoami.text
    assert whoami.json()["id"] == created["user"]["id"]
    assert token.get("/tasks").status_code == 200
    # Exactly the granted scopes: writing tasks needs a scope it was not given.
    denied = token.post("/tasks", json={"name": "x"})
    assert denied.status_code == 403 and "task-management:write" in denied.json()["message"]


def test_an_existing_integration_gets_the_token_and_no_second_user(space: Space) -> None:
    owner = owner_api(space)
    first = create(owner, name="one", scopes=[READ], integration="Billing bridge")
    second = create(owner, name="two", scopes=[READ], integration="Billing bridge")
    assert first["user"]["id"] == second["user"]["id"]

    async def count(session: AsyncSession) -> int:
        rows = await session.scalars(
            select(User).where(User.space_id == space.id, User.first_name == "Billing bridge")
        )
        return len(rows.all())

    assert space.world.run(count) == 1


def test_the_secret_is_stored_only_as_its_hash(space: Space) -> None:
    created = create(owner_api(space), name="hashed", scopes=[READ], integration="Hash check")

    async def stored(session: AsyncSession) -> ApiToken:
        return await session.get_one(ApiToken, created["id"])

    row = space.world.run(stored)
    assert row.token_hash == hash_token(created["token"])
    assert created["token"] not in row.token_hash


def test_expiry_in_days(space: Space) -> None:
    created = create(owner_api(space), name="short", scopes=[READ], expires_in_days=30)
    expires = parse_time(created["expires_at"])
    expected = datetime.now(UTC) + timedelta(days=30)
    assert abs(expires - expected) < timedelta(minutes=5)


def test_user_creates_a_personal_access_token_for_themself(space: Space) -> None:
    user_id, person = person_api(space, "pat@example.com")
    created = create(person, name="my script", scopes=[READ])
    assert created["user"]["id"] == user_id and created["user"]["type"] == "user"
    token = Api(space.world.client, created["token"])
    assert token.get("/whoami").json()["id"] == user_id


def test_guest_creates_a_personal_token_acting_as_the_guest(space: Space) -> None:
    guest_id, guest = person_api(space, "guest@example.com", UserType.guest)
    created = create(guest, name="guest script", scopes=[READ])
    assert created["user"]["id"] == guest_id and created["user"]["type"] == "guest"
    token = Api(space.world.client, created["token"])
    # It acts as the guest: other users stay hidden as they are from the guest.
    assert token.get(f"/users/{space.owner_id}").status_code == 404


@pytest.mark.parametrize("user_type", [UserType.user, UserType.guest, UserType.tax_advisor])
def test_only_owners_create_integration_tokens(space: Space, user_type: UserType) -> None:
    _user_id, person = person_api(space, f"{user_type.value}@example.com", user_type)
    refused = person.post("/tokens", json={"name": "x", "scopes": [READ], "integration": "Mine"})
    assert refused.status_code == 403
    assert "owner" in refused.json()["message"]


def test_an_integration_cannot_create_tokens_for_integrations(space: Space) -> None:
    refused = space.api.post(
        "/tokens", json={"name": "x", "scopes": [READ], "integration": "Another app"}
    )
    assert refused.status_code == 403
    # Without `integration` it issues itself a token (e.g. to rotate its own secret).
    created = create(space.api, name="rotated", scopes=[READ])
    assert created["user"]["id"] == space.integration_id


def test_integration_name_of_a_person_is_refused(space: Space) -> None:
    async def give_slug(session: AsyncSession) -> None:
        user = await session.get_one(User, space.owner_id)
        user.slug = "the-boss"

    space.world.run(give_slug)
    refused = owner_api(space).post(
        "/tokens", json={"name": "x", "scopes": [READ], "integration": "The Boss"}
    )
    assert refused.status_code == 422 and "integration" in refused.json()["errors"]


def test_scopes_beyond_the_creators_token_are_refused(space: Space) -> None:
    owner = owner_api(space, ("integration", READ))
    refused = owner.post(
        "/tokens",
        json={"name": "x", "scopes": [READ, "task-management:write"], "integration": "App"},
    )
    assert refused.status_code == 422
    assert "task-management:write" in refused.json()["errors"]["scopes"][0]

    _user_id, person = person_api(space, "limited@example.com", scopes=("integration",))
    escalation = person.post("/tokens", json={"name": "x", "scopes": ["integration", READ]})
    assert escalation.status_code == 422
    assert READ in escalation.json()["errors"]["scopes"][0]
    # Its own scopes it may pass on.
    assert create(person, name="same", scopes=["integration"])["scopes"] == ["integration"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scopes": [READ]}, "name"),
        ({"name": "  ", "scopes": [READ]}, "name"),
        ({"name": "x" * 256, "scopes": [READ]}, "name"),
        ({"name": "x"}, "scopes"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": "task-management:read"}, "scopes"),
        ({"name": "x", "scopes": ["task-management:delete"]}, "scopes"),
        ({"name": "x", "scopes": [READ], "expires_in_days": 0}, "expires_in_days"),
        ({"name": "x", "scopes": [READ], "expires_in_days": 3651}, "expires_in_days"),
        ({"name": "x", "scopes": [READ], "expires_in_days": "soon"}, "expires_in_days"),
        ({"name": "x", "scopes": [READ], "integration": ""}, "integration"),
    ],
)
def test_bad_bodies(space: Space, body: dict[str, Any], field: str) -> None:
    refused = owner_api(space).post("/tokens", json=body)
    assert refused.status_code == 422, refused.text
    assert any(key.startswith(field) for key in refused.json()["errors"]), refused.json()


def test_unknown_scopes_are_named(space: Space) -> None:
    refused = owner_api(space).post("/tokens", json={"name": "x", "scopes": ["root", READ]})
    assert refused.status_code == 422
    assert "root" in refused.json()["errors"]["scopes"][0]


# --- reading -----------------------------------------------------------------------------------


def test_owner_sees_every_token_others_only_their_own(space: Space, other_space: Space) -> None:
    owner = owner_api(space)
    app_token = create(owner, name="app", scopes=[READ], integration="Some app")
    user_id, person = person_api(space, "reader@example.com")
    personal = create(person, name="personal", scopes=[READ])
    _guest_id, guest = person_api(space, "g@example.com", UserType.guest)
    guest_token = create(guest, name="guest's", scopes=[READ])
    foreign = create(owner_api(other_space), name="foreign", scopes=[READ], integration="X")

    everything = listed_ids(owner)
    assert {app_token["id"], personal["id"], guest_token["id"]} <= set(everything)
    assert foreign["id"] not in everything

    own = listed_ids(person)
    assert personal["id"] in own
    assert app_token["id"] not in own and guest_token["id"] not in own
    assert all(row["user"]["id"] == user_id for row in person.walk("/tokens"))
    assert guest_token["id"] in listed_ids(guest) and personal["id"] not in listed_ids(guest)

    # Single records follow the same rule: 404, never 403, for what the caller may not see.
    assert person.get(f"/tokens/{app_token['id']}").status_code == 404
    assert guest.get(f"/tokens/{personal['id']}").status_code == 404
    assert owner.get(f"/tokens/{foreign['id']}").status_code == 404
    assert space.api.get(f"/tokens/{personal['id']}").status_code == 404


def test_show_never_reveals_the_secret(space: Space) -> None:
    owner = owner_api(space)
    created = create(owner, name="quiet", scopes=[READ], integration="Quiet app")
    shown = owner.get(f"/tokens/{created['id']}")
    assert shown.status_code == 200
    expected = {key: value for key, value in created.items() if key != "token"}
    assert shown.json() == expected
    listed = next(row for row in owner.walk("/tokens") if row["id"] == created["id"])
    assert listed == expected
    assert created["token"] not in owner.get("/tokens").text
    assert hash_token(created["token"]) not in owner.get("/tokens").text


def test_list_sorts_and_filters(space: Space) -> None:
    owner = owner_api(space)
    names = ["charlie", "alpha", "bravo"]
    made = {name: create(owner, name=name, scopes=[READ], integration="Sorter") for name in names}
    integration_id = made["alpha"]["user"]["id"]
    by_user = {"filter": f'user.id eq "{integration_id}"'}

    rows = owner.walk("/tokens", {**by_user, "sort": "name"})
    assert [row["name"] for row in rows] == ["alpha", "bravo", "charlie"]
    rows = owner.walk("/tokens", {**by_user, "sort": "-name"})
    assert [row["name"] for row in rows] == ["charlie", "bravo", "alpha"]
    rows = owner.walk("/tokens", {**by_user, "sort": "created_at"})
    assert [row["name"] for row in rows] == names

    named = owner.walk("/tokens", {"filter": 'name eq "bravo"'})
    assert [row["id"] for row in named] == [made["bravo"]["id"]]

    assert owner.delete(f"/tokens/{made['alpha']['id']}").status_code == 204
    revoked = owner.walk("/tokens", {**by_user, "filter": "revoked eq true"})
    assert [row["id"] for row in revoked] == [made["alpha"]["id"]]
    active = listed_ids(owner, {"filter": f'user.id eq "{integration_id}" and revoked eq false'})
    assert sorted(active) == sorted([made["bravo"]["id"], made["charlie"]["id"]])

    bad = owner.get("/tokens", params={"filter": 'token_hash eq "x"'})
    assert bad.status_code == 400
    assert owner.get("/tokens", params={"sort": "scopes"}).status_code == 400


def test_list_pages_with_cursors(space: Space) -> None:
    owner = owner_api(space)
    ids = {create(owner, name=f"t{n}", scopes=[READ], integration="Pager")["id"] for n in range(5)}
    first = owner.get("/tokens", params={"page[size]": 2, "sort": "name"})
    assert first.status_code == 200 and len(first.json()["data"]) == 2
    assert first.json()["meta"]["next_cursor_url"]
    assert ids <= {row["id"] for row in owner.walk("/tokens", {"page[size]": 2})}


def test_list_statement_count_does_not_grow_with_rows(space: Space) -> None:
    owner = owner_api(space)
    for n in range(6):
        create(owner, name=f"n{n}", scopes=[READ], integration=f"App {n}")
    with space.world.count_statements() as statements:
        response = owner.get("/tokens", params={"page[size]": 100})
    assert response.status_code == 200 and len(response.json()["data"]) >= 7
    # Authentication, the page, users with their spaces: batched, whatever the row count.
    assert len(statements) <= 6, statements


# --- revoking ----------------------------------------------------------------------------------


def test_revoked_token_gets_401_at_once(space: Space) -> None:
    owner = owner_api(space)
    created = create(owner, name="doomed", scopes=[READ], integration="Doomed app")
    token = Api(space.world.client, created["token"])
    assert token.get("/whoami").status_code == 200

    revoked = owner.delete(f"/tokens/{created['id']}")
    assert revoked.status_code == 204 and revoked.content == b""
    refused = token.get("/whoami")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"

    shown = owner.get(f"/tokens/{created['id']}").json()
    revoked_at = parse_time(shown["revoked_at"])
    assert abs(revoked_at - datetime.now(UTC)) < timedelta(minutes=5)
    # Revoking again is a no-op that keeps the first revocation time.
    assert owner.delete(f"/tokens/{created['id']}").status_code == 204
    assert owner.get(f"/tokens/{created['id']}").json()["revoked_at"] == shown["revoked_at"]


def test_revoking_the_token_of_the_request_itself(space: Space) -> None:
    _user_id, person = person_api(space, "self@example.com")
    created = create(person, name="self-destruct", scopes=["integration"])
    token = Api(space.world.client, created["token"])
    assert token.delete(f"/tokens/{created['id']}").status_code == 204
    assert token.get("/tokens").status_code == 401
    assert person.get(f"/tokens/{created['id']}").json()["revoked_at"] is not None


def test_who_may_revoke_what(space: Space, other_space: Space) -> None:
    owner = owner_api(space)
    app_token = create(owner, name="app", scopes=[READ], integration="Guarded app")
    _user_id, person = person_api(space, "revoker@example.com")
    personal = create(person, name="mine", scopes=[READ])
    foreign = create(owner_api(other_space), name="foreign", scopes=[READ], integration="X")

    # Users and integrations cannot touch others' tokens (404: they do not see them).
    assert person.delete(f"/tokens/{app_token['id']}").status_code == 404
    assert space.api.delete(f"/tokens/{personal['id']}").status_code == 404
    assert owner.delete(f"/tokens/{foreign['id']}").status_code == 404
    assert Api(space.world.client, app_token["token"]).get("/tasks").status_code == 200
    assert Api(space.world.client, foreign["token"]).get("/tasks").status_code == 200

    assert person.delete(f"/tokens/{personal['id']}").status_code == 204
    # An owner revokes any token of the space, a person's as well as an integration's.
    assert owner.delete(f"/tokens/{app_token['id']}").status_code == 204
    assert Api(space.world.client, app_token["token"]).get("/tasks").status_code == 401


def test_unknown_token_is_404(space: Space) -> None:
    owner = owner_api(space)
    assert owner.get("/tokens/nope").status_code == 404
    assert owner.delete("/tokens/nope").status_code == 404


# --- scopes and authentication -----------------------------------------------------------------


def test_every_operation_requires_the_integration_scope(space: Space) -> None:
    created = create(owner_api(space), name="target", scopes=[READ], integration="Target")
    lacking = owner_api(space, tuple(s for s in ALL_SCOPES if s != "integration"))
    calls = [
        ("GET", "/tokens", None),
        ("POST", "/tokens", {"name": "x", "scopes": [READ]}),
        ("GET", f"/tokens/{created['id']}", None),
        ("DELETE", f"/tokens/{created['id']}", None),
    ]
    anonymous = Api(space.world.client, None)
    for method, path, body in calls:
        refused = lacking.request(method, path, json=body)
        assert refused.status_code == 403, (method, path)
        assert "integration" in refused.json()["message"]
        assert anonymous.request(method, path, json=body).status_code == 401
    assert owner_api(space).get(f"/tokens/{created['id']}").json()["revoked_at"] is None


# --- the secret is kept nowhere ----------------------------------------------------------------


def test_idempotency_key_never_stores_the_secret(space: Space) -> None:
    owner = owner_api(space)
    body = {"name": "retried", "scopes": [READ], "integration": "Retry app"}
    headers = {"Idempotency-Key": "create-token-1"}
    first = owner.post("/tokens", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert first.headers["Cache-Control"] == "no-store"
    secret = first.json()["token"]

    async def stored_replies(session: AsyncSession) -> list[bytes]:
        rows = await session.scalars(select(IdempotencyRecord.body))
        return [row or b"" for row in rows.all()]

    assert not any(secret.encode() in reply for reply in space.world.run(stored_replies))
    # Not replayed (that would need the secret): a retry issues a new token of its own.
    second = owner.post("/tokens", json=body, headers=headers)
    assert second.status_code == 201 and "Idempotent-Replayed" not in second.headers
    assert second.json()["token"] != secret and second.json()["id"] != first.json()["id"]


def test_if_match_guards_revocation(space: Space) -> None:
    owner = owner_api(space)
    created = owner.post("/tokens", json={"name": "tagged", "scopes": [READ]})
    assert created.status_code == 201
    token_id = created.json()["id"]
    etag = owner.get(f"/tokens/{token_id}").headers["ETag"]
    assert etag == created.headers["ETag"]

    stale = owner.delete(f"/tokens/{token_id}", headers={"If-Match": '"not-it"'})
    assert stale.status_code == 412
    assert owner.get(f"/tokens/{token_id}").json()["revoked_at"] is None
    assert owner.delete(f"/tokens/{token_id}", headers={"If-Match": etag}).status_code == 204
    assert owner.get(f"/tokens/{token_id}").headers["ETag"] != etag
