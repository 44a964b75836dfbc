"""Files that go with their owner: rows removed in the owner's transaction, bytes after it.

A force-delete of a project, task or comment calls `drop_files_of` for each kind of owner
it removes and hands the ids to `Leftovers`, which deletes the bytes once the response (and
so the commit) is out. A failed commit therefore never leaves a row without its bytes; at
worst bytes without a row remain.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import BackgroundTasks, Depends, Request
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.files.models import StoredFile
from kanbert.files.storage import Storage
from kanbert.webhooks.capture import deleting


async def drop_files_of(
    session: AsyncSession, space_id: str, entity_type: str, entity_ids: Any
) -> list[str]:
    """Delete the file rows of these entities (a list of ids or a SELECT of ids) and return
    the ids of the files, whose bytes are to be removed after the commit."""
    owned = (
        (StoredFile.space_id == space_id)
        & (StoredFile.entity_type == entity_type)
        & StoredFile.entity_id.in_(entity_ids)
    )
    file_ids = list((await session.scalars(select(StoredFile.id).where(owned))).all())
    if file_ids:
        await deleting(session, "file", file_ids)
        await session.execute(
            delete(StoredFile).where(owned).execution_options(synchronize_session=False)
        )
    return file_ids


class Leftovers:
    """Removes stored bytes after the response, when the request's transaction has committed."""

    def __init__(self, request: Request, background: BackgroundTasks) -> None:
        self._storage: Storage = request.app.state.storage
        self._background = background

    def remove(self, file_ids: Iterable[str]) -> None:
        for file_id in file_ids:
            self._background.add_task(self._storage.delete, file_id)


LeftoverFiles = Annotated[Leftovers, Depends(Leftovers)]
