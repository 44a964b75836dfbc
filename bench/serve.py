"""The API as `kanbert serve` runs it, plus a SQL statement recorder, for the benchmark only.

Kept out of the application on purpose: the recorder is an ASGI wrapper and an engine event
listener added here, so the served app is the normal one and nothing in `src/` changes for it.
It answers two paths of its own:
- `POST /__bench/record` starts a fresh recording (count and statements);
- `GET /__bench/record` returns what was executed since, pickled: the statement count and
  the DBAPI-level statements with their parameters, exactly as the driver received them
  (the floor replays them through the bare driver).
Requests are made one at a time while recording, so counts are per request.
"""

from __future__ import annotations

import os
import pickle
from typing import Any

import uvicorn
from sqlalchemy import event

from kanbert.app import create_app
from kanbert.db.migrate import upgrade
from kanbert.settings import Settings

Scope = dict[str, Any]


class Recorder:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.statements: list[tuple[str, Any]] = []
        event.listen(app.state.engine.sync_engine, "before_cursor_execute", self.record)

    def record(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        self.statements.append((statement, _plain(parameters)))

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/__bench/record":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "POST":
            self.statements = []
            body = b""
        else:
            body = pickle.dumps({"statements": self.statements})
        headers = [(b"content-type", b"application/octet-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _plain(value: Any) -> Any:
    """Parameters as picklable values the driver takes alike (memoryview → bytes)."""
    if isinstance(value, memoryview):
        return value.tobytes()
    if isinstance(value, list | tuple):
        return type(value)(_plain(item) for item in value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def main() -> None:
    settings = Settings()
    upgrade(settings.resolved_database_url)
    port = int(os.environ["BENCH_PORT"])
    uvicorn.run(Recorder(create_app(settings)), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
