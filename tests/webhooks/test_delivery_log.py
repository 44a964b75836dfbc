"""The delivery log (webhooks.md §2): deliveries made by the worker and by the API, every
attempt with its answer, and redelivery under the same id."""

from __future__ import annotations

import time
from typing import Any

from kanbert.settings import Settings

from hookkit import register
from receiver import receiver, running_worker
from support import Space

DELIVERY_FIELDS = {
    "id",
    "event",
    "resource",
    "status",
    "attempts",
    "created_at",
    "occurred_at",
    "next_attempt_at",
    "completed_at",
}


def wait_until_settled(space: Space, path: str, count: int, timeout: float = 20.0) -> list[Any]:
    """The log once it holds `count` deliveries, none of them pending."""
    deadline = time.monotonic() + timeout
    rows: list[Any] = []
    while time.monotonic() < deadline:
        rows = space.api.walk(path)
        if len(rows) >= count and all(row["status"] != "pending" for row in rows):
            return rows
        time.sleep(0.05)
    raise AssertionError(f"the log did not settle: {rows}")


def test_worker_deliveries_are_listed_with_status(space: Space, settings: Settings) -> None:
    with receiver() as hooks, running_worker(settings):
        hook = register(space, hooks.url, ["client:*"])
        acme = space.api.post("/clients", json={"name": "Acme"}).json()
        globex = space.api.post("/clients", json={"name": "Globex"}).json()
        got = hooks.wait_for(2)
        log_path = f"/webhooks/{hook['id']}/deliveries"
        rows = wait_until_settled(space, log_path, 2)
    received_ids = {request.json["id"] for request in got}
    assert {row["id"] for row in rows} == received_ids
    for row in rows:
        assert set(row) == DELIVERY_FIELDS
        assert row["event"] == "client:create"
        assert row["status"] == "succeeded"
        assert row["attempts"] == 1
        assert row["next_attempt_at"] is None and row["completed_at"] is not None
    assert {row["resource"]["id"] for row in rows} == {acme["id"], globex["id"]}
    assert all(row["resource"]["type"] == "client" for row in rows)

    oldest_first = space.api.walk(log_path, {"sort": "created_at"})
    newest_first = space.api.walk(log_path, {"sort": "-created_at"})
    assert [r["id"] for r in oldest_first] == [r["id"] for r in reversed(newest_first)]
    assert [r["resource"]["id"] for r in oldest_first] == [acme["id"], globex["id"]]
    assert space.api.walk(log_path, {"filter": 'status = "succeeded"'}) != []
    assert space.api.walk(log_path, {"filter": 'status = "failed"'}) == []
    assert space.api.walk(log_path, {"filter": 'event = "client:update"'}) == []
    assert len(space.api.walk(log_path, {"filter": 'event startswith "client:"'})) == 2
    bad = space.api.get(log_path, params={"filter": 'status = "lost"'})
    assert bad.status_code == 400, bad.text


def test_pending_delivery_shows_its_next_attempt(space: Space) -> None:
    # No worker runs here: the delivery stays pending and says when it is due.
    hook = register(space, "http://127.0.0.1:9/nobody", ["client:*"])
    assert space.api.post("/clients", json={"name": "Acme"}).status_code == 201
    rows = space.api.walk(f"/webhooks/{hook['id']}/deliveries")
    assert len(rows) == 1
    assert rows[0]["status"] == "pending"
    assert rows[0]["attempts"] == 0
    assert rows[0]["next_attempt_at"] is not None
    assert rows[0]["completed_at"] is None
    detail = space.api.get(f"/webhooks/{hook['id']}/deliveries/{rows[0]['id']}").json()
    assert detail["attempts_log"] == []
    assert detail["payload"]["event"] == "client:create"
    # Leave no pending delivery behind for the workers of later tests.
    assert space.api.delete(f"/webhooks/{hook['id']}").status_code == 204


