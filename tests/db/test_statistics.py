"""Planner statistics (db/statistics.py): a bulk load leaves the database measured, and on SQLite
the keeper measures again the tables whose size has moved, and only those."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from kanbert.db.engine import make_engine, make_sessionmaker
from kanbert.db.statistics import _is_stale, refresh_statistics, statistics_keeper
from kanbert.seed import Sizes, seed_database
from kanbert.seed.generate import Seeder
from kanbert.spaces.models import Space

SPACE = "statsspace000001"
SIZES = Sizes(clients=4, projects=8, tasks=1200, comments=300, efforts=100)


async def _with_engine(url: str, work: Any) -> Any:
    engine = make_engine(url)
    try:
        return await work(engine)
    finally:
        await engine.dispose()


async def _add_space(engine: Any) -> None:
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add(Space(id=SPACE, name="Statistics"))


async def _measured_tasks(engine: Any) -> int | None:
    """Rows of `tasks` as the planner knows them (SQLite's sqlite_stat1, PostgreSQL's
    pg_class.reltuples once ANALYZE ran)."""
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            query = "SELECT max(CAST(stat AS INTEGER)) FROM sqlite_stat1 WHERE tbl = 'tasks'"
        else:
            query = (
                "SELECT reltuples::bigint FROM pg_class c JOIN pg_stat_user_tables s "
                "ON s.relid = c.oid WHERE c.relname = 'tasks' AND s.last_analyze IS NOT NULL"
            )
        try:
            value = (await connection.execute(text(query))).scalar()
        except Exception:  # sqlite_stat1 does not exist before the first ANALYZE
            return None
        return None if value is None else int(value)


def test_seeding_leaves_the_planner_statistics_measured(fresh_urls: list[str]) -> None:
    async def work(engine: Any) -> tuple[int | None, int | None]:
        await _add_space(engine)
        before = await _measured_tasks(engine)
        await seed_database(fresh_urls[0], SPACE, SIZES)
        return before, await _measured_tasks(engine)

    before, after = asyncio.run(_with_engine(fresh_urls[0], work))
    assert before is None
    assert after == 1200


def _sqlite_only(url: str) -> None:
    if not url.startswith("sqlite"):
        pytest.skip("PostgreSQL keeps its own statistics (autovacuum); the keeper is SQLite's")


def test_only_tables_whose_size_moved_are_measured_again(fresh_urls: list[str]) -> None:
    _sqlite_only(fresh_urls[0])

    async def work(engine: Any) -> tuple[list[str], list[str], int | None]:
        await _add_space(engine)
        await seed_database(fresh_urls[0], SPACE, SIZES)
        unchanged = await refresh_statistics(engine)
        # A second load without measuring (as the API's writes would add them): 2,400 more
        # tasks, three times what was measured.
        async with engine.begin() as connection:
            bigger = Sizes(clients=1, projects=2, tasks=2400, comments=0, efforts=0)
            await Seeder(connection, SPACE, bigger, seed=2).run()
        moved = await refresh_statistics(engine)
        return unchanged, moved, await _measured_tasks(engine)

    unchanged, moved, measured = asyncio.run(_with_engine(fresh_urls[0], work))
    assert unchanged == []
    assert "tasks" in moved and "comments" not in moved
    assert measured == 3600


def test_the_keeper_measures_a_stale_table_while_the_app_runs(fresh_urls: list[str]) -> None:
    _sqlite_only(fresh_urls[0])

    async def work(engine: Any) -> int | None:
        await _add_space(engine)
        async with engine.begin() as connection:  # loaded, never measured
            await Seeder(connection, SPACE, SIZES, seed=3).run()
        async with statistics_keeper(engine, interval=0.05):
            for _ in range(100):
                if await _measured_tasks(engine):
                    break
                await asyncio.sleep(0.05)
        return await _measured_tasks(engine)

    assert asyncio.run(_with_engine(fresh_urls[0], work)) == 1200


@pytest.mark.parametrize(
    ("rows", "measured", "stale"),
    [
        (500, None, False),  # small tables are read whole whatever the plan
        (1000, None, True),
        (3000, 1000, True),
        (2000, 1000, False),
        (400, 1000, True),  # shrunk to less than half
        (600, 1000, False),
        (900, 0, False),
        (1500, 0, True),
    ],
)
def test_what_counts_as_stale(rows: int, measured: int | None, stale: bool) -> None:
    assert _is_stale(rows, measured) is stale
