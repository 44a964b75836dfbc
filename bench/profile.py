"""`python -m bench.profile [--engine sqlite|postgresql] [--only S1,S6] [--requests N]`: where
the server's time goes in the read scenarios S1-S6, by pyinstrument.

Seeds the small space (`kanbert seed --seed 1` sizes of `--small`) in a fresh database, builds
the app in this process (`create_app`, as `kanbert serve` does) and sends each scenario's
requests one at a time through httpx's ASGI transport: no network, no load generator and no
other request in flight, so the profile is the CPU cost of one request, from the ASGI entry
(middlewares, routing, dependencies, auth) through SQLAlchemy and the driver to the rendered
JSON. The requests are those of `python -m bench` (bench/__main__.py, `scenarios`), built here
from the same seeded data.

Writes, per scenario, `bench/profiles/<scenario>-<engine>.html` (pyinstrument's interactive
view) and `.txt` (its call tree, trimmed to frames of at least 1 % of the time), and prints
the mean milliseconds per request and SQL statements per request (also written to
`bench/profiles/summary-<engine>.md`). Same seed, same rows: reruns differ only in timing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from pyinstrument import Profiler
from sqlalchemy import event

from kanbert.app import create_app
from kanbert.db.engine import make_engine, make_sessionmaker
from kanbert.db.migrate import upgrade
from kanbert.seed import Sizes, seed_database
from kanbert.settings import Settings
from kanbert.spaces.service import create_space

HERE = Path(__file__).resolve().parent
PROFILES = HERE / "profiles"
POSTGRES_ADMIN = os.environ.get(
    "KANBERT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
INCLUDES = "project,watchers,client,parent_task,sub_tasks"
SMALL = Sizes(clients=50, projects=200, tasks=5_000, comments=10_000, efforts=5_000)
READS = ("S1", "S2", "S3", "S4", "S5", "S6")


async def _admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def _new_space(url: str) -> str:
    """A space with an all-scope integration token, seeded like `python -m bench --small`."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            created = await create_space(session, "Bench", "owner@bench.example")
    finally:
        await engine.dispose()
    await seed_database(url, created.space_id, SMALL, seed=1)
    return created.token


async def _scenarios(client: httpx.AsyncClient) -> dict[str, list[str]]:
    """The paths of S1-S6, chosen from the seeded data as bench/__main__.py chooses them."""
    page = await _get(client, f"/api/v1/tasks?page[size]=100&sort=-updated_at&include={INCLUDES}")
    rows = page["data"]
    assignees = Counter(row["assignee"]["id"] for row in rows if row.get("assignee"))
    watchers = Counter(user["id"] for row in rows for user in row.get("watchers") or [])
    assignee, watcher = assignees.most_common(1)[0][0], watchers.most_common(1)[0][0]
    first = "/api/v1/tasks?page[size]=50&sort=-updated_at"
    parts = urlsplit((await _get(client, first))["meta"]["next_cursor_url"])
    s3 = f"status = 'WIP' and assignee.id = '{assignee}'"
    s4 = f"watchers any (id = '{watcher}') and sub_tasks none (status = 'Closed')"
    return {
        "S1": [f"/api/v1/tasks/{rows[0]['id']}"],
        "S2": [first, f"{parts.path}?{parts.query}"],
        "S3": [f"/api/v1/tasks?filter={quote(s3, safe='')}"],
        "S4": [f"/api/v1/tasks?filter={quote(s4, safe='')}"],
        "S5": [f"/api/v1/projects?filter={quote('tags count >= 2', safe='')}"],
        "S6": [f"/api/v1/tasks?include={INCLUDES}&page[size]=50"],
    }


async def _get(client: httpx.AsyncClient, path: str) -> Any:
    response = await client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}: {response.text[:300]}")
    return response.json()


async def _ok(client: httpx.AsyncClient, path: str) -> None:
    """One request that must succeed; the body is not decoded (not the server's time)."""
    response = await client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}: {response.text[:300]}")


