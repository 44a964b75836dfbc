"""The token endpoint's grants (RFC 6749 §4.1.3, §6; RFC 7636 §4.6) and revocation (RFC 7009)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.auth.models import ApiToken
from kanbert.auth.tokens import TOKEN_PREFIX, hash_token, issue_token
from kanbert.kit.timefmt import utcnow
from kanbert.oauth.authorize import parse_scopes
from kanbert.oauth.clients import secret_matches
from kanbert.oauth.errors import OAuthError, invalid_client, invalid_grant, invalid_request
from kanbert.oauth.models import OAuthAccessToken, OAuthClient, OAuthGrant, OAuthRefreshToken
from kanbert.settings import Settings
from kanbert.users.models import User

REFRESH_PREFIX = "kbr_"
VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 §4.1


@dataclass(frozen=True)
class Lifetimes:
    access_seconds: int
    refresh_days: int

    @classmethod
    def of(cls, settings: Settings) -> Lifetimes:
        return cls(settings.access_token_ttl_seconds, settings.refresh_token_ttl_days)


async def authenticate_client(
    session: AsyncSession, client_id: str | None, secret: str | None
) -> OAuthClient:
    """The client, or invalid_client: confidential clients must prove their secret."""
    if not client_id or len(client_id) > 32:
        raise invalid_client("client_id is missing or unknown.")
    client = await session.get(OAuthClient, client_id)
    if client is None:
        raise invalid_client("client_id is missing or unknown.")
    if not client.is_public and not secret_matches(client, secret):
        raise invalid_client("The client secret is missing or wrong.")
    return client


def pkce_matches(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return hmac.compare_digest(expected, challenge)


async def revoke_grant(session: AsyncSession, grant_id: str, now: datetime) -> None:
    """Revokes the grant and every access and refresh token ever issued from it."""
    await session.execute(
        update(OAuthGrant)
        .where(OAuthGrant.id == grant_id, OAuthGrant.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.execute(
        update(OAuthRefreshToken)
        .where(OAuthRefreshToken.grant_id == grant_id, OAuthRefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    issued = select(OAuthAccessToken.api_token_id).where(OAuthAccessToken.grant_id == grant_id)
    await session.execute(
        update(ApiToken)
        .where(ApiToken.id.in_(issued), ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


async def _issue(
    session: AsyncSession,
    client: OAuthClient,
    grant: OAuthGrant,
    scopes: list[str],
    refresh_scopes: list[str],
    lifetimes: Lifetimes,
) -> dict[str, Any]:
    """A new access token (an ApiToken of the user) and a new refresh token for the grant."""
    now = utcnow()
    user = await session.get_one(User, grant.user_id)
    token, access = await issue_token(session, user, f"OAuth: {client.name}", scopes)
    token.expires_at = now + timedelta(seconds=lifetimes.access_seconds)
    refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
    session.add(OAuthAccessToken(api_token_id=token.id, grant_id=grant.id))
    session.add(
        OAuthRefreshToken(
            space_id=grant.space_id,
            grant_id=grant.id,
            token_hash=hash_token(refresh),
            scopes=refresh_scopes,
            expires_at=now + timedelta(days=lifetimes.refresh_days),
        )
    )
    await session.flush()
    return {
        "token_type": "Bearer",
        "expires_in": lifetimes.access_seconds,
        "access_token": access,
        "refresh_token": refresh,
        "scope": " ".join(scopes),
    }


def _checked_verifier(grant: OAuthGrant, verifier: str | None) -> None:
    if grant.code_challenge is None:
        if verifier:
            raise invalid_grant("This code was issued without a code_challenge.")
        return
    if not verifier:
        raise invalid_request("code_verifier is required: the code was issued with PKCE.")
    if not VERIFIER.match(verifier) or not pkce_matches(verifier, grant.code_challenge):
        raise invalid_grant("The code_verifier does not match the code_challenge.")


async def _redeem(session: AsyncSession, grant: OAuthGrant, now: datetime) -> bool:
    """Marks the code used; False when it already was (also by a concurrent request)."""
    result = await session.execute(
        update(OAuthGrant)
        .where(OAuthGrant.id == grant.id, OAuthGrant.redeemed_at.is_(None))
        .values(redeemed_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def exchange_code(
    session: AsyncSession,
    client: OAuthClient,
    form: dict[str, str],
    lifetimes: Lifetimes,
) -> dict[str, Any]:
    """grant_type=authorization_code. Code reuse revokes every token issued from the code."""
    code, redirect_uri = form.get("code"), form.get("redirect_uri")
    if not code or not redirect_uri:
        raise invalid_request("code and redirect_uri are required.")
    grant = await session.scalar(select(OAuthGrant).where(OAuthGrant.code_hash == hash_token(code)))
    if grant is None or grant.client_id != client.id:
        raise invalid_grant("The authorization code is invalid.")
    now = utcnow()
    if grant.redeemed_at is not None or grant.revoked_at is not None:
        # RFC 6749 §4.1.2: a code used twice may be stolen; revoke what it gave.
        await revoke_grant(session, grant.id, now)
        raise invalid_grant("The authorization code was already used; its tokens are revoked.")
    if grant.code_expires_at <= now:
        raise invalid_grant("The authorization code has expired.")
    if redirect_uri != grant.redirect_uri:
        raise invalid_grant("redirect_uri does not match the authorization request.")
    _checked_verifier(grant, form.get("code_verifier"))
    if not await _redeem(session, grant, now):
        await revoke_grant(session, grant.id, now)
        raise invalid_grant("The authorization code was already used; its tokens are revoked.")
    return await _issue(session, client, grant, grant.scopes, grant.scopes, lifetimes)


def _narrowed(scope: str | None, granted: list[str]) -> list[str]:
    if scope is None:
        return granted
    wanted = parse_scopes(scope)
    if wanted is None or not set(wanted) <= set(granted):
        raise OAuthError("invalid_scope", "scope must be a subset of the granted scopes.")
    return wanted


async def refresh(
    session: AsyncSession,
    client: OAuthClient,
    form: dict[str, str],
    lifetimes: Lifetimes,
) -> dict[str, Any]:
    """grant_type=refresh_token, rotating: an old refresh token used again revokes the chain."""
    presented = form.get("refresh_token")
    if not presented:
        raise invalid_request("refresh_token is required.")
    found = (
        await session.execute(
            select(OAuthRefreshToken, OAuthGrant)
            .join(OAuthGrant, OAuthGrant.id == OAuthRefreshToken.grant_id)
            .where(OAuthRefreshToken.token_hash == hash_token(presented))
        )
    ).first()
    if found is None or found[1].client_id != client.id:
        raise invalid_grant("The refresh token is invalid.")
    token, grant = found
    now = utcnow()
    if token.revoked_at is not None or grant.revoked_at is not None:
        raise invalid_grant("The refresh token has been revoked.")
    if token.rotated_at is None and token.expires_at <= now:
        raise invalid_grant("The refresh token has expired.")
    scopes = _narrowed(form.get("scope"), token.scopes)
    if token.rotated_at is not None or not await _rotate(session, token, now):
        await revoke_grant(session, grant.id, now)
        raise invalid_grant("The refresh token was already used; the whole chain is revoked.")
    # RFC 6749 §6: the new refresh token keeps the scope of the one it replaces.
    return await _issue(session, client, grant, scopes, token.scopes, lifetimes)


async def _rotate(session: AsyncSession, token: OAuthRefreshToken, now: datetime) -> bool:
    result = await session.execute(
        update(OAuthRefreshToken)
        .where(OAuthRefreshToken.id == token.id, OAuthRefreshToken.rotated_at.is_(None))
        .values(rotated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def revoke(session: AsyncSession, client: OAuthClient, presented: str) -> None:
    """RFC 7009: revokes the client's own access or refresh token; anything else is ignored."""
    now = utcnow()
    digest = hash_token(presented)
    if presented.startswith(REFRESH_PREFIX):
        grant = await session.scalar(
            select(OAuthGrant)
            .join(OAuthRefreshToken, OAuthRefreshToken.grant_id == OAuthGrant.id)
            .where(OAuthRefreshToken.token_hash == digest)
        )
        if grant is not None and grant.client_id == client.id:
            # §2.1: revoking a refresh token also ends the access tokens of the same grant.
            await revoke_grant(session, grant.id, now)
    elif presented.startswith(TOKEN_PREFIX):
        issued = (
            select(ApiToken.id)
            .join(OAuthAccessToken, OAuthAccessToken.api_token_id == ApiToken.id)
            .join(OAuthGrant, OAuthGrant.id == OAuthAccessToken.grant_id)
            .where(ApiToken.token_hash == digest, OAuthGrant.client_id == client.id)
        )
        await session.execute(
            update(ApiToken)
            .where(ApiToken.id.in_(issued), ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
