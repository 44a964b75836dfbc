"""Bearer-token authentication and per-operation scopes, as FastAPI dependencies."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from kanbert.auth.models import ApiToken
from kanbert.auth.tokens import TOKEN_PREFIX, hash_token
from kanbert.db.session import Session
from kanbert.kit.context import Caller
from kanbert.kit.errors import missing_scope, unauthenticated
from kanbert.kit.timefmt import utcnow
from kanbert.spaces.models import Space
from kanbert.users.models import User, UserType, local_today
from kanbert.webhooks.capture import CALLER_KEY


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise unauthenticated()
    return token


async def authenticate(request: Request, session: Session) -> Caller:
    """The caller a request's bearer token acts for, or a 401."""
    # Tokens are looked up by their SHA-256: equal hashes need no constant-time comparison,
    # and the secret itself is never compared or stored.
    query = (
        select(ApiToken, User, Space)
        .join(User, User.id == ApiToken.user_id)
        .join(Space, Space.id == ApiToken.space_id)
        .where(ApiToken.token_hash == hash_token(_bearer(request)))
    )
    found = (await session.execute(query)).first()
    if found is None:
        raise unauthenticated()
    token, user, space = found
    set_committed_value(user, "space", space)  # UserData renders the space without a query
    now = utcnow()
    if token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        raise unauthenticated()
    # An archived user's tokens stop working, also once the leave date has come (in the
    # space's time zone): `archived_on` is the one rule lists and includes use as well.
    if user.archived_on(local_today(now, space.timezone)):
        raise unauthenticated()
    caller = Caller(
        space_id=space.id,
        user_id=user.id,
        user_type=user.type.value,
        is_owner=user.is_owner,
        scopes=frozenset(token.scopes),
        origin=user.slug if user.type is UserType.integration and user.slug else "kanbert",
        token_id=token.id,
        timezone=space.timezone,
        custom_fields_version=space.custom_fields_version,
        user=user,
        now=now,
    )
    request.state.caller = caller
    session.info[CALLER_KEY] = caller  # whom the outbox names as the author of changes
    return caller


CurrentCaller = Annotated[Caller, Depends(authenticate)]


async def authenticate_briefly(request: Request) -> Caller:
    """The caller, authenticated in a short transaction of its own: for endpoints that must
    not hold the request's transaction while they stream or call out (uploads, ping)."""
    async with request.app.state.sessionmaker() as session, session.begin():
        return await authenticate(request, session)


def check_scopes(caller: Caller, scopes: tuple[str, ...]) -> None:
    for scope in scopes:
        if scope not in caller.scopes:
            raise missing_scope(scope)


def requires(*scopes: str) -> dict[str, Any]:
    """Route keyword arguments enforcing `scopes` and documenting them in the OpenAPI."""

    async def check(caller: CurrentCaller) -> None:
        check_scopes(caller, scopes)

    return {
        "dependencies": [Depends(check)],
        "openapi_extra": {
            "x-required-scopes": list(scopes),
            "security": [{"bearerAuth": list(scopes)}],
        },
    }
