"""A real HTTP receiver on 127.0.0.1 for webhook tests, and a worker running beside the app.

The receiver keeps every request exactly as it arrived (raw body bytes, headers, arrival
time) and answers with what the test planned: a fixed status, a sequence of statuses, or a
function of the request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kanbert.db.engine import make_engine, make_sessionmaker
from kanbert.settings import Settings
from kanbert.webhooks.worker import BATCH_SIZE, Worker


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]  # lower-case names
    at: float  # time.monotonic() on arrival
    path: str

    @property
    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


# An answer: (status, extra headers, body).
Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    # Statuses to answer in turn; once used up, `default` answers.
    plan: list[int | Answer] = field(default_factory=list)
    default: int | Answer = 200
    answer: Callable[[Received], int | Answer] | None = None
    delay: float = 0.0  # seconds to wait before answering
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _next(self, request: Received) -> Answer:
        with self.lock:
            self.received.append(request)
            if self.answer is not None:
                chosen = self.answer(request)
            elif self.plan:
                chosen = self.plan.pop(0)
            else:
                chosen = self.default
        return (chosen, {}, b"ok") if isinstance(chosen, int) else chosen

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        """Block until at least `count` requests arrived; returns them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        with self.lock:
            got = [r.json.get("event") for r in self.received]
        raise AssertionError(f"expected {count} deliveries within {timeout} s, got {got}")

    def quiet_for(self, seconds: float) -> list[Received]:
        """Wait `seconds` and return everything received (to show nothing more arrives)."""
        time.sleep(seconds)
        with self.lock:
            return list(self.received)

    def events(self) -> list[str]:
        with self.lock:
            return [r.json["event"] for r in self.received]


class _Server(ThreadingHTTPServer):
    # The standard library's listen backlog of 5 drops connections when workers send many
    # deliveries at once.
    request_queue_size = 512
    daemon_threads = True


@contextlib.contextmanager
def receiver(path: str = "/hook") -> Iterator[Receiver]:
    holder: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            request = Received(
                body,
                {k.lower(): v for k, v in self.headers.items()},
                time.monotonic(),
                self.path,
            )
            status, headers, reply = holder[0]._next(request)
            if holder[0].delay:
                time.sleep(holder[0].delay)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *_args: Any) -> None:
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    holder.append(Receiver(f"http://127.0.0.1:{server.server_address[1]}{path}"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def running_worker(
    settings: Settings, batch_size: int = BATCH_SIZE, **overrides: Any
) -> Iterator[Worker]:
    """A webhook worker on its own engine and event loop in a thread, as a separate
    `kanbert worker --batch-size N` would run; `overrides` change its settings (e.g. a
    short backoff)."""
    worker_settings = settings.model_copy(update=overrides)
    ready = threading.Event()
    state: dict[str, Any] = {}

    async def main() -> None:
        engine = make_engine(worker_settings.resolved_database_url)
        sessionmaker: async_sessionmaker[AsyncSession] = make_sessionmaker(engine)
        state["stop"] = asyncio.Event()
        state["loop"] = asyncio.get_running_loop()
        state["worker"] = Worker(sessionmaker, worker_settings, batch_size=batch_size)
        ready.set()
        try:
            await state["worker"].run(state["stop"])
        finally:
            await engine.dispose()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(10), "the worker did not start"
    try:
        yield state["worker"]
    finally:
        state["loop"].call_soon_threadsafe(state["stop"].set)
        thread.join(timeout=15)
        assert not thread.is_alive(), "the worker did not stop"
