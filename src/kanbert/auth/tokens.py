"""Integration and personal tokens: `kbt_` + 256 random bits, only the SHA-256 kept."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.auth.models import ApiToken
from kanbert.auth.scopes import ALL_SCOPES
from kanbert.kit.timefmt import utcnow
from kanbert.users.models import User, UserType

TOKEN_PREFIX = "kbt_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "integration"


def check_scopes(scopes: list[str]) -> list[str]:
    unknown = [scope for scope in scopes if scope not in ALL_SCOPES]
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(unknown)}; known: {', '.join(ALL_SCOPES)}")
    return sorted(set(scopes), key=ALL_SCOPES.index)


async def issue_token(
    session: AsyncSession,
    user: User,
    name: str,
    scopes: list[str],
    expires_in_days: int | None = None,
) -> tuple[ApiToken, str]:
    """A new token for `user`; the secret is returned once and never stored."""
    secret = new_token_secret()
    token = ApiToken(
        space_id=user.space_id,
        user_id=user.id,
        name=name,
        token_hash=hash_token(secret),
        scopes=check_scopes(scopes),
        expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(token)
    await session.flush()
    return token, secret


async def integration_user(session: AsyncSession, space_id: str, name: str) -> User:
    """The integration user of that name in the space, created when missing."""
    slug = slugify(name)
    found = await session.scalar(select(User).where(User.space_id == space_id, User.slug == slug))
    if found is not None:
        return found
    user = User(
        space_id=space_id,
        type=UserType.integration,
        first_name=name,
        last_name="(integration)",
        email=f"{slug}@integrations.invalid",
        slug=slug,
    )
    session.add(user)
    await session.flush()
    return user
