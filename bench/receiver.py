"""A webhook receiver on loopback for S8 (`python -m bench.receiver`, port from `BENCH_PORT`).

A bare ASGI app under uvicorn: it answers every POST with 204 at once and records when the
delivery arrived (`time.monotonic()`, the system-wide clock on Linux, so the runner can compare
it with the moment its PATCH returned) with what identifies the change: the delivery id, the
event, the task id and the `title`/`updated_at` the delivery carries. `GET /records` returns
the records as a JSON list. No signature check: the tests do that; here only time matters.
"""

from __future__ import annotations

import os
import time
from typing import Any

import orjson
import uvicorn

Scope = dict[str, Any]


class Receiver:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if scope["method"] == "POST":
            # Taken before parsing, so the figure is the arrival, not our own JSON work.
            arrived = time.monotonic()
            self.records.append(_identify(arrived, body))
            status, answer = 204, b""
        else:
            status, answer = 200, orjson.dumps(self.records)
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": answer})


def _identify(arrived: float, body: bytes) -> dict[str, Any]:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {"arrived": arrived, "invalid": True}
    data = payload.get("data") or {}
    return {
        "arrived": arrived,
        "id": payload.get("id"),
        "event": payload.get("event"),
        "task_id": (payload.get("resource") or {}).get("id"),
        "title": data.get("title"),
        "updated_at": data.get("updated_at"),
    }


def main() -> None:
    port = int(os.environ["BENCH_PORT"])
    uvicorn.run(
        Receiver(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


if __name__ == "__main__":
    main()
