"""A streaming reader of one `multipart/form-data` request: text fields and one file.

python-multipart's push parser is fed the ASGI body message by message, so the
file's bytes pass through in pieces of at most one network chunk: never whole in memory, and
never spooled by Starlette first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from kanbert.files.storage import UploadTooLarge
from kanbert.kit.errors import ApiError, bad_request

MAX_FIELD_BYTES = 1024  # entity_type and entity_id are short; anything longer is an abuse
MAX_FIELDS = 16
MAX_HEADER_BYTES = 8 * 1024  # one part header line; real ones are a few hundred bytes


@dataclass
class FilePart:
    file_name: str
    content_type: str


@dataclass
class _Part:
    headers: dict[str, str] = field(default_factory=dict)
    name: str = ""
    file: FilePart | None = None
    value: bytearray = field(default_factory=bytearray)


class _Event:
    """What the parser reported for one body chunk, in order."""

    FIELD = "field"
    FILE_START = "file_start"
    FILE_DATA = "file_data"
    FILE_END = "file_end"


def boundary_of(content_type: str) -> bytes:
    media, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if media != b"multipart/form-data" or not boundary:
        raise ApiError(415, "Unsupported media type: send multipart/form-data with a boundary.")
    return boundary


class MultipartReader:
    """Pull-style view of the request: `until_file()`, then `file_chunks()`, then `rest()`."""

    def __init__(self, request: Request, body_limit: int) -> None:
        self.fields: dict[str, str] = {}
        self._request = request
        self._body_limit = body_limit
        self._ended = False
        self._events = self._parse()

    async def until_file(self) -> FilePart | None:
        """Read text fields up to the first file part; its headers, or None at the end."""
        async for kind, payload in self._events:
            if kind == _Event.FILE_START:
                assert isinstance(payload, FilePart)
                return payload
        return None

    async def file_chunks(self) -> AsyncIterator[bytes]:
        """The current file part's bytes, piece by piece, until the part ends."""
        async for kind, payload in self._events:
            if kind == _Event.FILE_END:
                return
            if kind == _Event.FILE_DATA:
                assert isinstance(payload, bytes)
                yield payload

    async def rest(self) -> None:
        """Read the fields after the file; a second file is refused."""
        async for kind, _payload in self._events:
            if kind == _Event.FILE_START:
                raise bad_request("file", "Send exactly one file per request.")

    async def drain(self, cap: int) -> None:
        """Read and drop the rest of the body (at most `cap` more bytes), so that a client that
        keeps sending after a refusal still reads the answer instead of a reset connection."""
        received = 0
        try:
            while received <= cap and not self._ended:
                received += len(await self._receive())
        except ClientDisconnect:
            return

    async def _receive(self) -> bytes:
        # ASGI messages read directly (not `request.stream()`, which cannot be resumed after
        # the parser stopped) so the reader knows when the body has ended.
        message = await self._request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        self._ended = not message.get("more_body", False)
        body: bytes = message.get("body", b"")
        return body

    async def _parse(self) -> AsyncIterator[tuple[str, object]]:
        events: list[tuple[str, object]] = []
        finished = False
        part = _Part()
        header_field = bytearray()
        header_value = bytearray()

        def on_part_begin() -> None:
            nonlocal part
            part = _Part()

        def on_header_field(data: bytes, start: int, end: int) -> None:
            header_field.extend(data[start:end])
            _check_header()

        def on_header_value(data: bytes, start: int, end: int) -> None:
            header_value.extend(data[start:end])
            _check_header()

        def _check_header() -> None:
            if len(header_field) + len(header_value) > MAX_HEADER_BYTES:
                raise bad_request("body", "A multipart header is too long.")

        def on_header_end() -> None:
            part.headers[header_field.decode("latin-1").lower()] = header_value.decode("latin-1")
            header_field.clear()
            header_value.clear()

        def on_headers_finished() -> None:
            _kind, options = parse_options_header(part.headers.get("content-disposition", ""))
            part.name = options.get(b"name", b"").decode("utf-8", "replace")
            if b"filename" in options:
                # The name is UTF-8 as sent; browsers and httpx escape `"`, CR and LF as %22,
                # %0D, %0A (WHATWG multipart/form-data encoding), so those are undone.
                name = options[b"filename"].decode("utf-8", "replace")
                for escaped, char in (("%22", '"'), ("%0D", "\r"), ("%0A", "\n")):
                    name = name.replace(escaped, char)
                part.file = FilePart(name, part.headers.get("content-type", ""))
                events.append((_Event.FILE_START, part.file))

        def on_part_data(data: bytes, start: int, end: int) -> None:
            if part.file is not None:
                events.append((_Event.FILE_DATA, bytes(data[start:end])))
                return
            part.value.extend(data[start:end])
            if len(part.value) > MAX_FIELD_BYTES:
                raise bad_request(part.name or "body", "A form field is too long.")

        def on_part_end() -> None:
            if part.file is not None:
                events.append((_Event.FILE_END, None))
                return
            if len(self.fields) >= MAX_FIELDS:
                raise bad_request("body", "Too many form fields.")
            self.fields[part.name] = part.value.decode("utf-8", "replace")
            events.append((_Event.FIELD, part.name))

        def on_end() -> None:
            nonlocal finished
            finished = True

        parser = MultipartParser(
            boundary_of(self._request.headers.get("content-type", "")),
            {
                "on_part_begin": on_part_begin,
                "on_part_data": on_part_data,
                "on_part_end": on_part_end,
                "on_header_field": on_header_field,
                "on_header_value": on_header_value,
                "on_header_end": on_header_end,
                "on_headers_finished": on_headers_finished,
                "on_end": on_end,
            },
        )
        received = 0
        try:
            while not self._ended:
                chunk = await self._receive()
                received += len(chunk)
                if received > self._body_limit:
                    raise UploadTooLarge(self._body_limit)
                parser.write(chunk)
                for event in events:
                    yield event
                events.clear()
            parser.finalize()
        except MultipartParseError as error:
            raise bad_request("body", f"Malformed multipart body: {error}.") from None
        except ClientDisconnect:
            raise ApiError(400, "The client disconnected during the upload.") from None
        if not finished:
            # A truncated body must never be stored as if it were the whole file.
            raise bad_request("body", "Malformed multipart body: it ends before its last part.")
        for event in events:
            yield event
