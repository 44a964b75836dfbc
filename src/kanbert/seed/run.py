"""Run the generator against a database URL in one transaction, with a Rich progress bar."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kanbert.db.engine import WRITES_OPTION, make_engine
from kanbert.db.statistics import refresh_statistics
from kanbert.seed.generate import Seeded, Seeder, Sizes

# The tables with a size given on the command line get a bar each; the small ones around
# them (users, tags, watchers, members…) are counted in the final summary only.
SIZED = {
    "clients": "clients",
    "projects": "projects",
    "tasks": "tasks",
    "comments": "comments",
    "efforts": "efforts",
}


async def seed_database(
    url: str,
    space_id: str,
    sizes: Sizes,
    seed: int = 1,
    console: Console | None = None,
) -> Seeded:
    """Seed `space_id`; all or nothing (one transaction). A progress bar shows on `console`."""
    engine = make_engine(url)
    try:
        with Progress(
            TextColumn("{task.description:>9}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=console is None,
        ) as progress:
            bars = {
                table: progress.add_task(label, total=getattr(sizes, table))
                for table, label in SIZED.items()
            }

            def advance(table: str, rows: int) -> None:
                if table in bars:
                    progress.advance(bars[table], rows)

            # One writing transaction (BEGIN IMMEDIATE on SQLite): the seed lands whole or not.
            async with engine.connect() as connection:
                connection = await connection.execution_options(**{WRITES_OPTION: True})
                async with connection.begin():
                    seeded = await Seeder(connection, space_id, sizes, seed, advance).run()
        # The planner's statistics describe the empty space until measured again.
        await refresh_statistics(engine, everything=True)
        return seeded
    finally:
        await engine.dispose()
