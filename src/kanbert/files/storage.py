"""Where uploaded bytes live: a small `Storage` protocol and its local-disk implementation.

Files are written under a key (the file's id) to a temporary file in the same directory, fsynced
and renamed into place, so a key either holds a complete upload or nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import BinaryIO, Protocol

import anyio
import anyio.to_thread

from kanbert.kit.ids import new_id

READ_CHUNK = 64 * 1024
_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class UploadTooLarge(Exception):
    """The stream went over the byte limit; nothing was kept."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"Upload over {limit} bytes.")
        self.limit = limit


class BlobMissing(Exception):
    """No bytes are stored under the key."""


class Storage(Protocol):
    async def save(self, key: str, chunks: AsyncIterable[bytes], limit: int) -> int:
        """Store the stream under `key`; the number of bytes, or UploadTooLarge (nothing kept)."""
        ...

    async def open(self, key: str) -> AsyncIterator[bytes]:
        """The stored bytes in chunks; raises BlobMissing before yielding when there are none."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the bytes under `key`; a missing key is not an error."""
        ...


class LocalStorage:
    """Files in one directory, named by key; temporary files start with `.tmp-`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        # Keys are generated ids; refuse anything else so a key can never leave the directory.
        if not _KEY.match(key):
            raise ValueError(f"invalid storage key {key!r}")
        return self.root / key

    async def save(self, key: str, chunks: AsyncIterable[bytes], limit: int) -> int:
        target = self._path(key)
        await anyio.to_thread.run_sync(lambda: self.root.mkdir(parents=True, exist_ok=True))
        temporary = self.root / f".tmp-{key}-{new_id()}"
        handle: BinaryIO = await anyio.to_thread.run_sync(lambda: open(temporary, "xb"))  # noqa: SIM115
        size = 0
        try:
            try:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise UploadTooLarge(limit)
                    await anyio.to_thread.run_sync(handle.write, chunk)
                await anyio.to_thread.run_sync(_flush_and_sync, handle)
            finally:
                handle.close()
            await anyio.to_thread.run_sync(os.replace, temporary, target)
        except BaseException:
            # Over the limit, a broken stream, a cancelled request: no partial file remains.
            temporary.unlink(missing_ok=True)
            raise
        return size

    async def open(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            handle = await anyio.open_file(path, "rb")
        except FileNotFoundError:
            raise BlobMissing(key) from None
        return _read(handle)

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await anyio.to_thread.run_sync(lambda: path.unlink(missing_ok=True))


def _flush_and_sync(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())


async def _read(handle: anyio.AsyncFile[bytes]) -> AsyncIterator[bytes]:
    async with handle:
        while chunk := await handle.read(READ_CHUNK):
            yield chunk


def local_storage(data_dir: Path) -> LocalStorage:
    return LocalStorage(data_dir / "files")
