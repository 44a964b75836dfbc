"""Test set-up: one migrated database per run (SQLite or PostgreSQL), one app, one client.

`KANBERT_TEST_DB` picks the engine (`sqlite`, default, or `postgresql`). Each test makes its own
space, so tests are isolated by tenancy exactly as real customers are.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kanbert.app import create_app
from kanbert.db.migrate import upgrade
from kanbert.settings import Settings

from support import Space, World

POSTGRES_ADMIN = os.environ.get(
    "KANBERT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def pytest_configure(config: pytest.Config) -> None:
    # `make test` stops its runs with SIGTERM (as background jobs they ignore SIGINT): stop as
    # Ctrl-C would, so the session's teardown still drops the run's PostgreSQL database.
    signal.signal(signal.SIGTERM, _interrupt)


def _engine_name() -> str:
    name = os.environ.get("KANBERT_TEST_DB", "sqlite")
    if name not in ("sqlite", "postgresql"):
        raise pytest.UsageError(f"KANBERT_TEST_DB must be sqlite or postgresql, not {name}")
    return name


async def _admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if _engine_name() == "sqlite":
        path = tmp_path_factory.mktemp("db") / "kanbert.db"
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = f"kanbert_test_{os.getpid()}_{secrets.token_hex(4)}"
    # C collation: ordering by bytes, so expected orders in tests are plain Python sorts.
    asyncio.run(
        _admin(
            f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
        )
    )
    base = POSTGRES_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def fresh_urls(tmp_path: Path) -> Iterator[list[str]]:
    """Two empty, migrated databases of the engine under test."""
    if _engine_name() == "sqlite":
        urls = [f"sqlite+aiosqlite:///{tmp_path / f'fresh{n}.db'}" for n in (1, 2)]
        for url in urls:
            upgrade(url)
        yield urls
        return
    names = [f"kanbert_seed_{secrets.token_hex(4)}" for _ in (1, 2)]
    base = POSTGRES_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        for name in names:
            asyncio.run(_admin(f"CREATE DATABASE {name}"))
            upgrade(f"{base}/{name}")
        yield [f"{base}/{name}" for name in names]
    finally:
        for name in names:
            asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    upgrade(database_url)
    data_dir: Path = tmp_path_factory.mktemp("data")
    return Settings(
        env="test",
        database_url=database_url,
        data_dir=data_dir,
        secret_key="test-secret-" + "x" * 40,
        # Off for the shared app: tests fire far more than 600 requests a minute per token;
        # tests/kit/test_rate_limits.py builds its own apps with the limits it checks.
        rate_limit_per_minute=0,
        # Webhook tests deliver to receivers on 127.0.0.1 with short windows; the worker runs
        # where a test starts it (tests/webhooks/receiver.py), not inside the shared app.
        webhook_allow_private_targets=True,
        webhook_debounce_seconds=0.4,
        webhook_debounce_max_seconds=1.5,
        webhook_timeout_seconds=2.0,
        webhook_backoff_base_seconds=1.5,
        webhook_lease_seconds=5.0,
        webhook_poll_seconds=0.05,
        embedded_worker=False,
        # The statistics keeper is tested where it is the subject (tests/db/).
        statistics_interval_seconds=0,
    )


@pytest.fixture(scope="session")
def world(settings: Settings) -> Iterator[World]:
    app = create_app(settings)
    with TestClient(app, base_url="http://testserver") as client:
        yield World(client, app)


@pytest.fixture
def space(world: World) -> Space:
    return world.new_space()


@pytest.fixture
def other_space(world: World) -> Space:
    return world.new_space("Other space")
