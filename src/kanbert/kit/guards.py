"""Transport rules checked before routing: what the caller accepts and how big a body may be."""

from __future__ import annotations

import re

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_PREFIX = "/api/v1"
ACCEPTABLE = ("application/json", "application/*", "*/*")
# `POST /files` streams uploads far larger than a JSON body: the files endpoint enforces its own
# limit (KANBERT_MAX_UPLOAD_BYTES) while it reads, so the body limit here does not apply to it.
UPLOAD_PATH = f"{API_PREFIX}/files"
# `GET /files/{id}/download` answers with the file's own type, not JSON: any Accept is fine.
_DOWNLOAD = re.compile(rf"^{re.escape(API_PREFIX)}/files/[^/]+/download$")


def is_upload(scope: Scope) -> bool:
    return scope.get("method") == "POST" and scope["path"] == UPLOAD_PATH


def is_download(scope: Scope) -> bool:
    return scope.get("method") in ("GET", "HEAD") and bool(_DOWNLOAD.match(scope["path"]))


class BodyTooLarge(HTTPException):
    """An HTTPException so the framework's body parsing passes it on as a 413."""

    def __init__(self) -> None:
        super().__init__(413, "Request body too large.")


async def _reply(send: Send, status: int, message: str) -> None:
    body = orjson.dumps({"message": message})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _refused(parameters: list[str]) -> bool:
    """True for `q=0`: RFC 9110 §12.4.2 makes a range with weight 0 "not acceptable"."""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value.strip()) == 0
            except ValueError:
                return False
    return False


def _accepts_json(accept: str) -> bool:
    for part in accept.split(","):
        media, *parameters = part.split(";")
        media = media.strip().lower()
        # Fix: `application/json;q=0` used to count as accepting JSON.
        if (media in ACCEPTABLE or media.endswith("+json")) and not _refused(parameters):
            return True
    return False


def _has_nul(scope: Scope) -> bool:
    query = bytes(scope.get("query_string", b"")).lower()
    return "\x00" in scope["path"] or b"%00" in query or b"\x00" in query


class TransportGuard:
    """406 for an Accept the API cannot satisfy; 400 for a NUL in the URL; 413 for a big body."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        accept = headers.get("accept", "").strip()
        negotiated = scope["path"].startswith(API_PREFIX) and not is_download(scope)
        if negotiated and accept and not _accepts_json(accept):
            await _reply(send, 406, "Not acceptable: this API answers with application/json.")
            return
        # Fix: a NUL in a path segment or query value (ids, find_by, origin, filter) reached
        # PostgreSQL, which cannot store or compare it, and came back as a 500.
        if _has_nul(scope):
            await _reply(send, 400, "The request URL must not contain NUL characters.")
            return
        if is_upload(scope):
            await self.app(scope, receive, send)
            return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body_bytes:
            await _reply(send, 413, f"Request body over {self.max_body_bytes} bytes.")
            return
        await self._counted(scope, receive, send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:
                raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _reply(send, 413, f"Request body over {self.max_body_bytes} bytes.")
