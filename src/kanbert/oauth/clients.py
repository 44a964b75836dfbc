"""Registering OAuth clients (CLI and `POST /oauth/clients`)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.auth.tokens import hash_token
from kanbert.oauth.models import OAuthClient

CLIENT_SECRET_PREFIX = "kbs_"
MAX_REDIRECT_URIS = 20
MAX_URI_LENGTH = 2000


@dataclass(frozen=True)
class RegisteredClient:
    client: OAuthClient
    secret: str | None  # shown once; only its hash is stored


def redirect_uri_problem(uri: str) -> str | None:
    """Why `uri` cannot be a redirect URI, or None when it can."""
    if len(uri) > MAX_URI_LENGTH:
        return f"must be at most {MAX_URI_LENGTH} characters"
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        return "must be an absolute http or https URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute http or https URL"
    if parts.fragment or uri.endswith("#"):
        return "must not contain a fragment (RFC 6749 §3.1.2)"
    if any(char.isspace() for char in uri):
        return "must not contain whitespace"
    return None


def redirect_uris_problems(uris: list[str]) -> dict[str, str]:
    """Problems keyed by field (`redirect_uris`, `redirect_uris.N`); empty when all is well."""
    if not uris:
        return {"redirect_uris": "must list at least one URI"}
    if len(uris) > MAX_REDIRECT_URIS:
        return {"redirect_uris": f"must list at most {MAX_REDIRECT_URIS} URIs"}
    problems = {
        f"redirect_uris.{index}": redirect_uri_problem(uri) for index, uri in enumerate(uris)
    }
    return {key: problem for key, problem in problems.items() if problem}


def secret_matches(client: OAuthClient, secret: str | None) -> bool:
    if client.secret_hash is None or not secret:
        return False
    return hmac.compare_digest(client.secret_hash, hash_token(secret))


async def register_client(
    session: AsyncSession, space_id: str, name: str, redirect_uris: list[str], public: bool
) -> RegisteredClient:
    """A new client; validate the redirect URIs first (`redirect_uris_problems`)."""
    secret = None if public else CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)
    client = OAuthClient(
        space_id=space_id,
        name=name,
        secret_hash=hash_token(secret) if secret else None,
        redirect_uris=list(dict.fromkeys(redirect_uris)),
    )
    session.add(client)
    await session.flush()
    return RegisteredClient(client, secret)
