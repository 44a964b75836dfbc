"""Signed keyset cursors: the last row's sort keys, bound to the list they came from.

A cursor is `<payload>.<signature>` (both base64url). The payload names the list and the sort it
was made for, so a cursor altered, forged or taken to another list or space is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import orjson


class CursorError(ValueError):
    """A cursor that is not one of ours for this list; shown to the caller as a 400."""


@dataclass(frozen=True)
class Cursor:
    direction: str  # "next": rows after `keys`; "prev": rows before them
    keys: list[Any]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"kanbert-cursor:" + secret.encode()).digest()

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest()[:18])

    def encode(self, cursor: Cursor, binding: str) -> str:
        body = {"b": binding, "d": cursor.direction, "k": cursor.keys}
        payload = _b64(orjson.dumps(body))
        return f"{payload}.{self._sign(payload)}"

    def decode(self, token: str, binding: str) -> Cursor:
        payload, _, signature = token.partition(".")
        if not payload or not hmac.compare_digest(signature.encode(), self._sign(payload).encode()):
            raise CursorError("page[cursor] is not a valid cursor")
        try:
            body = orjson.loads(_unb64(payload))
        except (binascii.Error, ValueError, orjson.JSONDecodeError):
            raise CursorError("page[cursor] is not a valid cursor") from None
        if not isinstance(body, dict) or body.get("b") != binding:
            raise CursorError("page[cursor] belongs to another list, sort or space")
        if body.get("d") not in ("next", "prev") or not isinstance(body.get("k"), list):
            raise CursorError("page[cursor] is not a valid cursor")
        return Cursor(direction=body["d"], keys=body["k"])
