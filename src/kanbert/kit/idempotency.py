"""`Idempotency-Key` on every POST: same key and body replays the first answer (README §2).

Keys are kept per token (by the token's hash, so no lookup is needed before the request runs)
for `idempotency_ttl_hours`. A key still being processed answers 409.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kanbert.db.base import Base, UTCDateTime, id_column
from kanbert.db.engine import begin_writing
from kanbert.kit.guards import is_upload
from kanbert.kit.timefmt import utcnow

MAX_KEY_LENGTH = 255
# Responses worth replaying; a 401/429/5xx says nothing about the request itself.
NOT_REPLAYED = {401, 429}


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("token_hash", "key"),)

    id: Mapped[str] = id_column()
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: in progress
    headers: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


def _json_reply(status: int, message: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    return status, [(b"content-type", b"application/json")], orjson.dumps({"message": message})


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, sessionmaker: Any, ttl_hours: int) -> None:
        self.app = app
        self.sessionmaker: async_sessionmaker[AsyncSession] = sessionmaker
        self.ttl = timedelta(hours=ttl_hours)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, b"idempotency-key")
        authorization = _header(scope, b"authorization")
        # Uploads are not replayable: fingerprinting one would hold the whole file in memory.
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or key is None
            or not authorization
            or is_upload(scope)
        ):
            await self.app(scope, receive, send)
            return
        if not 1 <= len(key) <= MAX_KEY_LENGTH:
            await _send(send, *_json_reply(400, "Idempotency-Key must be 1 to 255 characters."))
            return
        # Fix: a control character (NUL above all) in the key made PostgreSQL fail the insert
        # with a 500; keys are printable strings (IETF draft: an sf-string).
        if any(ord(char) < 0x20 or ord(char) == 0x7F for char in key):
            await _send(send, *_json_reply(400, "Idempotency-Key must be printable characters."))
            return
        body = await _read_body(receive)
        token_hash = hashlib.sha256(authorization.encode()).hexdigest()
        fingerprint = hashlib.sha256(
            b"\0".join([scope["path"].encode(), scope.get("query_string", b""), body])
        ).hexdigest()
        claimed, reply = await self._claim(token_hash, key, fingerprint)
        if not claimed:
            assert reply is not None
            await _send(send, *reply)
            return
        try:
            status, headers, response_body = await _run(self.app, scope, body)
        except BaseException:
            await self._settle(token_hash, key, 500, [], b"")  # frees the key for a retry
            raise
        await self._settle(token_hash, key, status, headers, response_body)
        await _send(send, status, headers, response_body)

    async def _claim(
        self, token_hash: str, key: str, fingerprint: str
    ) -> tuple[bool, tuple[int, list[tuple[bytes, bytes]], bytes] | None]:
        async with self.sessionmaker() as session, session.begin():
            await begin_writing(session)
            await session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.token_hash == token_hash,
                    IdempotencyRecord.key == key,
                    IdempotencyRecord.created_at < utcnow() - self.ttl,
                )
            )
            found = await session.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.token_hash == token_hash, IdempotencyRecord.key == key
                )
            )
            if found is None:
                try:
                    async with session.begin_nested():
                        session.add(
                            IdempotencyRecord(
                                token_hash=token_hash, key=key, fingerprint=fingerprint
                            )
                        )
                    return True, None
                except IntegrityError:
                    return False, _json_reply(
                        409, "A request with this Idempotency-Key is in progress."
                    )
        if found.fingerprint != fingerprint:
            return False, _json_reply(422, "Idempotency-Key reused with a different request.")
        if found.status is None:
            return False, _json_reply(409, "A request with this Idempotency-Key is in progress.")
        headers = [
            (bytes(k, "latin-1"), bytes(v, "latin-1"))
            for k, v in orjson.loads(found.headers or b"[]")
        ]
        headers.append((b"idempotent-replayed", b"true"))
        return False, (found.status, headers, found.body or b"")

    async def _settle(
        self,
        token_hash: str,
        key: str,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> None:
        async with self.sessionmaker() as session, session.begin():
            await begin_writing(session)
            found = await session.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.token_hash == token_hash, IdempotencyRecord.key == key
                )
            )
            if found is None:
                return
            # An answer marked `Cache-Control: no-store` by its endpoint shows a secret (a new
            # token): it must not be kept here in clear, so its key is freed as after a failure.
            no_store = any(
                k.lower() == b"cache-control" and b"no-store" in v.lower() for k, v in headers
            )
            if status >= 500 or status in NOT_REPLAYED or no_store:
                await session.delete(found)
                return
            kept = [
                (k.decode("latin-1"), v.decode("latin-1"))
                for k, v in headers
                if k.lower() not in (b"content-length", b"date", b"server")
            ]
            found.status, found.headers, found.body = status, orjson.dumps(kept), body


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _run(
    app: ASGIApp, scope: Scope, body: bytes
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    status = 500
    headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []

    async def send(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, headers, b"".join(chunks)


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
