from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kanbert.db.base import Base, SpaceOwned, UTCDateTime, id_column
from kanbert.kit.timefmt import utcnow


class StoredFile(SpaceOwned, Base):
    """An uploaded file's metadata; its bytes live in storage under the file's id."""

    __tablename__ = "files"
    __table_args__ = (Index("ix_files_space_entity", "space_id", "entity_type", "entity_id"),)

    id: Mapped[str] = id_column()
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    mime_type: Mapped[str] = mapped_column(String(255), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # Polymorphic owner (task, comment, project, client, company, contact, user): no foreign
    # key; the entity registry resolves and checks it on every access.
    entity_type: Mapped[str] = mapped_column(String(32), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(32), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
