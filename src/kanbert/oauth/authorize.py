"""The authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3), sign-in and the grant."""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.auth.passwords import hash_password, verify_password
from kanbert.auth.scopes import ALL_SCOPES
from kanbert.auth.tokens import hash_token
from kanbert.kit.timefmt import utcnow
from kanbert.oauth.models import OAuthClient, OAuthGrant
from kanbert.spaces.models import Space
from kanbert.users.models import User, UserType, local_today

# A code_challenge is BASE64URL(SHA-256(verifier)) without padding: exactly 43 characters.
S256_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
SIGN_IN_TYPES = (UserType.user, UserType.guest, UserType.tax_advisor)


@functools.cache
def _dummy_hash() -> str:
    """Verified when the e-mail is unknown, so a wrong e-mail costs as long as a wrong
    password; made on the first such sign-in, not at import (argon2 is deliberately slow)."""
    return hash_password(secrets.token_urlsafe(16))


PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


@dataclass(frozen=True)
class AuthRequest:
    """A valid authorization request: what the consent screen shows and the grant keeps."""

    client: OAuthClient
    redirect_uri: str
    scopes: list[str]
    state: str | None
    code_challenge: str | None

    def parameters(self) -> dict[str, str]:
        """The request again, as the hidden fields of the sign-in form."""
        values = {
            "response_type": "code",
            "client_id": self.client.id,
            "redirect_uri": self.redirect_uri,
            "scope": " ".join(self.scopes),
            "state": self.state,
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256" if self.code_challenge else None,
        }
        return {key: value for key, value in values.items() if value is not None}


class UntrustedRedirect(Exception):
    """The client or redirect URI is not valid: show an error page, never redirect."""


@dataclass
class RedirectError(Exception):
    """An error told to the client at its (verified) redirect URI (RFC 6749 §4.1.2.1)."""

    redirect_uri: str
    error: str
    description: str
    state: str | None

    def location(self) -> str:
        return with_query(
            self.redirect_uri,
            {"error": self.error, "error_description": self.description, "state": self.state},
        )


def with_query(uri: str, values: Mapping[str, str | None]) -> str:
    """`uri` with `values` added to its query (RFC 6749 §3.1.2 keeps the registered query)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(key, value) for key, value in values.items() if value is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


async def _trusted_client(
    session: AsyncSession, params: Mapping[str, str]
) -> tuple[OAuthClient, str]:
    client_id, redirect_uri = params.get("client_id", ""), params.get("redirect_uri", "")
    client = await session.get(OAuthClient, client_id) if 0 < len(client_id) <= 32 else None
    if client is None:
        raise UntrustedRedirect("Unknown client_id: this application is not registered.")
    if not redirect_uri or redirect_uri not in client.redirect_uris:
        raise UntrustedRedirect("The redirect_uri is not registered for this application.")
    return client, redirect_uri


def parse_scopes(text: str) -> list[str] | None:
    """Known scopes in their canonical order, or None when one is unknown or none is given."""
    requested = text.split(" ") if text else []
    if not requested or any(scope not in ALL_SCOPES for scope in requested):
        return None
    return sorted(set(requested), key=ALL_SCOPES.index)


def _code_challenge(client: OAuthClient, params: Mapping[str, str]) -> str | None:
    """The S256 challenge (None for a confidential client without PKCE), else ValueError."""
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if not challenge:
        if method:
            raise ValueError("code_challenge_method without code_challenge.")
        if client.is_public:
            raise ValueError("Public clients must use PKCE: code_challenge is required.")
        return None
    if method != "S256":
        # RFC 7636 §4.3: a missing method means `plain`, which this server refuses.
        raise ValueError("code_challenge_method must be S256; plain is not supported.")
    if not S256_CHALLENGE.match(challenge):
        raise ValueError("code_challenge must be 43 base64url characters (S256).")
    return challenge


async def parse_request(session: AsyncSession, params: Mapping[str, str]) -> AuthRequest:
    """The validated request; raises UntrustedRedirect or RedirectError."""
    client, redirect_uri = await _trusted_client(session, params)
    state = params.get("state") or None

    def refuse(error: str, description: str) -> RedirectError:
        return RedirectError(redirect_uri, error, description, state)

    if params.get("response_type") != "code":
        raise refuse("unsupported_response_type", "Only response_type=code is supported.")
    scopes = parse_scopes(params.get("scope", ""))
    if scopes is None:
        raise refuse("invalid_scope", f"scope must list known scopes: {' '.join(ALL_SCOPES)}.")
    try:
        challenge = _code_challenge(client, params)
    except ValueError as problem:
        raise refuse("invalid_request", str(problem)) from None
    return AuthRequest(client, redirect_uri, scopes, state, challenge)


async def sign_in(session: AsyncSession, space_id: str, email: str, password: str) -> User | None:
    """The active user, guest or tax advisor of the space with these credentials, or None."""
    user = await session.scalar(
        select(User).where(
            User.space_id == space_id,
            func.lower(User.email) == email.strip().lower(),
            User.type.in_(SIGN_IN_TYPES),
        )
    )
    if user is None or user.password_hash is None:
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    space = await session.get_one(Space, space_id)
    return None if user.archived_on(local_today(utcnow(), space.timezone)) else user


async def active_user(session: AsyncSession, space_id: str, user_id: str) -> User | None:
    """The signed-in user again at consent time (they may have been archived meanwhile)."""
    user = await session.get(User, user_id)
    if user is None or user.space_id != space_id or user.type not in SIGN_IN_TYPES:
        return None
    space = await session.get_one(Space, space_id)
    return None if user.archived_on(local_today(utcnow(), space.timezone)) else user


async def grant_code(
    session: AsyncSession, request: AuthRequest, user: User, code_ttl_seconds: int
) -> str:
    """Records the approved grant and returns its authorization code (only the hash is kept)."""
    code = secrets.token_urlsafe(32)
    session.add(
        OAuthGrant(
            space_id=request.client.space_id,
            client_id=request.client.id,
            user_id=user.id,
            code_hash=hash_token(code),
            redirect_uri=request.redirect_uri,
            scopes=request.scopes,
            code_challenge=request.code_challenge,
            code_expires_at=utcnow() + timedelta(seconds=code_ttl_seconds),
        )
    )
    await session.flush()
    return code
