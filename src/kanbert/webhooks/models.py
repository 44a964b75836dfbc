"""Webhooks, the outbox of events, deliveries and their attempts.

An event row is written in the transaction of the change that causes it (the outbox), and so
is every delivery it fans out to: a rolled-back change leaves nothing, a committed one is
always found by a worker. A delivery is the unit the receiver sees (one `id`, stable across
retries and redelivery); debouncing merges several events into one pending delivery.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kanbert.db.base import Base, SpaceOwned, Timestamped, UTCDateTime, id_column
from kanbert.kit.ids import new_id
from kanbert.kit.timefmt import format_datetime, utcnow

# SQLite numbers rows itself only for an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
Sequence_ = BigInteger().with_variant(Integer(), "sqlite")


class DeliveryStatus(enum.StrEnum):
    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"


class Webhook(SpaceOwned, Timestamped, Base):
    __tablename__ = "webhooks"

    id: Mapped[str] = id_column()
    owner_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    url: Mapped[str] = mapped_column(String(2000), nullable=False)
    events: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    project_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("projects.id", ondelete="CASCADE"), nullable=True, index=True
    )
    client_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("clients.id", ondelete="CASCADE"), nullable=True, index=True
    )
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    tries: Mapped[int] = mapped_column(Integer, nullable=False, default=3)
    secret: Mapped[str] = mapped_column(String(255), nullable=False)
    # While a rotation is young, deliveries carry a second signature made with the old secret.
    previous_secret: Mapped[str | None] = mapped_column(String(255), nullable=True)
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    disabled_reason: Mapped[str | None] = mapped_column(String(255), nullable=True)

    project: Mapped[Any] = relationship("Project", lazy="raise")
    client: Mapped[Any] = relationship("Client", lazy="raise")

    def secrets_at(self, moment: datetime) -> list[str]:
        """The secrets a delivery made at `moment` is signed with: new first, then old."""
        keys = [self.secret]
        if (
            self.previous_secret
            and self.previous_secret_until
            and moment < self.previous_secret_until
        ):
            keys.append(self.previous_secret)
        return keys


class WebhookEvent(Base):
    """The outbox: one row per change of a watched resource, written with the change."""

    __tablename__ = "webhook_events"

    seq: Mapped[int] = mapped_column(Sequence_, primary_key=True, autoincrement=True)
    space_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("spaces.id", ondelete="CASCADE"), nullable=False, index=True
    )
    event: Mapped[str] = mapped_column(String(40), nullable=False)  # e.g. "task:update"
    resource_type: Mapped[str] = mapped_column(String(20), nullable=False)
    resource_id: Mapped[str] = mapped_column(String(32), nullable=False)
    project_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    client_ids: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    actor_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    triggered_by: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class WebhookDelivery(Base):
    """What one receiver gets for one (debounced) change; `id` is the public delivery id."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # The worker's claim: due, pending deliveries in time order.
        Index("ix_webhook_deliveries_due", "status", "due_at"),
        # Order per (webhook, resource): nothing is sent while an earlier one is pending.
        Index("ix_webhook_deliveries_chain", "webhook_id", "resource_type", "resource_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(Sequence_, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(32), nullable=False, unique=True, default=new_id)
    webhook_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False
    )
    event: Mapped[str] = mapped_column(String(40), nullable=False)
    resource_type: Mapped[str] = mapped_column(String(20), nullable=False)
    resource_id: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=20),
        nullable=False,
        default=DeliveryStatus.pending,
    )
    triggered_by: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # The debounce window: opened by the first change, closed at `due_at` (never later than
    # `window_started_at` + the cap); later the time of the next attempt.
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A worker's lease: another worker may take the delivery over once it has run out.
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    webhook: Mapped[Webhook] = relationship(lazy="raise")
    attempt_log: Mapped[list[WebhookAttempt]] = relationship(
        lazy="raise", order_by="WebhookAttempt.seq", passive_deletes=True
    )

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "event": self.event,
            "resource": {"type": self.resource_type, "id": self.resource_id},
            "triggered_by": self.triggered_by,
            "occurred_at": format_datetime(self.occurred_at),
            "data": self.data,
        }
        if self.changes is not None:
            body["changes"] = self.changes
        return body


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    seq: Mapped[int] = mapped_column(Sequence_, primary_key=True, autoincrement=True)
    delivery_seq: Mapped[int] = mapped_column(
        Sequence_,
        ForeignKey("webhook_deliveries.seq", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    worker: Mapped[str | None] = mapped_column(String(64), nullable=True)
