"""Files: streaming uploads into storage, reads guarded by the owning entity, deletes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import quote

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request

# The bearer-token check behind `CurrentCaller`, called directly: uploads open their own sessions.
from kanbert.auth.deps import authenticate_briefly
from kanbert.db.engine import begin_writing
from kanbert.files.entities import Owner, check_scope, owner_of, visible_entity
from kanbert.files.models import StoredFile
from kanbert.files.multipart import FilePart, MultipartReader
from kanbert.files.storage import BlobMissing, Storage, UploadTooLarge
from kanbert.kit.context import Caller
from kanbert.kit.errors import ApiError, invalid, invalid_field, not_found
from kanbert.kit.ids import new_id
from kanbert.webhooks.capture import CALLER_KEY, deleting

# Room for the multipart framing and the two text fields around a file of the maximum size.
MULTIPART_OVERHEAD = 64 * 1024
# After a refusal, read (and drop) at most this many times the limit so the client sees the 413.
DRAIN_FACTOR = 8
DEFAULT_MIME_TYPE = "application/octet-stream"
_MIME_TYPE = re.compile(r"^[A-Za-z0-9][\w!#$&^.+-]{0,126}/[A-Za-z0-9][\w!#$&^.+-]{0,126}$")


def too_large(limit: int) -> ApiError:
    return ApiError(413, f"The file is over the upload limit of {limit} bytes.")


def clean_file_name(raw: str) -> str:
    """The name without any directory part or control characters, at most 255 characters."""
    name = re.split(r"[\\/]", raw)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[:255] or "file"


def clean_mime_type(raw: str) -> str:
    """The part's declared type as sent (nothing is sniffed), or the generic default."""
    media = raw.split(";")[0].strip().lower()
    return media if _MIME_TYPE.match(media) else DEFAULT_MIME_TYPE


def content_disposition(file_name: str) -> str:
    """`attachment` with an ASCII fallback and the exact UTF-8 name (RFC 6266, RFC 8187).

    Quotes, backslashes and control characters never reach the header: the fallback replaces
    them and the `filename*` form percent-encodes every byte outside the unreserved set.
    """
    fallback = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\%' else "_" for c in file_name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


async def _entity_for_write(
    session: AsyncSession, caller: Caller, fields: dict[str, str]
) -> tuple[Owner, Any]:
    problems: dict[str, list[str]] = {}
    entity_type = fields.get("entity_type", "").strip()
    entity_id = fields.get("entity_id", "").strip()
    if not entity_type:
        problems["entity_type"] = ["The entity type field is required."]
    if not entity_id:
        problems["entity_id"] = ["The entity id field is required."]
    elif "\x00" in entity_id or len(entity_id) > 32:
        # Ids are short and printable; PostgreSQL cannot even compare a string with a NUL.
        problems["entity_id"] = ["The selected entity id is invalid."]
    if problems:
        raise invalid(problems)
    owner = owner_of(entity_type)
    check_scope(caller, owner, write=True)
    entity = await visible_entity(session, caller, owner, entity_id, write=True)
    if entity is None:
        raise invalid_field("entity_id", "The selected entity id is invalid.")
    return owner, entity


async def upload(
    sessionmaker: async_sessionmaker[AsyncSession], request: Request, storage: Storage, limit: int
) -> StoredFile:
    """Stream one multipart upload into storage and record it.

    Unlike every other write this does not run in the request's one transaction: streaming
    may take minutes, and that transaction would hold a pooled connection (and, on SQLite,
    the database's write lock, taken up front for writes) all along. So: a short read
    transaction to authenticate and check access, no transaction while the bytes stream, and
    a short write transaction for the row, committed before the answer.
    """
    caller = await authenticate_briefly(request)
    body_limit = limit + MULTIPART_OVERHEAD
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > body_limit:
        raise too_large(limit)  # refused before a byte of the body is read
    reader = MultipartReader(request, body_limit)
    # The webhook outbox runs before this upload's own commit, as for every other write.
    before_commit = getattr(request.app.state, "before_commit", None)
    try:
        return await _store(sessionmaker, caller, reader, storage, limit, before_commit)
    except UploadTooLarge:
        await reader.drain(DRAIN_FACTOR * body_limit)
        raise too_large(limit) from None


async def _store(
    sessionmaker: async_sessionmaker[AsyncSession],
    caller: Caller,
    reader: MultipartReader,
    storage: Storage,
    limit: int,
    before_commit: Callable[[AsyncSession], Awaitable[None]] | None = None,
) -> StoredFile:
    part: FilePart | None = await reader.until_file()
    if part is None:
        raise invalid_field("file", "The file field is required.")
    checked = None
    if "entity_type" in reader.fields and "entity_id" in reader.fields:
        # The usual order (fields, then file): access is settled before anything is stored.
        async with sessionmaker() as session, session.begin():
            checked = await _entity_for_write(session, caller, reader.fields)
    key = new_id()
    size = await storage.save(key, reader.file_chunks(), limit)  # nothing kept if it raises
    try:
        await reader.rest()
        async with sessionmaker() as session, session.begin():
            await begin_writing(session)
            owner, entity = checked or await _entity_for_write(session, caller, reader.fields)
            file = StoredFile(
                id=key,
                space_id=caller.space_id,
                file_name=clean_file_name(part.file_name),
                mime_type=clean_mime_type(part.content_type),
                size=size,
                entity_type=owner.entity_type,
                entity_id=entity.id,
            )
            session.add(file)
            if before_commit is not None:
                session.info[CALLER_KEY] = caller
                await before_commit(session)
    except BaseException:
        # Refused or failed after storing (late fields, bad entity, failed commit): drop it.
        await storage.delete(key)
        raise
    return file


async def get_file(
    session: AsyncSession, caller: Caller, file_id: str, write: bool = False
) -> StoredFile:
    """A file of the caller's space whose entity the caller may see, or 404; 403 on scope."""
    file = await session.scalar(
        select(StoredFile).where(StoredFile.space_id == caller.space_id, StoredFile.id == file_id)
    )
    if file is None:
        raise not_found()
    owner = owner_of(file.entity_type)
    check_scope(caller, owner, write)
    if await visible_entity(session, caller, owner, file.entity_id, write) is None:
        raise not_found()
    return file


async def open_download(storage: Storage, file: StoredFile) -> AsyncIterator[bytes]:
    try:
        return await storage.open(file.id)
    except BlobMissing:
        raise ApiError(404, "The file's content is missing.") from None


async def delete_file(session: AsyncSession, file: StoredFile) -> None:
    """Remove the row (and any avatar pointing at it); the caller removes the bytes after
    the commit, so a failed commit never leaves a row without its bytes."""
    from kanbert.users.models import User  # users render files as avatars; avoid a cycle

    await session.execute(
        update(User).where(User.avatar_file_id == file.id).values(avatar_file_id=None)
    )
    await deleting(session, "file", [file.id])
    await session.delete(file)
    await session.flush()
