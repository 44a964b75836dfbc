"""Webhook management: registration, changes, secret rotation, ping and redelivery.

Endpoints call these; the request's transaction commits them (a ping's or redelivery's
attempt is recorded in that same transaction).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from kanbert.clients.models import Client
from kanbert.db.engine import begin_writing
from kanbert.kit.context import Caller
from kanbert.kit.errors import forbidden, invalid, invalid_field, not_found
from kanbert.kit.records import get_one, refuse_nulls
from kanbert.kit.timefmt import utcnow
from kanbert.projects.models import Project
from kanbert.settings import Settings
from kanbert.users.resource import user_data
from kanbert.webhooks import targets
from kanbert.webhooks.models import DeliveryStatus, Webhook, WebhookAttempt, WebhookDelivery
from kanbert.webhooks.resource import webhook_data, webhook_loads, webhooks
from kanbert.webhooks.schemas import WebhookCreate, WebhookUpdate
from kanbert.webhooks.signing import new_secret
from kanbert.webhooks.worker import deliver_now

KINDS = ("client", "company", "contact", "project", "task", "comment", "effort", "file")
ACTIONS = ("create", "update", "delete", "restore", "force-delete")
KNOWN_EVENTS = frozenset(
    [f"{kind}:*" for kind in KINDS] + [f"{kind}:{action}" for kind in KINDS for action in ACTIONS]
)
# Kanbert's rule: task and comment events only reach webhooks scoped to a project.
PROJECT_ONLY_KINDS = ("task", "comment")
MAX_URL = 2000
MIN_SECRET, MAX_SECRET = 32, 255
MIN_TRIES, MAX_TRIES, DEFAULT_TRIES = 1, 10, 3
ROTATION_OVERLAP = timedelta(hours=24)
PING_EVENT = "webhook:ping"
# A ping is sent by the API itself; this lease keeps every worker away from its row for good.
NEVER = datetime(3000, 1, 1, tzinfo=UTC)


def ensure_integration(caller: Caller) -> None:
    if caller.user_type != "integration":
        raise forbidden("Only an integration may manage webhooks; use an integration's token.")


async def _check_url(url: str, allow_private: bool) -> None:
    if len(url) > MAX_URL:
        raise invalid_field("url", f"The URL may be at most {MAX_URL} characters long.")
    if any(char.isspace() or not char.isprintable() for char in url):
        # No HTTP client could send to it: refused now rather than failing every delivery.
        raise invalid_field("url", "The URL may not contain spaces or control characters.")
    try:
        await targets.check_registration(url, allow_private)
    except targets.RefusedTarget as refused:
        raise invalid_field("url", str(refused)) from None


def _check_events(events: list[str], project_id: str | None) -> list[str]:
    if not events:
        raise invalid_field("events", "Name at least one event.")
    unknown = [name for name in events if name not in KNOWN_EVENTS]
    if unknown:
        raise invalid_field("events", f"Unknown events: {', '.join(unknown)}.")
    if project_id is None:
        needing = [name for name in events if name.split(":", 1)[0] in PROJECT_ONLY_KINDS]
        if needing:
            raise invalid_field(
                "events",
                f"{', '.join(needing)} need a project_id: task and comment events are "
                "delivered only to webhooks of one project.",
            )
    return list(dict.fromkeys(events))  # each once, in the order given


def _check_tries(tries: int) -> int:
    if not MIN_TRIES <= tries <= MAX_TRIES:
        raise invalid_field("tries", f"tries must be between {MIN_TRIES} and {MAX_TRIES}.")
    return tries


def _check_secret(secret: str) -> str:
    if not MIN_SECRET <= len(secret) <= MAX_SECRET:
        raise invalid_field(
            "secret", f"The secret must be {MIN_SECRET} to {MAX_SECRET} characters long."
        )
    return secret


def _check_scope(project_id: str | None, client_id: str | None) -> None:
    if project_id is not None and client_id is not None:
        problem = "A webhook is scoped to a project or to a client, not both."
        raise invalid({"project_id": [problem], "client_id": [problem]})


async def _check_reference(
    session: AsyncSession, caller: Caller, model: type[Project] | type[Client], value: str | None
) -> None:
    """A webhook's project or client: an active record of this space (422 otherwise)."""
    if value is None:
        return
    found = await session.scalar(
        select(model.id).where(
            model.id == value, model.space_id == caller.space_id, model.deleted_at.is_(None)
        )
    )
    if found is None:
        noun = model.__name__.lower()
        raise invalid_field(f"{noun}_id", f"The selected {noun} does not exist or is archived.")


async def loaded(session: AsyncSession, webhook_id: str) -> Webhook:
    """The webhook as rendered: read again with its project and client after a write."""
    await session.flush()
    query = (
        select(Webhook)
        .where(Webhook.id == webhook_id)
        .options(*webhook_loads())
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).one()


