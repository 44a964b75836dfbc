"""Helpers for the event tests: webhooks, the outbox rows of a space, and a small project world."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.webhooks.models import Webhook, WebhookEvent
from kanbert.webhooks.signing import new_secret

from hookkit import register
from support import Api, Space

PDF = b"%PDF-1.7\n" + bytes(range(64)) * 4 + b"\r\n%%EOF"


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    if status == 204:
        return {}
    body: dict[str, Any] = response.json()
    return body


def hook(space: Space, url: str, events: list[str], **fields: Any) -> str:
    """A webhook registered over the API (POST /webhooks, `fields` such as `project_id`,
    `client_id`) by the space's integration. Returns its id."""
    webhook_id: str = register(space, url, events, **fields)["id"]
    return webhook_id


def stored_hook(space: Space, url: str, events: list[str], **fields: Any) -> str:
    """A webhook written straight into the database, for filters registration refuses
    (`task:*` without a project): to show that the scope alone keeps events away."""

    async def add(session: AsyncSession) -> str:
        webhook = Webhook(
            space_id=space.id,
            owner_id=space.integration_id,
            url=url,
            events=events,
            secret=new_secret(),
            **fields,
        )
        session.add(webhook)
        await session.flush()
        return webhook.id

    return space.world.run(add)


@dataclass
class Event:
    seq: int
    event: str
    resource_id: str
    data: dict[str, Any] | None
    changes: dict[str, Any] | None
    project_id: str | None
    client_ids: list[str]
    triggered_by: dict[str, Any] | None


def outbox(space: Space, after: int = 0) -> list[Event]:
    """The space's WebhookEvent rows after `after` (a seq), in order."""

    async def read(session: AsyncSession) -> list[Event]:
        rows = await session.scalars(
            select(WebhookEvent)
            .where(WebhookEvent.space_id == space.id, WebhookEvent.seq > after)
            .order_by(WebhookEvent.seq)
        )
        return [
            Event(
                row.seq,
                row.event,
                row.resource_id,
                row.data,
                row.changes,
                row.project_id,
                list(row.client_ids),
                row.triggered_by,
            )
            for row in rows
        ]

    return space.world.run(read)


def last_seq(space: Space) -> int:
    rows = outbox(space)
    return rows[-1].seq if rows else 0


def upload(api: Api, entity_type: str, entity_id: str) -> dict[str, Any]:
    response = api.post(
        "/files",
        data={"entity_type": entity_type, "entity_id": entity_id},
        files={"file": ("report.pdf", PDF, "application/pdf")},
    )
    return ok(response, 201)


@dataclass
class Place:
    """A client with a project, a task in it, and the ids a test needs."""

    client: dict[str, Any]
    project: dict[str, Any]
    task: dict[str, Any]


def place(space: Space, name: str = "Acme") -> Place:
    api = space.api
    client = ok(api.post("/clients", json={"name": name}), 201)
    project = ok(
        api.post("/projects", json={"title": f"{name} web", "client_id": client["id"]}), 201
    )
    task = ok(api.post("/tasks", json={"title": "Build", "project_id": project["id"]}), 201)
    return Place(client, project, task)
