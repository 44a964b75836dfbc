"""Delivery headers (webhooks.md §4), computed over the exact bytes that are sent.

`Signature` is Kanbert's: the lowercase hex HMAC-SHA256 of the body with the secret's UTF-8
bytes. The `webhook-*` headers follow Standard Webhooks: the key is the base64 part of a
`whsec_…` secret (the form we generate), or the secret's UTF-8 bytes for a secret a client
chose in another form.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

USER_AGENT = "Kanbert-Webhook/1"
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def standard_key(secret: str) -> bytes:
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode()


def _standard_signature(secret: str, delivery_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{delivery_id}.{timestamp}.".encode() + body
    digest = hmac.new(standard_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(
    body: bytes, delivery_id: str, timestamp: int, keys: list[str]
) -> dict[str, str]:
    """`keys`: the current secret first, then (during a rotation) the previous one."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Signature": hmac.new(keys[0].encode(), body, hashlib.sha256).hexdigest(),
        "webhook-id": delivery_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            _standard_signature(key, delivery_id, timestamp, body) for key in keys
        ),
    }
