"""The floor: the same SQL through the bare driver (sqlite3 / asyncpg) in a bare ASGI app that
encodes with orjson. No framework, no ORM, no validation, no rendering: what is left is the
database, the driver, JSON encoding and the HTTP server (uvicorn, as for the API).

Reads replay, statement for statement, what the API executed for the same request (recorded
by `bench/serve.py`, parameters included), in one transaction, and encode every row fetched.
Writes (S7) cannot replay recorded inserts (the ids and task numbers are taken), so they run
the minimal SQL of the same change by hand: number the task, find its sorting, insert it and
return it (POST); update the title and return the row (PATCH).

Paths: `/<scenario>/<n>`, n the request's index in the scenario. The plan (pickle) is named by
`BENCH_PLAN`; the server is started by `python -m bench.floor` (the runner does it).
"""

from __future__ import annotations

import os
import pickle
import secrets
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
import uvicorn

Scope = dict[str, Any]


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def _new_task_row(
    space_id: str,
    project_id: str,
    client_id: str,
    number: int,
    shortcode: str,
    title: str,
    last_sorting: int | None,
    user_id: str,
    now: Any,
) -> tuple[Any, ...]:
    """The values of NEW_TASK's columns for one new task, on either driver."""
    return (
        _new_id(),
        space_id,
        project_id,
        client_id,
        number,
        f"{shortcode}-{number}",
        title,
        "New",
        "task",
        False,
        True,
        "{}",
        (last_sorting or 0) + 1,
        "{}",
        user_id,
        now,
        now,
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _new_id() -> str:
    return secrets.token_urlsafe(12)


NEW_TASK = (
    "INSERT INTO tasks (id, space_id, project_id, client_id, number, uri, title, status, type, "
    "is_onhold, is_public, due_date_settings, list_sorting, custom_fields, created_by_id, "
    "created_at, updated_at) VALUES ({}) RETURNING *"
)


class SqliteFloor:
    def __init__(self, plan: dict[str, Any]) -> None:
        # Blocking calls on the event loop: the fastest way to use sqlite3 from one process.
        self.db = sqlite3.connect(plan["sqlite_path"], isolation_level=None)
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.plan = plan

    async def start(self) -> None:
        pass

    def rows(self, statement: str, parameters: Any) -> list[dict[str, Any]]:
        cursor = self.db.execute(statement, parameters or ())
        if cursor.description is None:
            return []
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    async def replay(self, statements: list[tuple[str, Any]]) -> list[list[dict[str, Any]]]:
        try:
            results = [self.rows(statement, parameters) for statement, parameters in statements]
        finally:
            if self.db.in_transaction:
                self.db.execute("COMMIT")
        return results

    async def create(self, project_id: str, title: str, user_id: str) -> Any:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            number, shortcode, client_id, space_id = self.db.execute(
                "UPDATE projects SET last_task_number = last_task_number + 1 WHERE id = ? "
                "RETURNING last_task_number, shortcode, client_id, space_id",
                (project_id,),
            ).fetchone()
            (last,) = self.db.execute(
                "SELECT max(list_sorting) FROM tasks WHERE project_id = ? AND status = 'New'",
                (project_id,),
            ).fetchone()
            now = _now().isoformat(sep=" ")
            values = _new_task_row(
                space_id, project_id, client_id, number, shortcode, title, last, user_id, now
            )
            row = self.rows(NEW_TASK.format(", ".join("?" * len(values))), values)
        finally:
            self.db.execute("COMMIT")
        return row

    async def update(self, task_id: str, title: str) -> Any:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            return self.rows(
                "UPDATE tasks SET title = ?, updated_at = ? WHERE id = ? RETURNING *",
                (title, _now().isoformat(sep=" "), task_id),
            )
        finally:
            self.db.execute("COMMIT")


class PostgresFloor:
    def __init__(self, plan: dict[str, Any]) -> None:
        self.plan = plan
        self.pool: Any = None

    async def start(self) -> None:
        import asyncpg

        # The API's engine keeps up to 10 (+20 overflow) connections; the floor 10 to 30.
        self.pool = await asyncpg.create_pool(self.plan["postgres_dsn"], min_size=10, max_size=30)

    async def replay(self, statements: list[tuple[str, Any]]) -> list[list[dict[str, Any]]]:
        async with self.pool.acquire() as connection, connection.transaction():
            return [
                [dict(row) for row in await connection.fetch(statement, *(parameters or ()))]
                for statement, parameters in statements
            ]

    async def create(self, project_id: str, title: str, user_id: str) -> Any:
        async with self.pool.acquire() as connection, connection.transaction():
            number, shortcode, client_id, space_id = await connection.fetchrow(
                "UPDATE projects SET last_task_number = last_task_number + 1 WHERE id = $1 "
                "RETURNING last_task_number, shortcode, client_id, space_id",
                project_id,
            )
            last = await connection.fetchval(
                "SELECT max(list_sorting) FROM tasks WHERE project_id = $1 AND status = 'New'",
                project_id,
            )
            now = _now()
            values = _new_task_row(
                space_id, project_id, client_id, number, shortcode, title, last, user_id, now
            )
            marks = ", ".join(f"${n}" for n in range(1, len(values) + 1))
            row = await connection.fetchrow(NEW_TASK.format(marks), *values)
            return [dict(row)]

    async def update(self, task_id: str, title: str) -> Any:
        async with self.pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(
                "UPDATE tasks SET title = $1, updated_at = $2 WHERE id = $3 RETURNING *",
                title,
                _now(),
                task_id,
            )
            return [dict(row)]


class FloorApp:
    def __init__(self, plan: dict[str, Any]) -> None:
        self.plan = plan
        self.db = SqliteFloor(plan) if plan["engine"] == "sqlite" else PostgresFloor(plan)
        self.counter = 0

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await self.db.start()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        _, scenario, number = scope["path"].split("/")
        index = int(number)
        self.counter += 1
        status = 200
        if scenario == "S7a":
            data: Any = await self.db.create(
                self.plan["project_id"], f"Floor task {self.counter}", self.plan["user_id"]
            )
            status = 201
        elif scenario == "S7b":
            task_ids = self.plan["patch_task_ids"]
            data = await self.db.update(task_ids[index % len(task_ids)], f"Floor {self.counter}")
        else:
            data = await self.db.replay(self.plan["reads"][scenario][index])
        # Drain the request body (POST/PATCH) as a server must.
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        body = orjson.dumps({"data": data}, default=_default)
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def main() -> None:
    with open(os.environ["BENCH_PLAN"], "rb") as source:
        plan = pickle.load(source)
    port = int(os.environ["BENCH_PORT"])
    uvicorn.run(FloorApp(plan), host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
