"""Delivery workers: claim due deliveries, send them, record the outcome.

Any number of workers (the one embedded in `kanbert serve`, `kanbert worker` processes on any
machine) share one database. A worker claims rows with `FOR UPDATE SKIP LOCKED` (PostgreSQL;
SQLite serialises writers anyway) and holds them for a lease; a worker that dies loses its
lease and another one sends its deliveries again (at-least-once). Only the oldest pending
delivery of each (webhook, resource) can be claimed, so a later change never overtakes an
earlier one that is still being retried.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import orjson
from sqlalchemy import and_, case, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from kanbert.db.engine import begin_writing
from kanbert.kit.ids import new_id
from kanbert.kit.timefmt import utcnow
from kanbert.settings import Settings
from kanbert.users.models import User
from kanbert.webhooks.models import (
    DeliveryStatus,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from kanbert.webhooks.sender import Outcome, new_client, send
from kanbert.webhooks.signing import signed_headers

log = logging.getLogger("kanbert.webhooks")

BATCH_SIZE = 50
# Outcomes recorded at once by one worker. A batch is sent concurrently, but each outcome is a
# short transaction: a session per send would hold up to a batch's worth of database
# connections, and a few workers would exhaust the server's (PostgreSQL's default is 100).
RECORDING_CONCURRENCY = 2


@dataclass(frozen=True)
class Claim:
    """What sending needs, read while claiming so no session is held during HTTP."""

    seq: int
    delivery_id: str
    webhook_id: str
    url: str
    keys: list[str]
    tries: int
    attempts: int
    body: bytes


def claim_of(delivery: WebhookDelivery, webhook: Webhook, now: datetime) -> Claim:
    return Claim(
        seq=delivery.seq,
        delivery_id=delivery.id,
        webhook_id=webhook.id,
        url=webhook.url,
        keys=webhook.secrets_at(now),
        tries=webhook.tries,
        attempts=delivery.attempts,
        body=orjson.dumps(delivery.payload()),
    )


async def attempt(client: httpx.AsyncClient, settings: Settings, claim: Claim) -> Outcome:
    headers = signed_headers(claim.body, claim.delivery_id, int(time.time()), claim.keys)
    return await send(
        client,
        claim.url,
        claim.body,
        headers,
        settings.webhook_timeout_seconds,
        settings.webhook_allow_private_targets,
    )


def add_attempt(
    session: AsyncSession, claim: Claim, outcome: Outcome, worker: str, at: datetime
) -> WebhookAttempt:
    row = WebhookAttempt(
        delivery_seq=claim.seq,
        attempted_at=at,
        response_status=outcome.status,
        response_body=outcome.body,
        duration_ms=outcome.duration_ms,
        error=outcome.error,
        worker=worker,
    )
    session.add(row)
    return row


def backoff_seconds(settings: Settings, attempts_made: int, asked: float | None) -> float:
    """Wait before the next try: base^n after the n-th failed attempt, or longer if asked."""
    wait = settings.webhook_backoff_base_seconds**attempts_made
    return max(wait, asked or 0.0)


async def record_outcome(
    session: AsyncSession, settings: Settings, claim: Claim, outcome: Outcome, worker: str
) -> None:
    """The attempt, the delivery's next state and the webhook's health, in one transaction."""
    now = utcnow()
    add_attempt(session, claim, outcome, worker, now)
    made = claim.attempts + 1  # decides retry or failure; the count itself is kept in SQL
    # The delivery changes only while this worker still holds it (its lease may have run out);
    # either way it is released, with one more attempt counted.
    # A delivery settled meanwhile (a redelivery that succeeded) stays settled.
    mine = and_(
        WebhookDelivery.seq == claim.seq,
        WebhookDelivery.claimed_by == worker,
        WebhookDelivery.status == DeliveryStatus.pending,
    )
    released = (
        update(WebhookDelivery)
        .where(mine)
        .values(attempts=WebhookDelivery.attempts + 1, claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    webhook = (
        update(Webhook)
        .where(Webhook.id == claim.webhook_id)
        .execution_options(synchronize_session=False)
    )
    if outcome.succeeded:
        await session.execute(released.values(status=DeliveryStatus.succeeded, completed_at=now))
        await session.execute(webhook.values(last_success_at=now, consecutive_failures=0))
        return
    if made < claim.tries:
        wait = backoff_seconds(settings, made, outcome.retry_after)
        await session.execute(released.values(due_at=now + timedelta(seconds=wait)))
        await session.execute(webhook.values(last_failure_at=now))
        return
    await session.execute(released.values(status=DeliveryStatus.failed, completed_at=now))
    limit = settings.webhook_disable_after_failures
    failures = Webhook.consecutive_failures + 1
    await session.execute(
        webhook.values(
            last_failure_at=now,
            consecutive_failures=failures,
            is_active=case((failures >= limit, False), else_=Webhook.is_active),
            disabled_reason=case(
                (failures >= limit, f"Disabled after {limit} consecutive failed deliveries."),
                else_=Webhook.disabled_reason,
            ),
        )
    )


class Worker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        name: str | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        # Recorded in 64-character columns (claimed_by, attempts' worker): a long host name is
        # cut so the pid and the random part, which tell workers apart, always fit.
        self.name = name or f"{socket.gethostname()[:48]}:{os.getpid()}:{new_id()[:6]}"
        self.batch_size = batch_size
        self._recording = asyncio.Semaphore(RECORDING_CONCURRENCY)

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; a failing database is retried, never fatal."""
        async with new_client(self.settings.webhook_timeout_seconds) as client:
            while not stop.is_set():
                try:
                    sent = await self.run_once(client)
                except Exception:
                    log.exception("webhook worker %s: a round failed", self.name)
                    sent = 0
                if sent == 0:
                    with suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self.settings.webhook_poll_seconds)

    async def run_once(self, client: httpx.AsyncClient) -> int:
        """Claim one batch of due deliveries, send them concurrently, record each outcome."""
        claims = await self.claim()
        results = await asyncio.gather(
            *(self._deliver(client, claim) for claim in claims), return_exceptions=True
        )
        for claim, result in zip(claims, results, strict=True):
            if isinstance(result, Exception):
                # One delivery's failure to record (e.g. a database blip) must not stop the
                # others'; it stays claimed and is sent again when its lease runs out.
                log.error(
                    "webhook worker %s: the outcome of delivery %s was not recorded",
                    self.name,
                    claim.delivery_id,
                    exc_info=result,
                )
            elif isinstance(result, BaseException):
                raise result
        return len(claims)

    async def claim(self) -> list[Claim]:
        now = utcnow()
        # An idle worker only reads: taking SQLite's write lock on every poll would make other
        # processes' read-then-write transactions fail to upgrade ("database is locked").
        async with self.sessionmaker() as session, session.begin():
            if await session.scalar(select(_claimable(now, 1, lock=False).exists())) is not True:
                return []
        async with self.sessionmaker() as session, session.begin():
            await begin_writing(session)
            seqs = list((await session.scalars(_claimable(now, self.batch_size))).all())
            if not seqs:
                return []
            lease = now + timedelta(seconds=self.settings.webhook_lease_seconds)
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.seq.in_(seqs))
                .values(claimed_by=self.name, claimed_until=lease)
                .execution_options(synchronize_session=False)
            )
            rows = await session.execute(
                select(WebhookDelivery, Webhook)
                .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                .where(WebhookDelivery.seq.in_(seqs))
                .order_by(WebhookDelivery.seq)
            )
            return [claim_of(delivery, webhook, now) for delivery, webhook in rows.tuples()]

    async def _deliver(self, client: httpx.AsyncClient, claim: Claim) -> None:
        outcome = await attempt(client, self.settings, claim)
        async with self._recording, self.sessionmaker() as session, session.begin():
            await begin_writing(session)
            await record_outcome(session, self.settings, claim, outcome, self.name)


