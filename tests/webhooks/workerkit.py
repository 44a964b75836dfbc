"""Helpers for the delivery-worker tests: webhooks and deliveries read straight from the
database, waiting for conditions, a worker with a chosen batch size, and `kanbert`
subprocesses (worker, serve) pointed at the test database."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.settings import Settings
from kanbert.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery

from support import Space

KANBERT = Path(sys.executable).parent / "kanbert"


@dataclass(frozen=True)
class Hook:
    is_active: bool
    consecutive_failures: int
    disabled_reason: str | None
    last_success_at: Any
    last_failure_at: Any


@dataclass(frozen=True)
class Delivery:
    seq: int
    id: str
    event: str
    resource_id: str
    status: str
    attempts: int
    data: dict[str, Any] | None


@dataclass(frozen=True)
class Attempt:
    delivery_id: str
    response_status: int | None
    response_body: str | None
    error: str | None
    worker: str | None


def hook_state(space: Space, webhook_id: str) -> Hook:
    async def read(session: AsyncSession) -> Hook:
        hook = await session.get_one(Webhook, webhook_id)
        return Hook(
            hook.is_active,
            hook.consecutive_failures,
            hook.disabled_reason,
            hook.last_success_at,
            hook.last_failure_at,
        )

    return space.world.run(read)


def deliveries_of(space: Space, webhook_id: str) -> list[Delivery]:
    """The webhook's deliveries in seq (change) order."""

    async def read(session: AsyncSession) -> list[Delivery]:
        rows = await session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook_id)
            .order_by(WebhookDelivery.seq)
        )
        return [
            Delivery(d.seq, d.id, d.event, d.resource_id, d.status.value, d.attempts, d.data)
            for d in rows
        ]

    return space.world.run(read)


def attempts_of(space: Space, webhook_id: str) -> list[Attempt]:
    """Every attempt at the webhook's deliveries, oldest first."""

    async def read(session: AsyncSession) -> list[Attempt]:
        rows = await session.execute(
            select(WebhookDelivery.id, WebhookAttempt)
            .join(WebhookAttempt, WebhookAttempt.delivery_seq == WebhookDelivery.seq)
            .where(WebhookDelivery.webhook_id == webhook_id)
            .order_by(WebhookAttempt.seq)
        )
        return [
            Attempt(did, a.response_status, a.response_body, a.error, a.worker)
            for did, a in rows.tuples()
        ]

    return space.world.run(read)


def reactivate(space: Space, webhook_id: str) -> dict[str, Any]:
    """Switch a disabled webhook on again the way a client does (webhooks.md §2)."""
    response = space.api.patch(f"/webhooks/{webhook_id}", json={"is_active": True})
    assert response.status_code == 200, response.text
    shown: dict[str, Any] = response.json()
    assert shown["is_active"] is True and shown["consecutive_failures"] == 0, shown
    assert shown["disabled_reason"] is None, shown
    return shown


def wait_until(check: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    """Poll `check` until it returns something truthy (returned), or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout} s: {what or check}")
        time.sleep(0.05)


def kanbert_env(settings: Settings, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a `kanbert` process on the test database (no other KANBERT_ vars)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("KANBERT_")}
    env.update(
        KANBERT_DATABASE_URL=settings.database_url,
        KANBERT_DATA_DIR=str(data_dir),
        KANBERT_SECRET_KEY=settings.secret_key,
        KANBERT_ENV="test",
        KANBERT_WEBHOOK_ALLOW_PRIVATE_TARGETS="true",
        KANBERT_RATE_LIMIT_PER_MINUTE="0",
        PYTHONUNBUFFERED="1",
        COLUMNS="200",
    )
    env.update(extra)
    return env


class Process:
    """A `kanbert` subprocess; its merged output is collected on a thread."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.process = subprocess.Popen(
            [str(KANBERT), *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_line(self, text: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if text in line:
                    return line
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(
            f"`{text}` not printed (exit code {self.process.poll()}); output:\n{self.output()}"
        )

    def kill(self) -> None:
        """SIGKILL: no clean-up, leases stay taken until they run out (a crash)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=15)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self._reader.join(timeout=15)
        if self.process.stdout is not None:
            self.process.stdout.close()


@contextlib.contextmanager
def processes() -> Iterator[list[Process]]:
    """Every process appended to the list is stopped on the way out, pass or fail."""
    started: list[Process] = []
    try:
        yield started
    finally:
        for process in started:
            process.stop()
