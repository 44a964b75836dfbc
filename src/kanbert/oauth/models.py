"""OAuth clients, grants (one per authorization code), refresh tokens, access-token links.

An access token is an ordinary `ApiToken` of the signed-in user holding the granted scopes and
an expiry, so authentication and visibility work exactly as for personal tokens. The grant is
the root of a token chain: revoking it (code reuse, refresh-token reuse) revokes everything
issued from it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kanbert.db.base import Base, SpaceOwned, UTCDateTime, id_column
from kanbert.kit.timefmt import utcnow


class OAuthClient(SpaceOwned, Base):
    """A third-party app; `id` is its public client_id. Public clients have no secret."""

    __tablename__ = "oauth_clients"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    secret_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    @property
    def is_public(self) -> bool:
        return self.secret_hash is None


class OAuthGrant(SpaceOwned, Base):
    """One approved authorization: its code (hashed, single use) and the tokens issued from it."""

    __tablename__ = "oauth_grants"

    id: Mapped[str] = id_column()
    client_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("oauth_clients.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    redirect_uri: Mapped[str] = mapped_column(String(2000), nullable=False)
    scopes: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    code_challenge: Mapped[str | None] = mapped_column(String(128), nullable=True)
    code_expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    client: Mapped[OAuthClient] = relationship(lazy="raise")


class OAuthRefreshToken(SpaceOwned, Base):
    """A rotating refresh token: used once (`rotated_at`), then replaced by a new one."""

    __tablename__ = "oauth_refresh_tokens"

    id: Mapped[str] = id_column()
    grant_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("oauth_grants.id", ondelete="CASCADE"), nullable=False, index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    grant: Mapped[OAuthGrant] = relationship(lazy="raise")


class OAuthAccessToken(Base):
    """Links an `ApiToken` issued as an OAuth access token to the grant it came from."""

    __tablename__ = "oauth_access_tokens"

    api_token_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True
    )
    grant_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("oauth_grants.id", ondelete="CASCADE"), nullable=False, index=True
    )