async def _profile(app: Any, token: str, engine_name: str, only: list[str], count: int) -> str:
    statements = 0

    def counted(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(app.state.engine.sync_engine, "before_cursor_execute", counted)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    lines = [
        f"# Profiles, {engine_name}: {count} requests per scenario, one at a time, in process",
        "",
        "| scenario | ms/request (profiler on) | ms/request (profiler off) | SQL/request |",
        "|---|---:|---:|---:|",
    ]
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench", headers=headers
    ) as client:
        plan = await _scenarios(client)
        for name in only:
            paths = plan[name]
            for n in range(20):  # warm-up: compiled-statement caches, first-use imports
                await _get(client, paths[n % len(paths)])
            statements = 0
            started = time.perf_counter()
            for n in range(count):
                await _ok(client, paths[n % len(paths)])
            plain_ms = (time.perf_counter() - started) * 1000 / count
            sql = statements / count
            profiler = Profiler(interval=0.002, async_mode="disabled")
            started = time.perf_counter()
            with profiler:
                for n in range(count):
                    await _ok(client, paths[n % len(paths)])
            profiled_ms = (time.perf_counter() - started) * 1000 / count
            stem = f"{name}-{engine_name}"
            (PROFILES / f"{stem}.html").write_text(profiler.output_html())
            (PROFILES / f"{stem}.txt").write_text(_tree(profiler))
            row = f"| {name} | {profiled_ms:.2f} | {plain_ms:.2f} | {sql:.1f} |"
            lines.append(row)
            print(row, flush=True)
    return "\n".join(lines) + "\n"


def _tree(profiler: Profiler, share: float = 0.01) -> str:
    """pyinstrument's call tree without the frames under `share` of the whole time.

    SQLAlchemy runs statements in greenlets: their frames appear under a root of their own
    (`Session.execute`), beside the request's (`_run_module_as_main`)."""
    text = profiler.output_text(unicode=True, color=False, show_all=True)
    kept: list[str] = []
    total = None
    for line in text.splitlines():
        head = line.lstrip(" │├└─")
        try:
            seconds = float(head.split(" ", 1)[0])
        except ValueError:
            kept.append(line)
            continue
        total = total or seconds  # the first timed line is the root
        if seconds >= share * total:
            kept.append(line)
    return "\n".join(kept) + "\n"


async def _run(engine_name: str, only: list[str], count: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="kanbert-profile-"))
    database = None
    try:
        if engine_name == "sqlite":
            url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        else:
            database = f"kanbert_profile_{secrets.token_hex(4)}"
            await _admin(f"CREATE DATABASE {database}")
            base = POSTGRES_ADMIN.rsplit("/", 1)[0].replace(
                "postgresql://", "postgresql+asyncpg://"
            )
            url = f"{base}/{database}"
        await asyncio.to_thread(upgrade, url)
        token = await _new_space(url)  # `seed_database` analyzes what it wrote
        settings = Settings(
            database_url=url,
            data_dir=workdir / "data",
            secret_key="bench-secret-" + "b" * 40,
            rate_limit_per_minute=0,
            embedded_worker=False,
        )
        app = create_app(settings)
        try:
            summary = await _profile(app, token, engine_name, only, count)
        finally:
            await app.state.engine.dispose()
        (PROFILES / f"summary-{engine_name}.md").write_text(summary)
    finally:
        if database is not None:
            await _admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--only", default=",".join(READS), help="e.g. S1,S6")
    parser.add_argument("--requests", type=int, default=30, help="per scenario")
    args = parser.parse_args()
    only = [name for name in args.only.split(",") if name]
    unknown = sorted(set(only) - set(READS))
    if unknown:
        parser.error(f"unknown scenarios {unknown}; read scenarios are {', '.join(READS)}")
    PROFILES.mkdir(exist_ok=True)
    asyncio.run(_run(args.engine, only, args.requests))
    print(json.dumps({"written": str(PROFILES.relative_to(HERE.parent))}))


if __name__ == "__main__":
    main()
