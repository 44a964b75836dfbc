"""Helpers of the effort tests: projects and clients made through the API; tasks, phases and
epics written straight to the database (their APIs are other folders')."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.auth.scopes import ALL_SCOPES
from kanbert.phases.models import Epic, Phase
from kanbert.projects.models import Project
from kanbert.tasks.models import Task

from support import Api, Space

WITHOUT_EXTENDED = tuple(s for s in ALL_SCOPES if s != "efforts:extended:read")


def made(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def client(api: Api, name: str = "Acme", **fields: Any) -> dict[str, Any]:
    return made(api.post("/clients", json={"name": name, **fields}))


def project(api: Api, client_id: str, title: str = "Website", **fields: Any) -> dict[str, Any]:
    return made(api.post("/projects", json={"title": title, "client_id": client_id, **fields}))


def effort(api: Api, **fields: Any) -> dict[str, Any]:
    body = {"date": "2026-11-02", "hours": 1, **fields}
    return made(api.post("/efforts", json=body))


def add_task(space: Space, project_id: str, **fields: Any) -> dict[str, Any]:
    """A task numbered like the API numbers them; returned as `{id, title, uri}`."""

    async def add(session: AsyncSession) -> dict[str, Any]:
        row = await session.get_one(Project, project_id)
        row.last_task_number += 1
        task = Task(
            space_id=row.space_id,
            project_id=row.id,
            client_id=row.client_id,
            number=row.last_task_number,
            uri=f"{row.shortcode}-{row.last_task_number}",
            title=fields.pop("title", f"Task {row.last_task_number}"),
            **fields,
        )
        session.add(task)
        await session.flush()
        return {"id": task.id, "title": task.title, "uri": task.uri}

    return space.world.run(add)


def add_phase(space: Space, project_id: str, title: str = "Design") -> str:
    async def add(session: AsyncSession) -> str:
        phase = Phase(space_id=space.id, project_id=project_id, title=title)
        session.add(phase)
        await session.flush()
        return phase.id

    return space.world.run(add)


def add_epic(space: Space, project_id: str, title: str = "Checkout") -> str:
    async def add(session: AsyncSession) -> str:
        epic = Epic(space_id=space.id, project_id=project_id, title=title)
        session.add(epic)
        await session.flush()
        return epic.id

    return space.world.run(add)


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [row["id"] for row in rows]
