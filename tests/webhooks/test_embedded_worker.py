"""`kanbert serve` delivers webhooks itself (the embedded worker) unless told not to."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete

from kanbert.settings import Settings
from kanbert.webhooks.models import Webhook

from live import free_port
from receiver import receiver
from support import API, Space
from test_outbox_core import add_webhook
from workerkit import Process, deliveries_of, kanbert_env, processes

STARTUP_SECONDS = 60


def wait_for_health(server: Process, base: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    last = "no answer"
    while time.monotonic() < deadline and server.process.poll() is None:
        try:
            response = httpx.get(f"{base}/health", timeout=2)
        except httpx.TransportError as problem:
            last = repr(problem)
        else:
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text}"
        time.sleep(0.2)
    pytest.fail(f"/health never answered 200 ({last}); output:\n{server.output()}")


@pytest.mark.parametrize("embedded", [True, False], ids=["embedded", "turned-off"])
def test_serve_delivers_with_its_embedded_worker_unless_turned_off(
    space: Space, settings: Settings, tmp_path: Path, embedded: bool
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = kanbert_env(
        settings,
        tmp_path / "data",
        KANBERT_EMBEDDED_WORKER="true" if embedded else "false",
        KANBERT_WEBHOOK_DEBOUNCE_SECONDS="0.2",
        KANBERT_WEBHOOK_POLL_SECONDS="0.05",
    )
    with receiver() as hooks, processes() as running:
        webhook_id, _secret = add_webhook(space, hooks.url, ["client:*"])
        server = Process(env, "serve", "--port", str(port))
        running.append(server)
        wait_for_health(server, base)

        headers = {"Authorization": f"Bearer {space.api.token}"}
        created = httpx.post(
            f"{base}{API}/clients", json={"name": "Served Ltd"}, headers=headers, timeout=10
        )
        assert created.status_code == 201, created.text
        if embedded:
            [got] = hooks.wait_for(1, timeout=30)
            assert got.json["event"] == "client:create"
            assert got.json["resource"]["id"] == created.json()["id"]
            assert got.json["data"]["name"] == "Served Ltd"
        else:
            assert hooks.quiet_for(4.0) == []
            # Recorded all the same, for a `kanbert worker` to send.
            [pending] = deliveries_of(space, webhook_id)
            assert (pending.status, pending.resource_id) == ("pending", created.json()["id"])
            # Not left for the workers of later tests to send to a port that may be reused.
            space.world.run(
                lambda session: session.execute(delete(Webhook).where(Webhook.id == webhook_id))
            )
