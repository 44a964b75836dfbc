"""Webhooks and their deliveries declared once: rendering, tenancy, lookups and the lists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import selectinload

from kanbert.clients.models import Client
from kanbert.clients.resource import client_data
from kanbert.kit.context import Caller
from kanbert.kit.query.fields import Field, FilterSpec, Kind
from kanbert.kit.resource import IncludeTree, Listing, Resource, by_column
from kanbert.kit.timefmt import format_datetime
from kanbert.users.resource import with_space
from kanbert.webhooks.models import DeliveryStatus, Webhook, WebhookAttempt, WebhookDelivery


def webhook_data(webhook: Webhook, caller: Caller) -> dict[str, Any]:
    """WebhookData (never the secret); `project` and `client` (with its contact) loaded."""
    project = webhook.project
    return {
        "id": webhook.id,
        "url": webhook.url,
        "events": list(webhook.events),
        "project": None
        if project is None
        else {"id": project.id, "title": project.title, "shortcode": project.shortcode},
        "client": None if webhook.client is None else client_data(webhook.client, caller),
        "is_active": webhook.is_active,
        "tries": webhook.tries,
        "created_at": format_datetime(webhook.created_at),
        "updated_at": format_datetime(webhook.updated_at),
        "last_success_at": format_datetime(webhook.last_success_at),
        "last_failure_at": format_datetime(webhook.last_failure_at),
        "consecutive_failures": webhook.consecutive_failures,
        "disabled_reason": webhook.disabled_reason,
    }


def _render_webhook(webhook: Webhook, _tree: IncludeTree, caller: Caller) -> dict[str, Any]:
    return webhook_data(webhook, caller)


def webhook_loads() -> tuple[Any, ...]:
    return (
        selectinload(Webhook.project),
        selectinload(Webhook.client).options(
            with_space(Client.primary_contact), selectinload(Client.space)
        ),
    )


def owned_by_caller(caller: Caller) -> ColumnElement[bool]:
    """A webhook belongs to the integration that registered it (webhooks.md): another
    integration of the space can neither see nor change it."""
    return Webhook.owner_id == caller.user_id


webhooks = Resource(
    name="webhooks",
    model=Webhook,
    render=_render_webhook,
    eager=webhook_loads,
    visible=owned_by_caller,
    lookups={"id": by_column(Webhook.id)},
)

_url = Field(Kind.string, Webhook.url)
_active = Field(Kind.boolean, Webhook.is_active)
_created = Field(Kind.datetime, Webhook.created_at)

webhook_listing = Listing(
    resource=webhooks,
    key="webhooks",
    filters=FilterSpec(
        fields={
            "url": _url,
            "created_at": _created,
            "is_active": _active,
            "project.id": Field(Kind.id, Webhook.project_id, nullable=True),
            "client.id": Field(Kind.id, Webhook.client_id, nullable=True),
        }
    ),
    sorts={"url": _url, "is_active": _active, "created_at": _created},
    default_sort=("created_at",),
)


def attempt_data(attempt: WebhookAttempt) -> dict[str, Any]:
    return {
        "attempted_at": format_datetime(attempt.attempted_at),
        "response_status": attempt.response_status,
        "response_body": attempt.response_body,
        "duration_ms": attempt.duration_ms,
        "error": attempt.error,
    }


def delivery_data(delivery: WebhookDelivery) -> dict[str, Any]:
    pending = delivery.status is DeliveryStatus.pending
    return {
        "id": delivery.id,
        "event": delivery.event,
        "resource": {"type": delivery.resource_type, "id": delivery.resource_id},
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "created_at": format_datetime(delivery.created_at),
        "occurred_at": format_datetime(delivery.occurred_at),
        "next_attempt_at": format_datetime(delivery.due_at) if pending else None,
        "completed_at": format_datetime(delivery.completed_at),
    }


def delivery_detail(delivery: WebhookDelivery) -> dict[str, Any]:
    """DeliveryData with the payload and every attempt; `attempt_log` must be loaded."""
    return {
        **delivery_data(delivery),
        "payload": delivery.payload(),
        "attempts_log": [attempt_data(attempt) for attempt in delivery.attempt_log],
    }


def _render_delivery(delivery: WebhookDelivery, _tree: IncludeTree, _caller: Caller) -> Any:
    return delivery_data(delivery)


def _deliveries_of_space(caller: Caller) -> ColumnElement[bool]:
    # Deliveries carry no space of their own: they belong to a webhook of the caller's space,
    # and only its owner sees them.
    own = select(Webhook.id).where(Webhook.space_id == caller.space_id, owned_by_caller(caller))
    return WebhookDelivery.webhook_id.in_(own)


deliveries = Resource(
    name="webhook_deliveries",
    model=WebhookDelivery,
    render=_render_delivery,
    tenancy=_deliveries_of_space,
    lookups={"id": by_column(WebhookDelivery.id)},
)

_delivery_created = Field(Kind.datetime, WebhookDelivery.created_at)

delivery_listing = Listing(
    resource=deliveries,
    key="webhooks.deliveries",
    filters=FilterSpec(
        fields={
            "event": Field(Kind.string, WebhookDelivery.event),
            "status": Field(
                Kind.enum, WebhookDelivery.status, choices=tuple(s.value for s in DeliveryStatus)
            ),
            "created_at": _delivery_created,
        }
    ),
    sorts={"created_at": _delivery_created},
    default_sort=("-created_at",),
)
