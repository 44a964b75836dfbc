"""The webhook management API (webhooks.md §1, §2): CRUD, lists, validation, access."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.app import create_app
from kanbert.settings import Settings
from kanbert.users.models import UserType
from kanbert.webhooks import targets
from kanbert.webhooks.models import Webhook, WebhookDelivery

from hookkit import register
from support import Api, Space

URL = "https://hooks.example.com/kanbert"
FIELDS = {
    "id",
    "url",
    "events",
    "project",
    "client",
    "is_active",
    "tries",
    "created_at",
    "updated_at",
    "last_success_at",
    "last_failure_at",
    "consecutive_failures",
    "disabled_reason",
}


def _client(space: Space, name: str = "Acme") -> dict[str, Any]:
    response = space.api.post("/clients", json={"name": name})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _project(space: Space, title: str = "Website") -> dict[str, Any]:
    client = _client(space, f"Client of {title}")
    response = space.api.post("/projects", json={"title": title, "client_id": client["id"]})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _errors(response: Any, field: str) -> list[str]:
    assert response.status_code == 422, response.text
    errors: list[str] = response.json()["errors"][field]
    return errors


def test_create_shows_the_secret_once_and_the_webhook_reads_back(space: Space) -> None:
    project = _project(space)
    created = register(space, URL, ["task:*", "project:update"], project_id=project["id"])
    assert set(created) == FIELDS | {"secret"}
    assert created["secret"].startswith("whsec_")
    assert created["url"] == URL
    assert created["events"] == ["task:*", "project:update"]
    assert created["project"] == {
        "id": project["id"],
        "title": "Website",
        "shortcode": project["shortcode"],
    }
    assert created["client"] is None
    assert created["is_active"] is True
    assert created["tries"] == 3
    assert created["consecutive_failures"] == 0
    assert created["last_success_at"] is None and created["disabled_reason"] is None

    shown = space.api.get(f"/webhooks/{created['id']}")
    assert shown.status_code == 200, shown.text
    assert shown.json() == {k: v for k, v in created.items() if k != "secret"}
    assert shown.headers["ETag"]
    listed = space.api.walk("/webhooks")
    assert [row["id"] for row in listed] == [created["id"]]
    assert "secret" not in listed[0]


def test_client_scoped_webhook_with_chosen_secret_and_tries(space: Space) -> None:
    client = _client(space)
    secret = "x" * 32
    body = {"client_id": client["id"], "secret": secret, "tries": 10}
    response = space.api.post("/webhooks", json={"url": URL, "events": ["client:*"], **body})
    assert response.status_code == 201, response.text
    # The secret is in this answer only: no cache (nor the idempotency store) may keep it.
    assert response.headers["Cache-Control"] == "no-store"
    created = response.json()
    assert created["secret"] == secret
    assert created["tries"] == 10
    assert created["client"]["id"] == client["id"]
    assert created["client"]["name"] == "Acme"
    assert created["project"] is None


def test_patch_changes_fields_and_reactivation_resets_failures(space: Space) -> None:
    project = _project(space)
    hook = register(space, URL, ["client:*"])
    changed = space.api.patch(
        f"/webhooks/{hook['id']}",
        json={"url": URL + "/v2", "events": ["comment:create"], "project_id": project["id"]},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert "secret" not in body
    assert body["url"] == URL + "/v2"
    assert body["events"] == ["comment:create"]
    assert body["project"]["id"] == project["id"]

    # Leaving the project with a comment event left would break the rule: refused.
    refused = space.api.patch(f"/webhooks/{hook['id']}", json={"project_id": None})
    assert "project_id" in " ".join(_errors(refused, "events"))
    unscoped = space.api.patch(
        f"/webhooks/{hook['id']}", json={"project_id": None, "events": ["effort:*"]}
    )
    assert unscoped.status_code == 200, unscoped.text
    assert unscoped.json()["project"] is None

    off = space.api.patch(f"/webhooks/{hook['id']}", json={"is_active": False})
    assert off.status_code == 200 and off.json()["is_active"] is False

    async def failing(session: AsyncSession) -> None:
        row = await session.get(Webhook, hook["id"])
        row.consecutive_failures = 20
        row.disabled_reason = "Disabled after 20 consecutive failed deliveries."

    space.world.run(failing)
    disabled = space.api.get(f"/webhooks/{hook['id']}").json()
    assert disabled["consecutive_failures"] == 20 and disabled["disabled_reason"]
    on = space.api.patch(f"/webhooks/{hook['id']}", json={"is_active": True})
    assert on.status_code == 200, on.text
    assert on.json()["is_active"] is True
    assert on.json()["consecutive_failures"] == 0
    assert on.json()["disabled_reason"] is None


def test_if_match_guards_patch_and_delete(space: Space) -> None:
    hook = register(space, URL, ["client:*"])
    etag = space.api.get(f"/webhooks/{hook['id']}").headers["ETag"]
    changed = space.api.patch(
        f"/webhooks/{hook['id']}", json={"tries": 5}, headers={"If-Match": etag}
    )
    assert changed.status_code == 200, changed.text
    stale = space.api.patch(
        f"/webhooks/{hook['id']}", json={"tries": 6}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412, stale.text
    gone = space.api.delete(f"/webhooks/{hook['id']}", headers={"If-Match": etag})
    assert gone.status_code == 412, gone.text
    assert space.api.get(f"/webhooks/{hook['id']}").json()["tries"] == 5


def test_delete_removes_the_webhook_and_its_deliveries(space: Space) -> None:
    hook = register(space, "http://127.0.0.1:9/closed", ["client:*"])
    ping = space.api.post(f"/webhooks/{hook['id']}/ping")
    assert ping.status_code == 200, ping.text
    assert len(space.api.walk(f"/webhooks/{hook['id']}/deliveries")) == 1
    assert space.api.delete(f"/webhooks/{hook['id']}").status_code == 204
    assert space.api.get(f"/webhooks/{hook['id']}").status_code == 404
    assert space.api.get(f"/webhooks/{hook['id']}/deliveries").status_code == 404

    async def left(session: AsyncSession) -> int:
        count = await session.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == hook["id"])
        )
        return int(count)

    assert space.world.run(left) == 0


def test_list_sorts_and_filters(space: Space) -> None:
    client = _client(space)
    project = _project(space)
    b = register(space, "https://b.example.com/", ["client:*"], client_id=client["id"])
    a = register(space, "https://a.example.com/", ["task:*"], project_id=project["id"])
    c = register(space, "https://c.example.com/", ["effort:*"])
    assert space.api.patch(f"/webhooks/{c['id']}", json={"is_active": False}).status_code == 200

    def ids(params: dict[str, str]) -> list[str]:
        return [row["id"] for row in space.api.walk("/webhooks", params)]

    assert ids({"sort": "url"}) == [a["id"], b["id"], c["id"]]
    assert ids({"sort": "-url"}) == [c["id"], b["id"], a["id"]]
    assert ids({"sort": "created_at"}) == [b["id"], a["id"], c["id"]]
    assert ids({"sort": "is_active,url"}) == [c["id"], a["id"], b["id"]]
    assert ids({"filter": "is_active = false"}) == [c["id"]]
    assert ids({"filter": 'url contains "b.example"'}) == [b["id"]]
    assert ids({"filter": f'client.id = "{client["id"]}"'}) == [b["id"]]
    assert ids({"filter": f'project.id = "{project["id"]}"'}) == [a["id"]]
    assert ids({"filter": "project.id is null", "sort": "url"}) == [b["id"], c["id"]]
    since = {"filter": f'created_at >= "{a["created_at"]}"', "sort": "url"}
    assert ids(since) == [a["id"], c["id"]]
    assert ids({"filter": f'created_at > "{c["created_at"]}"'}) == []
    bad = space.api.get("/webhooks", params={"sort": "secret"})
    assert bad.status_code == 400, bad.text


@pytest.mark.parametrize(
    ("field", "fields"),
    [
        ("url", {"events": ["client:*"]}),
        ("url", {"url": "ftp://example.com/x", "events": ["client:*"]}),
        ("url", {"url": "https:///nohost", "events": ["client:*"]}),
        ("url", {"url": "https://user:pw@example.com/", "events": ["client:*"]}),
        ("url", {"url": "https://example.com/" + "a" * 1990, "events": ["client:*"]}),
        ("url", {"url": "not a url", "events": ["client:*"]}),
        ("url", {"url": "http://[/", "events": ["client:*"]}),
        ("url", {"url": "https://example.com/a b", "events": ["client:*"]}),
        ("url", {"url": "https://example.com/\n", "events": ["client:*"]}),
        ("url", {"url": "https://example.com:99999/", "events": ["client:*"]}),
        ("events", {"url": URL}),
        ("events", {"url": URL, "events": []}),
        ("events", {"url": URL, "events": ["client:explode"]}),
        ("events", {"url": URL, "events": ["webhook:ping"]}),
        ("events", {"url": URL, "events": ["webhook:*"]}),
        ("events", {"url": URL, "events": ["*"]}),
        ("events", {"url": URL, "events": ["task:*"]}),
        ("events", {"url": URL, "events": ["comment:update"]}),
        ("events", {"url": URL, "events": ["client:*", "task:create"]}),
        ("tries", {"url": URL, "events": ["client:*"], "tries": 0}),
        ("tries", {"url": URL, "events": ["client:*"], "tries": 11}),
        ("secret", {"url": URL, "events": ["client:*"], "secret": "s" * 31}),
        ("secret", {"url": URL, "events": ["client:*"], "secret": "s" * 256}),
        ("project_id", {"url": URL, "events": ["project:*"], "project_id": "nope"}),
        ("client_id", {"url": URL, "events": ["client:*"], "client_id": "nope"}),
    ],
)
def test_create_validation_names_the_field(
    space: Space, field: str, fields: dict[str, Any]
) -> None:
    response = space.api.post("/webhooks", json=fields)
    assert _errors(response, field), response.text
    assert space.api.walk("/webhooks") == []


def test_edge_values_are_accepted(space: Space) -> None:
    longest = "https://example.com/" + "a" * (2000 - len("https://example.com/"))
    hook = register(space, longest, ["client:create"], tries=1, secret="s" * 255)
    assert hook["url"] == longest and hook["tries"] == 1
    register(space, URL, ["file:force-delete", "effort:restore"], secret="s" * 32)


def test_scope_must_be_one_record_of_this_space_and_not_archived(
    space: Space, other_space: Space
) -> None:
    project = _project(space)
    client = _client(space, "Own")
    both = space.api.post(
        "/webhooks",
        json={
            "url": URL,
            "events": ["project:*"],
            "project_id": project["id"],
            "client_id": client["id"],
        },
    )
    assert _errors(both, "project_id")
    theirs = _project(other_space, "Theirs")
    their_client = _client(other_space, "Their client")
    foreign = space.api.post(
        "/webhooks", json={"url": URL, "events": ["project:*"], "project_id": theirs["id"]}
    )
    assert _errors(foreign, "project_id")
    foreign_client = space.api.post(
        "/webhooks", json={"url": URL, "events": ["client:*"], "client_id": their_client["id"]}
    )
    assert _errors(foreign_client, "client_id")

    archived = _project(space, "Old")
    assert space.api.delete(f"/projects/{archived['id']}").status_code == 204
    refused = space.api.post(
        "/webhooks", json={"url": URL, "events": ["project:*"], "project_id": archived["id"]}
    )
    assert _errors(refused, "project_id")
    gone_client = _client(space, "Gone")
    assert space.api.delete(f"/clients/{gone_client['id']}").status_code == 204
    refused = space.api.post(
        "/webhooks", json={"url": URL, "events": ["client:*"], "client_id": gone_client["id"]}
    )
    assert _errors(refused, "client_id")


def test_patch_validates_the_resulting_webhook(space: Space) -> None:
    project = _project(space)
    client = _client(space)
    hook = register(space, URL, ["task:*"], project_id=project["id"])
    path = f"/webhooks/{hook['id']}"
    assert _errors(space.api.patch(path, json={"client_id": client["id"]}), "client_id")
    assert _errors(space.api.patch(path, json={"url": "ftp://x.example/"}), "url")
    assert _errors(space.api.patch(path, json={"url": None}), "url")
    assert _errors(space.api.patch(path, json={"events": []}), "events")
    assert _errors(space.api.patch(path, json={"events": ["task:nope"]}), "events")
    assert _errors(space.api.patch(path, json={"tries": 0}), "tries")
    assert _errors(space.api.patch(path, json={"project_id": "nope"}), "project_id")
    assert space.api.get(path).json() == {k: v for k, v in hook.items() if k != "secret"}
    # A client scope in place of the project scope, in one change, is fine.
    swapped = space.api.patch(
        path, json={"project_id": None, "client_id": client["id"], "events": ["client:*"]}
    )
    assert swapped.status_code == 200, swapped.text
    assert swapped.json()["client"]["id"] == client["id"]
    assert "secret" not in swapped.json()


def test_another_space_sees_nothing(space: Space, other_space: Space) -> None:
    hook = register(space, URL, ["client:*"])
    path = f"/webhooks/{hook['id']}"
    other = other_space.api
    assert other.get(path).status_code == 404
    assert other.patch(path, json={"tries": 4}).status_code == 404
    assert other.delete(path).status_code == 404
    assert other.post(f"{path}/rotate-secret").status_code == 404
    assert other.post(f"{path}/ping").status_code == 404
    assert other.get(f"{path}/deliveries").status_code == 404
    assert other.walk("/webhooks") == []
    assert space.api.get(path).status_code == 200


def test_integration_scope_and_an_integration_user_are_required(space: Space) -> None:
    hook = register(space, URL, ["client:*"])
    without = space.token(["client:read", "client:write"])
    for method, path in (
        ("GET", "/webhooks"),
        ("POST", "/webhooks"),
        ("GET", f"/webhooks/{hook['id']}"),
        ("PATCH", f"/webhooks/{hook['id']}"),
        ("DELETE", f"/webhooks/{hook['id']}"),
        ("POST", f"/webhooks/{hook['id']}/rotate-secret"),
        ("POST", f"/webhooks/{hook['id']}/ping"),
        ("GET", f"/webhooks/{hook['id']}/deliveries"),
    ):
        response = without.request(method, path, json={})
        assert response.status_code == 403, (method, path, response.text)
        assert "integration" in response.json()["message"]

    user_id = space.add_user("member@example.com", UserType.user)
    member = space.token(user_id=user_id)
    refused = member.post("/webhooks", json={"url": URL, "events": ["client:*"]})
    assert refused.status_code == 403, refused.text
    assert "integration" in refused.json()["message"]
    owner = space.token(user_id=space.owner_id)
    assert owner.post("/webhooks", json={"url": URL, "events": ["client:*"]}).status_code == 403


# -- target safety at registration, with private targets NOT allowed ----------------------


@pytest.fixture
def strict(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"webhook_allow_private_targets": False}))
    with TestClient(app, base_url="http://testserver") as client:
        yield client


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.0.0.1:8080/hook",
        "http://10.0.0.1/",
        "http://192.168.1.10/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data",
        "http://0.0.0.0/",
    ],
)
def test_private_targets_are_refused_at_registration(
    strict: TestClient, space: Space, url: str
) -> None:
    api = Api(strict, space.api.token)
    response = api.post("/webhooks", json={"url": url, "events": ["client:*"]})
    problems = _errors(response, "url")
    assert "non-public" in problems[0]
    hook = register(space, "http://93.184.216.34/hook", ["client:*"])
    moved = api.patch(f"/webhooks/{hook['id']}", json={"url": url})
    assert _errors(moved, "url")


def test_a_public_literal_address_is_accepted(strict: TestClient, space: Space) -> None:
    api = Api(strict, space.api.token)
    response = api.post("/webhooks", json={"url": "http://93.184.216.34/", "events": ["client:*"]})
    assert response.status_code == 201, response.text


def test_a_host_resolving_to_a_private_address_is_refused(
    strict: TestClient, space: Space, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    async def fake_resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return {"inside.example.com": ["93.184.216.34", "10.1.2.3"]}.get(host, ["93.184.216.34"])

    monkeypatch.setattr(targets, "resolve", fake_resolve)
    api = Api(strict, space.api.token)
    refused = api.post(
        "/webhooks", json={"url": "https://inside.example.com/h", "events": ["client:*"]}
    )
    assert "10.1.2.3" in _errors(refused, "url")[0]
    accepted = api.post(
        "/webhooks", json={"url": "https://outside.example.com/h", "events": ["client:*"]}
    )
    assert accepted.status_code == 201, accepted.text
    assert asked == ["inside.example.com", "outside.example.com"]


def test_with_private_targets_allowed_registration_does_not_resolve(
    space: Space, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_dns(host: str, port: int) -> list[str]:
        raise AssertionError(f"registration resolved {host}")

    monkeypatch.setattr(targets, "resolve", no_dns)
    hook = register(space, "https://no-such-host.invalid/h", ["client:*"])
    assert hook["url"] == "https://no-such-host.invalid/h"
