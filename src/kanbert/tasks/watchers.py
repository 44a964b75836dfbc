"""Making users watchers of a task, safe under concurrent requests."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.tasks.models import task_watchers


async def add_watchers(session: AsyncSession, task_id: str, user_ids: Iterable[str]) -> None:
    """Add the users as watchers; those already watching (perhaps since a concurrent request
    made them so) stay as they are. `ON CONFLICT DO NOTHING` instead of check-then-insert,
    which two requests can both pass."""
    rows = [{"task_id": task_id, "user_id": user_id} for user_id in dict.fromkeys(user_ids)]
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    await session.execute(dialect.insert(task_watchers).on_conflict_do_nothing(), rows)
