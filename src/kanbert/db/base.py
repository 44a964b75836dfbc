"""Declarative base, shared column types and mixins for every table."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, ForeignKey, MetaData, String, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, query_expression

from kanbert.kit.ids import new_id
from kanbert.kit.timefmt import utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC on every engine, always returned timezone-aware.

    Naive storage keeps SQLite (which has no time zones) and PostgreSQL comparing alike.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def id_column() -> Mapped[str]:
    return mapped_column(String(32), primary_key=True, default=new_id)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


class Archivable:
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SpaceOwned:
    """Every tenant row carries its space; the tenancy choke point filters on it."""

    @declared_attr
    def space_id(cls) -> Mapped[str]:
        return mapped_column(
            String(32), ForeignKey("spaces.id", ondelete="CASCADE"), nullable=False, index=True
        )


class ExternallyIdentified:
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    external_origin: Mapped[str | None] = mapped_column(String(255), nullable=True)


class WithTotals:
    """`computed_fields` of a row with tasks and efforts (projects, phases, milestones, epics):
    computed in SQL for the caller and filled only when included (`tasks/totals.py`); None
    otherwise."""

    @declared_attr
    def tasks_total(cls) -> Mapped[int | None]:
        return query_expression()

    @declared_attr
    def tasks_open(cls) -> Mapped[int | None]:
        return query_expression()

    @declared_attr
    def hours_logged(cls) -> Mapped[Decimal | None]:
        return query_expression()

    @declared_attr
    def hours_estimated(cls) -> Mapped[Decimal | int | None]:
        return query_expression()
