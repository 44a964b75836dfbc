"""Tasks and comments written straight to the database, for project tests that must not
depend on the task and comment endpoints."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.comments.models import Comment
from kanbert.projects.models import Project
from kanbert.tasks.models import Task

from support import World


def add_task(world: World, project_id: str, **fields: Any) -> str:
    """A task written straight to the database, numbered like the API numbers them."""

    async def add(session: AsyncSession) -> str:
        project = await session.get_one(Project, project_id)
        project.last_task_number += 1
        task = Task(
            space_id=project.space_id,
            project_id=project.id,
            client_id=project.client_id,
            number=project.last_task_number,
            uri=f"{project.shortcode}-{project.last_task_number}",
            title=fields.pop("title", f"Task {project.last_task_number}"),
            **fields,
        )
        session.add(task)
        await session.flush()
        return task.id

    return world.run(add)


def add_comment(world: World, task_id: str, author_id: str, parent: str | None = None) -> str:
    async def add(session: AsyncSession) -> str:
        task = await session.get_one(Task, task_id)
        row = Comment(
            space_id=task.space_id,
            task_id=task_id,
            author_id=author_id,
            comment="<p>hi</p>",
            parent_comment_id=parent,
        )
        session.add(row)
        await session.flush()
        return row.id

    return world.run(add)
