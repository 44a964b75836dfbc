"""The migrated schema is the one the models declare, on both engines."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from kanbert.db.models import Base

from support import World


def _database_indexes(world: World) -> set[str]:
    async def names(session: Any) -> set[str]:
        if session.bind.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'index'"
        else:
            query = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
        return set((await session.execute(text(query))).scalars().all())

    return world.run(names)


def test_every_declared_index_exists_after_migrating(world: World) -> None:
    declared = {index.name for table in Base.metadata.tables.values() for index in table.indexes}
    missing = {name for name in declared if name} - _database_indexes(world)
    assert not missing, f"indexes declared in models but missing after migrations: {missing}"
