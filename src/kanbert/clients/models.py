from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kanbert.db.base import (
    Archivable,
    Base,
    ExternallyIdentified,
    SpaceOwned,
    Timestamped,
    UTCDateTime,
    id_column,
)
from kanbert.kit.timefmt import utcnow
from kanbert.spaces.models import Space
from kanbert.users.models import User, enum_column


class ClientSegment(enum.StrEnum):
    A = "A"
    B = "B"
    C = "C"


class Client(SpaceOwned, ExternallyIdentified, Timestamped, Archivable, Base):
    __tablename__ = "clients"
    __table_args__ = (
        Index("uq_clients_space_shortcode", "space_id", text("lower(shortcode)"), unique=True),
        Index("uq_clients_external", "space_id", "external_origin", "external_id", unique=True),
        Index("ix_clients_space_name", "space_id", "name", "id"),
        Index("ix_clients_space_shortcode_sort", "space_id", "shortcode", "id"),
        Index("ix_clients_space_created_at", "space_id", "created_at", "id"),
    )

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    shortcode: Mapped[str] = mapped_column(String(64), nullable=False)
    segment: Mapped[ClientSegment] = mapped_column(
        enum_column(ClientSegment, "client_segment"), nullable=False, default=ClientSegment.B
    )
    primary_contact_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )

    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)

    primary_contact: Mapped[User | None] = relationship(lazy="raise")
    space: Mapped[Space] = relationship(lazy="raise")


class ClientShare(Base):
    """A client of one space made visible, read-only, in another space."""

    __tablename__ = "client_shares"
    __table_args__ = (UniqueConstraint("client_id", "space_id"),)

    id: Mapped[str] = id_column()
    client_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("clients.id", ondelete="CASCADE"), nullable=False, index=True
    )
    space_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("spaces.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
