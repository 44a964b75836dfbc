"""Helpers of the phase tests: projects made through the API; tasks and efforts inserted
directly (their APIs are other folders'), and reading their references back."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.efforts.models import Effort, EffortKind
from kanbert.projects.models import Project
from kanbert.tasks.models import Task, TaskStatus

from support import Api, Space


def made(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def project(api: Api, title: str = "Website", **fields: Any) -> dict[str, Any]:
    client = made(api.post("/clients", json={"name": f"Client of {title}"}))
    return made(api.post("/projects", json={"title": title, "client_id": client["id"], **fields}))


def phase(api: Api, project_id: str, title: str = "Design", **fields: Any) -> dict[str, Any]:
    return made(api.post(f"/projects/{project_id}/phases", json={"title": title, **fields}))


def milestone(
    api: Api, project_id: str, title: str = "Launch", date: str = "2026-06-01", **fields: Any
) -> dict[str, Any]:
    body = {"title": title, "date": date, **fields}
    return made(api.post(f"/projects/{project_id}/milestones", json=body))


def epic(api: Api, project_id: str, title: str = "Checkout", **fields: Any) -> dict[str, Any]:
    return made(api.post(f"/projects/{project_id}/epics", json={"title": title, **fields}))


def add_task(
    space: Space,
    project_id: str,
    status: TaskStatus = TaskStatus.New,
    estimated_hours: str | None = None,
    deleted: bool = False,
    is_public: bool = True,
    **links: str | None,
) -> str:
    """A task row of the project, linked by `phase_id`, `milestone_id` or `epic_id`."""

    async def insert(session: AsyncSession) -> str:
        owner = await session.get_one(Project, project_id)
        number = (
            await session.scalar(
                select(func.coalesce(func.max(Task.number), 0)).where(Task.project_id == project_id)
            )
            or 0
        ) + 1
        task = Task(
            space_id=space.id,
            project_id=project_id,
            client_id=owner.client_id,
            number=number,
            uri=f"{owner.shortcode}-{number}",
            title=f"Task {number}",
            status=status,
            is_public=is_public,
            estimated_hours=None if estimated_hours is None else Decimal(estimated_hours),
            deleted_at=owner.created_at if deleted else None,
            **links,
        )
        session.add(task)
        await session.flush()
        return task.id

    return space.world.run(insert)


def task_links(space: Space, task_id: str) -> dict[str, str | None]:
    async def read(session: AsyncSession) -> dict[str, str | None]:
        row = (
            await session.execute(
                select(Task.phase_id, Task.milestone_id, Task.epic_id).where(Task.id == task_id)
            )
        ).one()
        return {"phase_id": row.phase_id, "milestone_id": row.milestone_id, "epic_id": row.epic_id}

    return space.world.run(read)


def add_effort(space: Space, project_id: str, **links: str | None) -> str:
    """A project effort of the space's owner, linked by `phase_id` or `epic_id`."""

    async def insert(session: AsyncSession) -> str:
        owner = await session.get_one(Project, project_id)
        effort = Effort(
            space_id=space.id,
            type=EffortKind.project,
            date=owner.created_at.date(),
            hours=Decimal("1.5"),
            user_id=space.owner_id,
            project_id=project_id,
            client_id=owner.client_id,
            **links,
        )
        session.add(effort)
        await session.flush()
        return effort.id

    return space.world.run(insert)


def effort_links(space: Space, effort_id: str) -> dict[str, str | None]:
    async def read(session: AsyncSession) -> dict[str, str | None]:
        query = select(Effort.phase_id, Effort.epic_id).where(Effort.id == effort_id)
        row = (await session.execute(query)).one()
        return {"phase_id": row.phase_id, "epic_id": row.epic_id}

    return space.world.run(read)
