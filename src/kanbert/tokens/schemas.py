"""Token request bodies and response shapes (auth.md §1)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from kanbert.kit.schemas import RequestBody
from kanbert.users.schemas import UserData

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Scope = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class TokenCreate(RequestBody):
    name: Name
    # At least one: a token without scopes could call nothing.
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=64)]
    expires_in_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    # The integration's name: an integration token for it (owners only, the integration is
    # created when missing); without it, a personal access token for the caller.
    integration: Name | None = None


class TokenData(BaseModel):
    id: str
    name: str
    scopes: list[str]
    user: UserData
    created_at: str
    expires_at: str | None
    revoked_at: str | None


class CreatedTokenData(TokenData):
    token: str  # the secret: shown in this answer only
