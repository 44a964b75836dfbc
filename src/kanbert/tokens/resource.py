"""Tokens as a resource: rendering (TokenData), who sees which tokens, and the `/tokens` list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from kanbert.auth.models import ApiToken
from kanbert.kit.context import Caller
from kanbert.kit.query.fields import Field, FilterSpec, Kind
from kanbert.kit.resource import IncludeTree, Listing, Resource, by_column
from kanbert.kit.timefmt import format_datetime
from kanbert.users.resource import user_data, with_space


def token_data(token: ApiToken, _tree: IncludeTree, _caller: Caller) -> dict[str, Any]:
    """TokenData: never the secret nor its hash; `token.user.space` must be loaded."""
    return {
        "id": token.id,
        "name": token.name,
        "scopes": list(token.scopes),
        "user": user_data(token.user),
        "created_at": format_datetime(token.created_at),
        "expires_at": format_datetime(token.expires_at),
        "revoked_at": format_datetime(token.revoked_at),
    }


def _visible(caller: Caller) -> ColumnElement[bool] | None:
    # Owners manage every token of the space; everyone else (integrations included) only the
    # tokens acting as themselves. Others' tokens are 404s and absent from the list.
    if caller.is_owner:
        return None
    return ApiToken.user_id == caller.user_id


tokens = Resource(
    name="tokens",
    model=ApiToken,
    render=token_data,
    eager=lambda: (with_space(ApiToken.user),),
    visible=_visible,
    lookups={"id": by_column(ApiToken.id)},
)

_name = Field(Kind.string, ApiToken.name)
_created_at = Field(Kind.datetime, ApiToken.created_at)

token_listing = Listing(
    resource=tokens,
    key="tokens",
    filters=FilterSpec(
        fields={
            "name": _name,
            "user.id": Field(Kind.id, ApiToken.user_id),
            "revoked": Field(Kind.boolean, lambda: ApiToken.revoked_at.is_not(None)),
            "created_at": _created_at,
        }
    ),
    sorts={"created_at": _created_at, "name": _name},
    default_sort=("created_at",),
)