def _claimable(now: datetime, limit: int, lock: bool = True):  # type: ignore[no-untyped-def]
    """Due, unclaimed (or lease run out) deliveries of active webhooks that are first in line
    for their (webhook, resource)."""
    earlier = aliased(WebhookDelivery)
    ahead = exists().where(
        earlier.webhook_id == WebhookDelivery.webhook_id,
        earlier.resource_type == WebhookDelivery.resource_type,
        earlier.resource_id == WebhookDelivery.resource_id,
        earlier.status == DeliveryStatus.pending,
        earlier.seq < WebhookDelivery.seq,
    )
    query = (
        select(WebhookDelivery.seq)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .join(User, User.id == Webhook.owner_id)
        .where(
            # What an archived integration still had pending is not sent either.
            ~User.archived_on(now.date()),
            WebhookDelivery.status == DeliveryStatus.pending,
            WebhookDelivery.due_at <= now,
            (WebhookDelivery.claimed_until.is_(None)) | (WebhookDelivery.claimed_until < now),
            Webhook.is_active,
            ~ahead,
        )
        .order_by(WebhookDelivery.due_at, WebhookDelivery.seq)
        .limit(limit)
    )
    return query.with_for_update(of=WebhookDelivery, skip_locked=True) if lock else query


async def deliver_now(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    delivery_seq: int,
    one_shot: bool,
) -> tuple[WebhookDelivery, WebhookAttempt]:
    """An attempt made at a client's request (ping, redeliver), sent while no transaction is
    open (a slow receiver must not hold the database's write lock) and recorded after.

    A success settles the delivery; a failure settles it only when `one_shot` (a ping is
    never retried) — a redelivery that fails leaves the delivery as it was.
    """
    now = utcnow()
    async with sessionmaker() as session, session.begin():
        delivery = await session.get_one(WebhookDelivery, delivery_seq)
        claim = claim_of(delivery, await session.get_one(Webhook, delivery.webhook_id), now)
    async with new_client(settings.webhook_timeout_seconds) as client:
        outcome = await attempt(client, settings, claim)
    async with sessionmaker() as session, session.begin():
        await begin_writing(session)
        row = add_attempt(session, claim, outcome, "api", now)
        settled: dict[str, object] = {}
        if outcome.succeeded or one_shot:
            status = DeliveryStatus.succeeded if outcome.succeeded else DeliveryStatus.failed
            settled = {"status": status, "completed_at": now}
        # Counted in SQL: a worker may be recording an attempt of the same delivery right now.
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.seq == delivery_seq)
            .values(attempts=WebhookDelivery.attempts + 1, **settled)
            .execution_options(synchronize_session=False)
        )
        health = {"last_success_at" if outcome.succeeded else "last_failure_at": now}
        await session.execute(
            update(Webhook)
            .where(Webhook.id == claim.webhook_id)
            .values(**health)
            .execution_options(synchronize_session=False)
        )
        await session.flush()
        delivery = await session.get_one(WebhookDelivery, delivery_seq, populate_existing=True)
    return delivery, row


@asynccontextmanager
async def embedded_worker(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[None]:
    """Run a worker beside the API for as long as the app lives (unless turned off)."""
    if not settings.embedded_worker:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(Worker(sessionmaker, settings).run(stop))
    try:
        yield
    finally:
        stop.set()
        await task