async def create_webhook(
    session: AsyncSession, settings: Settings, caller: Caller, data: WebhookCreate
) -> Webhook:
    ensure_integration(caller)
    await _check_url(data.url, settings.webhook_allow_private_targets)
    events = _check_events(data.events, data.project_id)
    _check_scope(data.project_id, data.client_id)
    await _check_reference(session, caller, Project, data.project_id)
    await _check_reference(session, caller, Client, data.client_id)
    webhook = Webhook(
        space_id=caller.space_id,
        owner_id=caller.user_id,
        url=data.url,
        events=events,
        project_id=data.project_id,
        client_id=data.client_id,
        is_active=True,
        tries=_check_tries(DEFAULT_TRIES if data.tries is None else data.tries),
        secret=new_secret() if data.secret is None else _check_secret(data.secret),
        consecutive_failures=0,
    )
    session.add(webhook)
    await session.flush()
    return await loaded(session, webhook.id)


async def update_webhook(
    session: AsyncSession,
    settings: Settings,
    caller: Caller,
    webhook: Webhook,
    data: WebhookUpdate,
) -> Webhook:
    """Apply the given fields, then validate the resulting webhook as a whole."""
    given = data.model_fields_set
    refuse_nulls(data, ("url", "events", "tries", "is_active"))
    if data.url is not None and data.url != webhook.url:
        await _check_url(data.url, settings.webhook_allow_private_targets)
        webhook.url = data.url
    project_id = data.project_id if "project_id" in given else webhook.project_id
    client_id = data.client_id if "client_id" in given else webhook.client_id
    events = data.events if data.events is not None else list(webhook.events)
    checked = _check_events(events, project_id)
    if checked != webhook.events:
        webhook.events = checked
    _check_scope(project_id, client_id)
    if project_id != webhook.project_id:
        await _check_reference(session, caller, Project, project_id)
        webhook.project_id = project_id
    if client_id != webhook.client_id:
        await _check_reference(session, caller, Client, client_id)
        webhook.client_id = client_id
    if data.tries is not None:
        webhook.tries = _check_tries(data.tries)
    if data.is_active is not None:
        if data.is_active and not webhook.is_active:
            # A fresh start: the failures that disabled it no longer count.
            webhook.consecutive_failures = 0
            webhook.disabled_reason = None
        webhook.is_active = data.is_active
    return await loaded(session, webhook.id)


async def delete_webhook(session: AsyncSession, webhook: Webhook) -> None:
    # Deliveries and their attempts go with it (ON DELETE CASCADE).
    await session.delete(webhook)
    await session.flush()


async def rotate_secret(session: AsyncSession, webhook: Webhook) -> Webhook:
    """A new secret; the old one keeps signing beside it for a day, so receivers can switch."""
    webhook.previous_secret = webhook.secret
    webhook.previous_secret_until = utcnow() + ROTATION_OVERLAP
    webhook.secret = new_secret()
    return await loaded(session, webhook.id)


async def ping(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    caller: Caller,
    webhook_id: str,
) -> tuple[WebhookDelivery, WebhookAttempt]:
    """Send `webhook:ping` now, once, and record it in the delivery log."""
    now = utcnow()
    async with sessionmaker() as session, session.begin():
        await begin_writing(session)
        webhook = await get_one(session, caller, webhooks, webhook_id)
        delivery = WebhookDelivery(
            webhook_id=webhook.id,
            event=PING_EVENT,
            resource_type="webhook",
            resource_id=webhook.id,
            status=DeliveryStatus.pending,
            triggered_by=user_data(caller.user),
            occurred_at=now,
            data=webhook_data(webhook, caller),
            created_at=now,
            window_started_at=now,
            due_at=now,
            attempts=0,
            claimed_by="api",
            claimed_until=NEVER,
        )
        session.add(delivery)
    return await deliver_now(sessionmaker, settings, delivery.seq, one_shot=True)


async def find_delivery(
    session: AsyncSession, webhook: Webhook, delivery_id: str
) -> WebhookDelivery:
    """One delivery of this webhook with its attempts, or a 404."""
    delivery = await session.scalar(
        select(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.webhook_id == webhook.id)
        .options(selectinload(WebhookDelivery.attempt_log))
    )
    if delivery is None:
        raise not_found()
    return delivery


async def redeliver(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    caller: Caller,
    webhook_id: str,
    delivery_id: str,
) -> tuple[WebhookDelivery, WebhookAttempt]:
    """A fresh attempt of the same payload under the same delivery id."""
    async with sessionmaker() as session, session.begin():
        webhook = await get_one(session, caller, webhooks, webhook_id)
        delivery = await find_delivery(session, webhook, delivery_id)
    return await deliver_now(sessionmaker, settings, delivery.seq, one_shot=False)
