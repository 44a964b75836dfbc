from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kanbert.db.base import Base, Timestamped, id_column


class Space(Timestamped, Base):
    __tablename__ = "spaces"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default="UTC")
    locale: Mapped[str] = mapped_column(String(16), nullable=False, default="en")
    # Counts changes to the space's custom field definitions: the token lookup reads it with
    # the space, so each process can keep the definitions between requests and still notice
    # another process's change (custom_fields/values.py).
    custom_fields_version: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
