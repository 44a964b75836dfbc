"""Token writes: issuing integration and personal access tokens, and revoking them.

Who may do what (auth.md §1, issue 7):
- an owner may issue tokens for any integration of the space (created when missing) and
  personal access tokens for themself, and revoke any token of the space;
- every other caller — user, guest, tax advisor, integration — may issue tokens acting as
  themself only and revoke only those. In particular an integration cannot issue tokens for
  another integration: that would let one app mint credentials for another.
- No token ever gets a scope the token creating it lacks.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from kanbert.auth.models import ApiToken
from kanbert.auth.tokens import check_scopes, integration_user, issue_token
from kanbert.kit.context import Caller
from kanbert.kit.errors import conflict, forbidden, invalid_field
from kanbert.kit.records import flush_or_conflict
from kanbert.oauth.models import OAuthAccessToken
from kanbert.tokens.schemas import TokenCreate
from kanbert.users.models import User, UserType, local_today


async def create_token(
    session: AsyncSession, caller: Caller, body: TokenCreate
) -> tuple[ApiToken, str]:
    """A new token and its secret (returned once, never stored)."""
    await _not_through_oauth(session, caller)
    scopes = _grantable_scopes(caller, body.scopes)
    if body.integration is None:
        holder: User = caller.user
    else:
        holder = await _integration(session, caller, body.integration)
    token, secret = await issue_token(session, holder, body.name, scopes, body.expires_in_days)
    # UserData renders the user with its space: the caller's user has it loaded already.
    set_committed_value(token, "user", holder)
    if holder.id != caller.user_id:
        set_committed_value(holder, "space", caller.user.space)
    return token, secret


async def _not_through_oauth(session: AsyncSession, caller: Caller) -> None:
    """An app acting for a user through OAuth may not mint the user a token that outlives the
    grant: it would escape the grant's expiry and revocation."""
    if await session.get(OAuthAccessToken, caller.token_id) is not None:
        raise forbidden("Tokens cannot be created with an OAuth access token.")


def _grantable_scopes(caller: Caller, wanted: list[str]) -> list[str]:
    try:
        scopes = check_scopes(wanted)
    except ValueError as problem:
        raise invalid_field("scopes", f"{str(problem).capitalize()}.") from None
    beyond = [scope for scope in scopes if scope not in caller.scopes]
    if beyond:
        raise invalid_field(
            "scopes",
            "A token cannot grant scopes the token creating it lacks: " + ", ".join(beyond) + ".",
        )
    return scopes


async def _integration(session: AsyncSession, caller: Caller, name: str) -> User:
    if not caller.is_owner:
        raise forbidden("Only an owner of the space may create tokens for an integration.")
    try:
        user = await integration_user(session, caller.space_id, name)
    except IntegrityError:
        # Another request created it meanwhile, or its generated e-mail is taken.
        raise conflict(f"The integration '{name}' could not be created; retry.") from None
    # The name's slug may belong to a person (users may have slugs too): never issue them a
    # token under the cover of an integration.
    if user.type is not UserType.integration:
        raise invalid_field("integration", f"'{name}' names a user who is not an integration.")
    if user.archived_on(local_today(caller.now, caller.timezone)):
        raise invalid_field("integration", f"The integration '{name}' is archived.")
    return user


async def revoke_token(session: AsyncSession, token: ApiToken, caller: Caller) -> None:
    """Revokes for good; revoking again keeps the first revocation time (DELETE is idempotent)."""
    if token.revoked_at is None:
        token.revoked_at = caller.now
        await flush_or_conflict(session)
