"""At-least-once across a crash (webhooks.md §4): a `kanbert worker` killed with SIGKILL in
the middle of a burst loses no committed change, and a rolled-back change is never sent."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from kanbert.settings import Settings

from receiver import Received, receiver
from support import Space
from test_outbox_core import add_webhook
from workerkit import Process, attempts_of, deliveries_of, kanbert_env, processes, wait_until

ROLLED_BACK = "Rolled back title"


def made(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def complete(received: list[Received]) -> list[dict[str, Any]]:
    """The deliveries that arrived whole. A request cut off by the SIGKILL is not a delivery
    (no receiver would accept half a JSON body); it is sent again after the lease runs out."""
    bodies = []
    for request in received:
        try:
            bodies.append(json.loads(request.body))
        except ValueError:
            continue
    return bodies


def test_a_killed_worker_loses_no_committed_change(
    space: Space, settings: Settings, tmp_path: Path
) -> None:
    client = made(space.api.post("/clients", json={"name": "Crash Test Ltd"}))
    project = made(
        space.api.post(
            "/projects", json={"title": "Crashy", "client_id": client["id"], "shortcode": "CRSH"}
        )
    )
    env = kanbert_env(
        settings,
        tmp_path / "data",
        KANBERT_WEBHOOK_LEASE_SECONDS="3",
        KANBERT_WEBHOOK_POLL_SECONDS="0.05",
        KANBERT_WEBHOOK_TIMEOUT_SECONDS="2",
    )
    final: dict[str, str] = {}
    with receiver() as hooks, processes() as running:
        hooks.delay = 0.1  # deliveries are in flight when the worker dies
        webhook_id, _secret = add_webhook(space, hooks.url, ["task:*"], project_id=project["id"])
        first = Process(env, "worker")
        running.append(first)
        first_name = first.wait_for_line("Webhook worker").split()[2]

        tasks = [
            made(space.api.post("/tasks", json={"title": f"T{n}", "project_id": project["id"]}))
            for n in range(20)
        ]
        final.update({task["id"]: task["title"] for task in tasks})

        def burst(round_number: int) -> None:
            for task in tasks:
                title = f"{task['title']} round {round_number}"
                response = space.api.patch(f"/tasks/{task['id']}", json={"title": title})
                assert response.status_code == 200, response.text
                final[task["id"]] = title

        hooks.wait_for(5, timeout=60)
        # From now on the receiver holds its answers for 5 s: whatever arrives next is in
        # flight when the worker is killed, so its outcome is never recorded.
        hooks.delay = 5.0
        with hooks.lock:
            mark = len(hooks.received)
        burst(1)
        hooks.wait_for(mark + 1, timeout=60)
        first.kill()  # mid-burst: claimed deliveries keep their lease until it runs out
        hooks.delay = 0.1
        with hooks.lock:
            in_flight = {r.json["id"] for r in hooks.received[mark:]}
        burst(2)

        # A request that fails after changing the title is rolled back: nothing is sent.
        failed = space.api.patch(
            f"/tasks/{tasks[0]['id']}", json={"title": ROLLED_BACK, "assignee_id": "x" * 20}
        )
        assert failed.status_code == 422, failed.text

        second = Process(env, "worker")
        running.append(second)
        second_name = second.wait_for_line("Webhook worker").split()[2]
        burst(3)

        def last_received_is_final() -> bool:
            latest: dict[str, str] = {}
            for body in complete(list(hooks.received)):
                latest[body["resource"]["id"]] = body["data"]["title"]
            return latest == final

        wait_until(last_received_is_final, timeout=90, what="every task's final title arrived")
        wait_until(
            lambda: all(d.status != "pending" for d in deliveries_of(space, webhook_id)),
            timeout=30,
            what="no delivery left pending",
        )
        received = complete(hooks.quiet_for(0.5))

    assert space.api.get(f"/tasks/{tasks[0]['id']}").json()["title"] == final[tasks[0]["id"]]
    # Every committed delivery succeeded and reached the receiver at least once.
    deliveries = deliveries_of(space, webhook_id)
    assert {d.status for d in deliveries} == {"succeeded"}
    assert {d.id for d in deliveries} <= {body["id"] for body in received}
    # Both workers delivered: the first before it died, the second everything after.
    assert {a.worker for a in attempts_of(space, webhook_id)} == {first_name, second_name}
    # What was in flight when the worker died was sent again (at least once, not at most).
    resent = Counter(body["id"] for body in received)
    assert in_flight and all(resent[delivery_id] >= 2 for delivery_id in in_flight), resent
    # Per task, what arrived is in change order (a resent delivery may repeat, never regress).
    order = {d.id: position for position, d in enumerate(deliveries)}
    for task in tasks:
        seen = [order[b["id"]] for b in received if b["resource"]["id"] == task["id"]]
        assert seen == sorted(seen), (task["id"], seen)
    assert all(body["data"]["title"] != ROLLED_BACK for body in received)
    assert ROLLED_BACK not in json.dumps([d.data for d in deliveries])
