from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from kanbert.kit.schemas import RequestBody

ClientName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class OAuthClientCreate(RequestBody):
    name: ClientName
    redirect_uris: list[str] = Field(min_length=1, max_length=20)
    public: bool = False  # public clients have no secret and must use PKCE


class OAuthClientData(BaseModel):
    client_id: str
    name: str
    redirect_uris: list[str]
    public: bool
    client_secret: str | None  # shown once, at creation
    created_at: str


class OAuthClientEnvelope(BaseModel):
    data: OAuthClientData
