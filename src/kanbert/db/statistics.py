"""Planner statistics on SQLite: `ANALYZE` a table when its size has moved since it was measured.

SQLite plans from `sqlite_stat1` and has none until something runs `ANALYZE`. Without it the
planner takes an equality on an index's first column as selective, and every list index here
starts with `space_id`, the one column that selects nothing on a server with a single space: it
read a sub-task include through the space's status index (0.9 s instead of 1 ms) and checked
`sub_tasks none (…)` against every closed task of the space (3 s instead of 17 ms)
(bench/README.md). PostgreSQL needs none of this: autovacuum analyzes by itself.

The keeper checks at start-up and then every `statistics_interval_seconds`: a table is measured
again when it has no statistics yet, or holds more than twice or less than half the rows it had
when last measured, and has at least `SMALL_TABLE` rows either way (a small table is read whole
in a blink, whatever the plan).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from kanbert.db.base import Base

SMALL_TABLE = 1000
GROWTH = 2.0

log = logging.getLogger(__name__)


async def stale_tables(connection: AsyncConnection) -> list[str]:
    """The application's tables whose statistics are missing or out of date."""
    measured = await _measured_rows(connection)
    stale = []
    for table in Base.metadata.sorted_tables:
        rows = (await connection.execute(text(f'SELECT count(*) FROM "{table.name}"'))).scalar()
        if _is_stale(int(rows or 0), measured.get(table.name)):
            stale.append(table.name)
    return stale


def _is_stale(rows: int, measured: int | None) -> bool:
    if max(rows, measured or 0) < SMALL_TABLE:
        return False
    if measured is None or measured == 0:
        return True
    return rows > measured * GROWTH or rows * GROWTH < measured


async def _measured_rows(connection: AsyncConnection) -> dict[str, int]:
    """Rows per table when `ANALYZE` last ran (the first figure of each `sqlite_stat1` row)."""
    exists = await connection.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
    )
    if exists.first() is None:
        return {}
    rows = await connection.execute(text("SELECT tbl, stat FROM sqlite_stat1"))
    measured: dict[str, int] = {}
    for table, stat in rows:
        first = str(stat).split(" ", 1)[0]
        if first.isdigit():
            measured[table] = max(measured.get(table, 0), int(first))
    return measured


async def refresh_statistics(engine: AsyncEngine, everything: bool = False) -> list[str]:
    """Measure the stale tables (or, with `everything`, the whole database: after a bulk load);
    returns their names ("*" for everything). PostgreSQL: only `everything` does something, as
    autovacuum keeps up with ordinary writes but may not have seen a bulk load yet."""
    if engine.dialect.name != "sqlite":
        if everything:
            async with engine.begin() as connection:
                await connection.execute(text("ANALYZE"))
            return ["*"]
        return []
    async with engine.connect() as connection:
        tables = ["*"] if everything else await stale_tables(connection)
        await connection.rollback()  # the counting read ends before ANALYZE takes the write lock
        for table in tables:
            await connection.execute(text("ANALYZE" if table == "*" else f'ANALYZE "{table}"'))
            await connection.commit()
    return tables


async def _keep(engine: AsyncEngine, interval: float) -> None:
    while True:
        try:
            measured = await refresh_statistics(engine)
        except Exception:  # a busy database now is no reason to stop measuring later
            log.exception("refreshing SQLite statistics failed")
        else:
            if measured:
                log.info("SQLite statistics refreshed for %s", ", ".join(measured))
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def statistics_keeper(engine: AsyncEngine, interval: float) -> AsyncIterator[None]:
    """Keep SQLite's statistics current while the app lives (interval 0: never)."""
    if engine.dialect.name != "sqlite" or interval <= 0:
        yield
        return
    task = asyncio.create_task(_keep(engine, interval))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
