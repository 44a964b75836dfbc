"""Signed, expiring values for the authorize pages (CSRF cookie, sign-in ticket)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

import orjson


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """HMAC-SHA256 over a JSON payload with an expiry; a key of its own per purpose."""

    def __init__(self, secret_key: str, purpose: str) -> None:
        self._key = hmac.new(secret_key.encode(), purpose.encode(), hashlib.sha256).digest()

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def sign(self, value: dict[str, Any], ttl_seconds: int) -> str:
        payload = _b64(orjson.dumps({"v": value, "exp": int(time.time()) + ttl_seconds}))
        return f"{payload}.{self._mac(payload)}"

    def load(self, signed: str | None) -> dict[str, Any] | None:
        """The value, or None when missing, forged, malformed or expired."""
        payload, _, mac = (signed or "").partition(".")
        if not payload or not hmac.compare_digest(mac.encode(), self._mac(payload).encode()):
            return None
        try:
            data = orjson.loads(_unb64(payload))
        except (ValueError, orjson.JSONDecodeError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("v"), dict):
            return None
        if not isinstance(data.get("exp"), int) or data["exp"] < time.time():
            return None
        value: dict[str, Any] = data["v"]
        return value
