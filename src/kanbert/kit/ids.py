"""Opaque, URL-safe record ids that reveal neither row counts nor creation order."""

import re
import secrets

ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def new_id() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, 96 random bits


def looks_like_id(value: object) -> bool:
    return isinstance(value, str) and bool(ID_PATTERN.match(value))
