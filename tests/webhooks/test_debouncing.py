"""Debouncing as a receiver sees it (webhooks.md §5): each row of the table, and the cap.

The window is decided when a change is written, by the settings of the app that writes it.
These tests run their own app with a 1 s window (cap 1.5 s), so that several quick API calls
fall inside one window even on a loaded machine; the worker beside it is the usual one.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.app import create_app
from kanbert.settings import Settings
from kanbert.webhooks.models import WebhookDelivery

from eventkit import hook, ok, place
from receiver import Receiver, receiver, running_worker
from support import Space, World

WINDOW = 1.0
CAP = 1.5


@pytest.fixture(scope="module")
def slow_world(settings: Settings) -> Iterator[World]:
    windowed = settings.model_copy(
        update={"webhook_debounce_seconds": WINDOW, "webhook_debounce_max_seconds": CAP}
    )
    app = create_app(windowed)
    with TestClient(app, base_url="http://testserver") as client:
        yield World(client, app)


@pytest.fixture
def slow(slow_world: World) -> Space:
    return slow_world.new_space()


def _deliveries_of(space: Space, webhook_id: str, resource_id: str) -> list[str]:
    async def read(session: AsyncSession) -> list[str]:
        rows = await session.scalars(
            select(WebhookDelivery.event)
            .where(
                WebhookDelivery.webhook_id == webhook_id,
                WebhookDelivery.resource_id == resource_id,
            )
            .order_by(WebhookDelivery.seq)
        )
        return list(rows)

    return space.world.run(read)


def _settled(hooks: Receiver, count: int) -> list[dict[str, Any]]:
    """The bodies once `count` arrived and nothing more came for well over a window."""
    got = hooks.wait_for(count)
    assert hooks.quiet_for(WINDOW + 1.0) == got
    return [r.json for r in got]


def test_create_then_updates_is_one_create_with_the_latest_data(
    slow: Space, settings: Settings
) -> None:
    api = slow.api
    with receiver() as hooks, running_worker(settings):
        hook(slow, hooks.url, ["client:*"])
        client = ok(api.post("/clients", json={"name": "Acme"}), 201)
        ok(api.patch(f"/clients/{client['id']}", json={"name": "Acme 2"}))
        ok(api.patch(f"/clients/{client['id']}", json={"segment": "A"}))
        bodies = _settled(hooks, 1)
    assert [b["event"] for b in bodies] == ["client:create"]
    assert bodies[0]["data"] == ok(api.get(f"/clients/{client['id']}"))
    assert bodies[0]["data"]["name"] == "Acme 2"
    assert bodies[0]["data"]["segment"] == "A"
    assert "changes" not in bodies[0] or bodies[0]["changes"] is None


@pytest.mark.parametrize("removal", ["archive", "force"])
def test_create_then_updates_then_removal_sends_nothing(
    slow: Space, settings: Settings, removal: str
) -> None:
    api = slow.api
    with receiver() as hooks, running_worker(settings):
        webhook_id = hook(slow, hooks.url, ["client:*"])
        client = ok(api.post("/clients", json={"name": "Fleeting"}), 201)
        ok(api.patch(f"/clients/{client['id']}", json={"name": "Fleeting 2"}))
        path = f"/clients/{client['id']}" + ("/force" if removal == "force" else "")
        ok(api.delete(path), 204)
        # A later, unrelated change does arrive: the worker was running all along.
        marker = ok(api.post("/clients", json={"name": "Marker"}), 201)
        bodies = _settled(hooks, 1)
    assert [(b["event"], b["resource"]["id"]) for b in bodies] == [("client:create", marker["id"])]
    assert _deliveries_of(slow, webhook_id, client["id"]) == []


def test_updates_are_one_update_with_changes_merged(slow: Space, settings: Settings) -> None:
    api = slow.api
    where = place(slow)
    task_id = where.task["id"]
    with receiver() as hooks, running_worker(settings):
        hook(slow, hooks.url, ["task:*"], project_id=where.project["id"])
        ok(api.patch(f"/tasks/{task_id}", json={"status": "WIP"}))
        ok(api.patch(f"/tasks/{task_id}", json={"title": "Build it"}))
        ok(api.patch(f"/tasks/{task_id}", json={"status": "Completed"}))
        bodies = _settled(hooks, 1)
    shown = ok(api.get(f"/tasks/{task_id}"))
    assert [b["event"] for b in bodies] == ["task:update"]
    assert bodies[0]["data"] == shown
    changes = bodies[0]["changes"]
    assert changes["status"] == {"from": "New", "to": "Completed"}
    assert changes["title"] == {"from": "Build", "to": "Build it"}
    assert changes["completed_at"] == {"from": None, "to": shown["completed_at"]}
    assert shown["completed_at"] is not None


@pytest.mark.parametrize(("removal", "event"), [("archive", "delete"), ("force", "force-delete")])
def test_updates_then_removal_are_an_update_then_the_removal(
    slow: Space, settings: Settings, removal: str, event: str
) -> None:
    api = slow.api
    where = place(slow)
    task_id = where.task["id"]
    with receiver() as hooks, running_worker(settings):
        hook(slow, hooks.url, ["task:*"], project_id=where.project["id"])
        ok(api.patch(f"/tasks/{task_id}", json={"title": "Last words"}))
        ok(api.patch(f"/tasks/{task_id}", json={"status": "WIP"}))
        last = ok(api.get(f"/tasks/{task_id}"))
        ok(api.delete(f"/tasks/{task_id}" + ("/force" if removal == "force" else "")), 204)
        bodies = _settled(hooks, 2)
    assert [b["event"] for b in bodies] == ["task:update", f"task:{event}"]
    assert bodies[0]["changes"]["title"] == {"from": "Build", "to": "Last words"}
    assert bodies[0]["changes"]["status"] == {"from": "New", "to": "WIP"}
    assert bodies[0]["data"]["title"] == "Last words"
    if removal == "force":
        assert bodies[1]["data"] == last
    else:
        assert bodies[1]["data"] == ok(api.get(f"/tasks/{task_id}"))
        assert bodies[1]["data"]["deleted_at"] is not None
    assert "changes" not in bodies[1] or bodies[1]["changes"] is None


def test_delete_then_restore_are_both_sent_in_order(slow: Space, settings: Settings) -> None:
    api = slow.api
    where = place(slow)
    project_id = where.project["id"]
    with receiver() as hooks, running_worker(settings):
        hook(slow, hooks.url, ["project:*"], project_id=project_id)
        ok(api.delete(f"/projects/{project_id}"), 204)
        ok(api.post(f"/projects/{project_id}/restore"))
        bodies = _settled(hooks, 2)
    assert [b["event"] for b in bodies] == ["project:delete", "project:restore"]
    assert bodies[0]["data"]["deleted_at"] is not None
    assert bodies[1]["data"] == ok(api.get(f"/projects/{project_id}"))
    assert bodies[1]["data"]["deleted_at"] is None


def test_a_stream_of_changes_is_still_delivered_after_the_cap(
    slow: Space, settings: Settings
) -> None:
    api = slow.api
    where = place(slow)
    task_id = where.task["id"]
    with receiver() as hooks, running_worker(settings):
        hook(slow, hooks.url, ["task:update"], project_id=where.project["id"])
        started = time.monotonic()
        last_title = ""
        while time.monotonic() - started < 3.0:
            last_title = f"Version {time.monotonic() - started:.2f}"
            ok(api.patch(f"/tasks/{task_id}", json={"title": last_title}))
            time.sleep(0.2)
        stopped = time.monotonic()
        hooks.wait_for(2)
        # Every change stays within the cap of its window, so the stream ends in a last one.
        deadline = time.monotonic() + 20
        while hooks.received[-1].json["data"]["title"] != last_title:
            assert time.monotonic() < deadline, [r.json["data"]["title"] for r in hooks.received]
            time.sleep(0.05)
        got = hooks.quiet_for(WINDOW + 1.0)
    first = got[0]
    # Not held back by the ever-new changes: out while they were still coming, and no
    # earlier than the cap after the first of them.
    assert first.at < stopped
    assert first.at - started >= CAP
    assert {r.json["event"] for r in got} == {"task:update"}
    # The deliveries chain up: each one's `changes` start where the previous one's ended.
    titles = [r.json["changes"]["title"] for r in got]
    assert titles[0]["from"] == "Build"
    assert all(b["from"] == a["to"] for a, b in itertools.pairwise(titles))
    assert titles[-1]["to"] == last_title
    assert got[-1].json["data"] == ok(api.get(f"/tasks/{task_id}"))
    assert len(got) >= 2


def test_the_rules_hold_for_a_webhook_subscribed_to_creates_only(
    slow: Space, settings: Settings
) -> None:
    """Unsubscribed updates and deletes still merge into, or cancel, the open create."""
    api = slow.api
    with receiver() as hooks, running_worker(settings):
        hook(slow, hooks.url, ["client:create"])
        renamed = ok(api.post("/clients", json={"name": "Old"}), 201)
        ok(api.patch(f"/clients/{renamed['id']}", json={"name": "New"}))
        gone = ok(api.post("/clients", json={"name": "Gone"}), 201)
        ok(api.delete(f"/clients/{gone['id']}"), 204)
        bodies = _settled(hooks, 1)
    assert [(b["event"], b["resource"]["id"]) for b in bodies] == [("client:create", renamed["id"])]
    assert bodies[0]["data"]["name"] == "New"