def test_one_delivery_shows_every_attempt_and_a_truncated_body(
    space: Space, settings: Settings
) -> None:
    big = b"x" * 5000
    with receiver() as hooks, running_worker(settings, webhook_backoff_base_seconds=1.1):
        hooks.plan = [(500, {}, big), (503, {}, b"busy")]
        hooks.default = (200, {}, big)
        hook = register(space, hooks.url, ["client:*"], tries=3)
        client = space.api.post("/clients", json={"name": "Acme"}).json()
        got = hooks.wait_for(3)
        log_path = f"/webhooks/{hook['id']}/deliveries"
        rows = wait_until_settled(space, log_path, 1)
    assert len({request.json["id"] for request in got}) == 1
    assert len(rows) == 1 and rows[0]["status"] == "succeeded" and rows[0]["attempts"] == 3

    detail = space.api.get(f"{log_path}/{rows[0]['id']}")
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert {k: v for k, v in body.items() if k in DELIVERY_FIELDS} == rows[0]
    # The payload is exactly what the receiver got.
    assert body["payload"] == got[-1].json
    assert body["payload"]["data"]["id"] == client["id"]
    attempts = body["attempts_log"]
    assert [a["response_status"] for a in attempts] == [500, 503, 200]
    assert [len(a["response_body"]) for a in attempts] == [2048, 4, 2048]
    assert attempts[0]["response_body"] == "x" * 2048
    assert [a["attempted_at"] for a in attempts] == sorted(a["attempted_at"] for a in attempts)
    assert all(a["error"] is None and a["duration_ms"] >= 0 for a in attempts)


def test_redeliver_sends_the_same_id_again_and_adds_an_attempt(space: Space) -> None:
    with receiver() as hooks:
        hook = register(space, hooks.url, ["client:*"])
        ping = space.api.post(f"/webhooks/{hook['id']}/ping").json()
        delivery_path = f"/webhooks/{hook['id']}/deliveries/{ping['delivery_id']}"
        hooks.default = (500, {}, b"down")
        again = space.api.post(f"{delivery_path}/redeliver")
        assert again.status_code == 200, again.text
        got = hooks.wait_for(2)
    assert [request.json["id"] for request in got] == [ping["delivery_id"]] * 2
    assert got[0].body == got[1].body
    assert again.json()["delivery_id"] == ping["delivery_id"]
    assert again.json()["attempt"]["response_status"] == 500
    # A failed redelivery leaves the delivery as it was.
    assert again.json()["status"] == "succeeded"
    detail = space.api.get(delivery_path).json()
    assert detail["attempts"] == 2
    assert [a["response_status"] for a in detail["attempts_log"]] == [200, 500]
    assert detail["attempts_log"][1]["response_body"] == "down"


def test_redelivering_a_worker_delivery_keeps_its_id(space: Space, settings: Settings) -> None:
    with receiver() as hooks:
        with running_worker(settings):
            hook = register(space, hooks.url, ["client:*"])
            space.api.post("/clients", json={"name": "Acme"})
            first = hooks.wait_for(1)[0]
            log_path = f"/webhooks/{hook['id']}/deliveries"
            delivery = wait_until_settled(space, log_path, 1)[0]
        again = space.api.post(f"{log_path}/{delivery['id']}/redeliver")
        assert again.status_code == 200, again.text
        got = hooks.wait_for(2)
    assert got[1].json["id"] == first.json["id"] == delivery["id"]
    assert got[1].json["event"] == "client:create"
    assert again.json()["status"] == "succeeded"
    assert space.api.get(f"{log_path}/{delivery['id']}").json()["attempts"] == 2


def test_deliveries_of_another_webhook_or_space_are_not_found(
    space: Space, other_space: Space
) -> None:
    with receiver() as hooks:
        one = register(space, hooks.url, ["client:*"])
        two = register(space, hooks.url, ["client:*"])
        ping = space.api.post(f"/webhooks/{one['id']}/ping").json()
    own = f"/webhooks/{one['id']}/deliveries/{ping['delivery_id']}"
    wrong = f"/webhooks/{two['id']}/deliveries/{ping['delivery_id']}"
    assert space.api.get(own).status_code == 200
    assert space.api.get(wrong).status_code == 404
    assert space.api.post(f"{wrong}/redeliver").status_code == 404
    assert space.api.walk(f"/webhooks/{two['id']}/deliveries") == []
    assert other_space.api.get(own).status_code == 404
    assert other_space.api.post(f"{own}/redeliver").status_code == 404
    assert space.api.get(f"/webhooks/{one['id']}/deliveries/nope").status_code == 404
