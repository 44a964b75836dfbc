"""Builders shared by the task tests: a client, projects and tasks made through the API."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.phases.models import Epic, Milestone, Phase, PhaseGroup, PhaseType

from support import Api, Space, World


def made(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def client(api: Api, name: str = "Acme Corp") -> str:
    client_id: str = made(api.post("/clients", json={"name": name}))["id"]
    return client_id


def project(api: Api, client_id: str, shortcode: str = "WEB", **fields: Any) -> dict[str, Any]:
    body = {"title": "Website", "client_id": client_id, "shortcode": shortcode, **fields}
    return made(api.post("/projects", json=body))


def task(api: Api, project_id: str, title: str = "Task", **fields: Any) -> dict[str, Any]:
    return made(api.post("/tasks", json={"title": title, "project_id": project_id, **fields}))


def structure(world: World, space: Space, project_id: str) -> dict[str, str]:
    """A phase (with type and group), a milestone and an epic of the project, made directly."""

    async def add(session: AsyncSession) -> dict[str, str]:
        phase_type = PhaseType(space_id=space.id, title="Build", color="#00f")
        group = PhaseGroup(space_id=space.id, title="Stage 1")
        session.add_all([phase_type, group])
        await session.flush()
        phase = Phase(
            space_id=space.id,
            project_id=project_id,
            title="Design",
            phase_type_id=phase_type.id,
            group_id=group.id,
            start_date=date(2026, 1, 1),
        )
        milestone = Milestone(
            space_id=space.id, project_id=project_id, title="Launch", date=date(2026, 3, 1)
        )
        epic = Epic(space_id=space.id, project_id=project_id, title="Checkout", po_number="PO-1")
        session.add_all([phase, milestone, epic])
        await session.flush()
        return {"phase": phase.id, "milestone": milestone.id, "epic": epic.id}

    return world.run(add)
