"""The outbox: what a transaction changed becomes event rows and (debounced) deliveries,
written in that same transaction just before it commits."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.kit.context import Caller
from kanbert.kit.timefmt import utcnow
from kanbert.settings import Settings
from kanbert.users.models import User, local_today
from kanbert.users.resource import user_data
from kanbert.webhooks.capture import CALLER_KEY, Action, Change, take_changes
from kanbert.webhooks.debounce import Outcome, coalesce, meet, merge_changes
from kanbert.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery, WebhookEvent
from kanbert.webhooks.sources import Scope, snapshots

# Which resources a webhook receives, by its scope (webhooks.md §3).
SPACE_WIDE = frozenset({"client", "company", "contact", "project", "effort"})
CLIENT_SCOPED = frozenset({"client", "company", "contact", "project", "effort"})
PROJECT_SCOPED = frozenset({"project", "task", "comment", "effort", "file"})


LISTENERS_KEY = "kanbert_webhook_listeners"


def subscribed(webhook: Webhook, kind: str, event_name: str) -> bool:
    return event_name in webhook.events or f"{kind}:*" in webhook.events


def in_scope(webhook: Webhook, kind: str, scope: Scope) -> bool:
    if webhook.project_id is not None:
        return kind in PROJECT_SCOPED and scope.project_id == webhook.project_id
    if webhook.client_id is not None:
        return kind in CLIENT_SCOPED and webhook.client_id in scope.client_ids
    return kind in SPACE_WIDE


def former_scope(change: Change) -> Scope | None:
    """Where a moved record (a task to another project, a project to another client) was
    before this change: webhooks there receive the update too, so they learn it left."""
    moved = {
        name: change.changes[name]["from"]
        for name in ("project_id", "client_id")
        if name in change.changes
    }
    if not moved:
        return None
    client_id = moved.get("client_id")
    return Scope(moved.get("project_id"), (client_id,) if client_id else ())


async def listeners(session: AsyncSession, caller: Caller) -> list[Webhook]:
    """The webhooks that may receive this space's changes: active, of an integration that is
    not archived (its token no longer works, so neither does its webhook). Read once per
    transaction."""
    cached: list[Webhook] | None = session.info.get(LISTENERS_KEY)
    if cached is None:
        today = local_today(utcnow(), caller.timezone)
        query = (
            select(Webhook)
            .join(User, User.id == Webhook.owner_id)
            .where(Webhook.space_id == caller.space_id, Webhook.is_active)
            .where(~User.archived_on(today))
        )
        cached = list((await session.scalars(query)).all())
        session.info[LISTENERS_KEY] = cached
    return cached


async def publish(session: AsyncSession, settings: Settings) -> None:
    """Write the events of everything this transaction changed, and their deliveries."""
    if not session.info.get(CALLER_KEY):
        return
    await session.flush()
    changes = coalesce(take_changes(session))
    if not changes:
        return
    caller = session.info[CALLER_KEY]
    webhooks = await listeners(session, caller)
    # Without a listener the outbox still records every change, but renders nothing.
    rendered = await _render_latest(session, changes) if webhooks else {}
    triggered_by = user_data(caller.user) if caller.user is not None else None
    now = utcnow()
    for change in changes:
        if change.action is Action.force_delete:
            data, scope = change.snapshot, change.scope or Scope()
        else:
            found = rendered.get(change.resource_type, {})
            data, scope = found.get(change.resource_id, (None, Scope()))
        name = f"{change.resource_type}:{change.action.value}"
        session.add(
            WebhookEvent(
                space_id=caller.space_id,
                event=name,
                resource_type=change.resource_type,
                resource_id=change.resource_id,
                project_id=scope.project_id,
                client_ids=list(scope.client_ids),
                actor_id=caller.user_id,
                triggered_by=triggered_by,
                occurred_at=now,
                data=data,
                changes=change.changes if change.action is Action.update else None,
            )
        )
        former = former_scope(change)
        for webhook in webhooks:
            kind = change.resource_type
            if in_scope(webhook, kind, scope) or (
                former is not None and in_scope(webhook, kind, former)
            ):
                # A change the webhook did not subscribe to still merges into (or cancels) its
                # open delivery of the resource: the debounce rules hold whatever the filter.
                may_append = subscribed(webhook, kind, name)
                await _enqueue(
                    session, settings, webhook, change, data, triggered_by, now, may_append
                )


async def _render_latest(
    session: AsyncSession, changes: list[Change]
) -> dict[str, dict[str, tuple[dict[str, Any] | None, Scope]]]:
    """Each changed resource rendered once, as it is now (the latest state)."""
    wanted: dict[str, list[str]] = defaultdict(list)
    for change in changes:
        if (
            change.action is not Action.force_delete
            and change.resource_id not in wanted[change.resource_type]
        ):
            wanted[change.resource_type].append(change.resource_id)
    return {kind: await snapshots(session, kind, ids) for kind, ids in wanted.items()}


async def _enqueue(
    session: AsyncSession,
    settings: Settings,
    webhook: Webhook,
    change: Change,
    data: dict[str, Any] | None,
    triggered_by: dict[str, Any] | None,
    now: datetime,
    may_append: bool,
) -> None:
    window = timedelta(seconds=settings.webhook_debounce_seconds)
    cap = timedelta(seconds=settings.webhook_debounce_max_seconds)
    latest = await _latest_open(session, webhook.id, change, now)
    outcome = (
        Outcome.append
        if latest is None
        else meet(Action(latest.event.split(":", 1)[1]), change.action)
    )
    if latest is not None and outcome is Outcome.cancel:
        await session.delete(latest)
        return
    if latest is not None and outcome is Outcome.merge:
        latest.data = data
        latest.triggered_by = triggered_by
        latest.occurred_at = now
        if latest.changes is not None:
            latest.changes = merge_changes(latest.changes, change.changes)
        latest.due_at = min(now + window, latest.window_started_at + cap)
        return
    if not may_append:
        return
    session.add(
        WebhookDelivery(
            webhook_id=webhook.id,
            event=f"{change.resource_type}:{change.action.value}",
            resource_type=change.resource_type,
            resource_id=change.resource_id,
            status=DeliveryStatus.pending,
            triggered_by=triggered_by,
            occurred_at=now,
            data=data,
            changes=change.changes if change.action is Action.update else None,
            created_at=now,
            window_started_at=now,
            due_at=min(now + window, now + cap),
            attempts=0,
        )
    )
    await session.flush()  # the next change of this transaction may merge into it


async def _latest_open(
    session: AsyncSession, webhook_id: str, change: Change, now: datetime
) -> WebhookDelivery | None:
    """The newest delivery of this webhook and resource, if its window is still open."""
    query = (
        select(WebhookDelivery)
        .where(
            WebhookDelivery.webhook_id == webhook_id,
            WebhookDelivery.resource_type == change.resource_type,
            WebhookDelivery.resource_id == change.resource_id,
        )
        .order_by(WebhookDelivery.seq.desc())
        .limit(1)
        # A worker claiming it at the same moment waits for us, or we see its claim.
        .with_for_update()
    )
    latest = await session.scalar(query)
    if latest is None:
        return None
    still_open = (
        latest.status is DeliveryStatus.pending
        and latest.attempts == 0
        and latest.claimed_by is None
        and latest.due_at > now
    )
    return latest if still_open else None
