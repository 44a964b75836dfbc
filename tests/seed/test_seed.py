"""`kanbert seed`: counts, the invariants the API relies on, determinism, and that the API lists
and shows what was seeded."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from kanbert.cli import app as cli
from kanbert.comments.models import Comment
from kanbert.db.engine import make_engine, make_sessionmaker
from kanbert.efforts.models import Effort, EffortKind
from kanbert.projects.models import Project
from kanbert.seed import Seeded, Sizes, seed_database
from kanbert.seed.generate import Seeder
from kanbert.spaces.models import Space as SpaceRow
from kanbert.tasks.models import Task, TaskStatus, task_watchers

from support import Space, World

SMALL = Sizes(clients=6, projects=12, tasks=400, comments=600, efforts=300)
INCLUDES = "project,watchers,client,parent_task,sub_tasks"


def _seed(world: World, space_id: str, sizes: Sizes = SMALL, seed: int = 7) -> Seeded:
    async def work(session: AsyncSession) -> Seeded:
        return await Seeder(await session.connection(), space_id, sizes, seed).run()

    return world.run(work)


@pytest.fixture
def seeded(world: World, space: Space) -> Space:
    _seed(world, space.id)
    return space


def _tasks(world: World, space_id: str) -> list[Task]:
    async def load(session: AsyncSession) -> list[Task]:
        query = select(Task).where(Task.space_id == space_id).order_by(Task.uri)
        return list((await session.scalars(query)).all())

    return world.run(load)


def _projects(world: World, space_id: str) -> list[Project]:
    async def load(session: AsyncSession) -> list[Project]:
        query = select(Project).where(Project.space_id == space_id).order_by(Project.shortcode)
        return list((await session.scalars(query)).all())

    return world.run(load)


def test_counts_match_the_sizes(world: World, seeded: Space) -> None:
    async def count(session: AsyncSession) -> dict[str, int]:
        totals = {}
        for name, model in (("tasks", Task), ("comments", Comment), ("efforts", Effort)):
            query = select(func.count()).select_from(model).where(model.space_id == seeded.id)
            totals[name] = int(await session.scalar(query) or 0)
        return totals

    assert world.run(count) == {"tasks": 400, "comments": 600, "efforts": 300}
    clients = seeded.api.walk("/clients", {"page[size]": 100})
    projects = seeded.api.walk("/projects", {"page[size]": 100, "include": "tags"})
    assert (len(clients), len(projects)) == (6, 12)
    # Realistic shape: about a quarter of the tasks are sub-tasks, projects carry tags.
    tasks = _tasks(world, seeded.id)
    share = sum(task.parent_task_id is not None for task in tasks) / len(tasks)
    assert 0.15 < share < 0.35
    assert any(project["tags"] for project in projects)


def test_invariants_the_api_relies_on(world: World, seeded: Space) -> None:
    tasks, projects = _tasks(world, seeded.id), _projects(world, seeded.id)
    by_id = {project.id: project for project in projects}
    numbers: dict[str, list[int]] = {}
    for task in tasks:
        project = by_id[task.project_id]
        assert task.client_id == project.client_id
        assert task.uri == f"{project.shortcode}-{task.number}"
        numbers.setdefault(project.id, []).append(task.number)
        done = task.status in (TaskStatus.Completed, TaskStatus.Approved)
        assert (task.completed_at is not None) == done
        assert (task.closed_at is not None) == (task.status is TaskStatus.Closed)
    for project in projects:
        mine = sorted(numbers.get(project.id, []))
        assert mine == list(range(1, len(mine) + 1))
        assert project.last_task_number == len(mine)
    tasks_by_id = {task.id: task for task in tasks}
    for task in tasks:
        if task.parent_task_id is not None:
            assert tasks_by_id[task.parent_task_id].project_id == task.project_id
    # list_sorting runs 0, 1, 2… per (project, status), as created one by one.
    sortings: dict[tuple[str, str], list[int]] = {}
    for task in tasks:
        sortings.setdefault((task.project_id, task.status), []).append(task.list_sorting)
    for values in sortings.values():
        assert sorted(values) == list(range(len(values)))

    async def efforts_and_comments(session: AsyncSession) -> tuple[list[Effort], list[Comment]]:
        efforts = (await session.scalars(select(Effort).where(Effort.space_id == seeded.id))).all()
        comments = await session.scalars(select(Comment).where(Comment.space_id == seeded.id))
        return list(efforts), list(comments.all())

    efforts, comments = world.run(efforts_and_comments)
    for effort in efforts:
        if effort.type is EffortKind.project:
            assert effort.project_id is not None
            assert effort.client_id == by_id[effort.project_id].client_id
            if effort.task_id is not None:
                assert tasks_by_id[effort.task_id].project_id == effort.project_id
        else:
            assert (effort.project_id, effort.client_id, effort.task_id) == (None, None, None)
        assert effort.effort_type_id is not None
    comment_task = {comment.id: comment.task_id for comment in comments}
    replies = [comment for comment in comments if comment.parent_comment_id is not None]
    assert replies
    for reply in replies:
        assert comment_task[reply.parent_comment_id] == reply.task_id  # type: ignore[index]


def test_same_seed_gives_the_same_shape_in_two_spaces(world: World) -> None:
    first, second = world.new_space("One"), world.new_space("Two")
    _seed(world, first.id, seed=3)
    _seed(world, second.id, seed=3)

    def shape(space_id: str) -> list[tuple[Any, ...]]:
        tasks = _tasks(world, space_id)
        uri = {task.id: task.uri for task in tasks}
        return [
            (
                task.uri,
                task.title,
                task.status,
                task.list_sorting,
                uri.get(task.parent_task_id or ""),
                task.created_at,
            )
            for task in tasks
        ]

    one, two = shape(first.id), shape(second.id)
    assert one == two
    ids_one = {task.id for task in _tasks(world, first.id)}
    assert not ids_one & {task.id for task in _tasks(world, second.id)}


def test_a_different_seed_adds_to_a_space(world: World, seeded: Space) -> None:
    """Unique keys carry the seed, so a space takes a second seed beside the first."""
    _seed(world, seeded.id, Sizes(2, 3, 10, 5, 5), seed=8)
    assert len(seeded.api.walk("/projects", {"page[size]": 100})) == 15


# -- same seed, fresh databases ---------------------------------------------------------------


async def _ids_after_seeding(url: str) -> dict[str, list[str]]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            session.add(SpaceRow(id="seedtestspace001", name="Fresh"))
        await seed_database(url, "seedtestspace001", SMALL, seed=11)
        async with make_sessionmaker(engine)() as session:
            ids = {}
            for name, model in (("tasks", Task), ("comments", Comment), ("efforts", Effort)):
                ids[name] = list((await session.scalars(select(model.id).order_by(model.id))).all())
            watchers = await session.execute(select(task_watchers).order_by(*task_watchers.c))
            ids["watchers"] = [f"{row.task_id}/{row.user_id}" for row in watchers]
            return ids
    finally:
        await engine.dispose()


def test_same_seed_gives_the_same_ids_in_fresh_databases(fresh_urls: list[str]) -> None:
    first, second = (asyncio.run(_ids_after_seeding(url)) for url in fresh_urls)
    assert len(first["tasks"]) == 400 and first["watchers"]
    assert first == second


def test_the_command_seeds_and_refuses_an_unknown_space(
    fresh_urls: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = fresh_urls[0]
    monkeypatch.setenv("KANBERT_DATABASE_URL", url)
    monkeypatch.setenv("KANBERT_DATA_DIR", str(tmp_path))

    async def add_space() -> None:
        engine = make_engine(url)
        async with make_sessionmaker(engine)() as session, session.begin():
            session.add(SpaceRow(id="clispace", name="CLI"))
        await engine.dispose()

    asyncio.run(add_space())
    sizes = ["--clients", "2", "--projects", "3", "--tasks", "20", "--comments", "10"]
    result = CliRunner().invoke(cli, ["seed", "--space-id", "clispace", *sizes, "--efforts", "4"])
    assert result.exit_code == 0, result.output
    assert "20 tasks" in result.output and "4 efforts" in result.output
    refused = CliRunner().invoke(cli, ["seed", "--space-id", "nope", *sizes])
    assert refused.exit_code == 1
    assert "No space with id nope" in refused.output


# -- the API on seeded data -------------------------------------------------------------------


def test_the_api_lists_and_shows_seeded_tasks(seeded: Space) -> None:
    api = seeded.api
    rows = api.walk("/tasks", {"include": INCLUDES, "page[size]": 50, "sort": "-updated_at"})
    assert len(rows) == 400
    updated = [row["updated_at"] for row in rows]
    assert updated == sorted(updated, reverse=True)
    with_parent = next(row for row in rows if row["parent_task"] is not None)
    parent = api.get(f"/tasks/{with_parent['parent_task']['id']}", params={"include": "sub_tasks"})
    assert parent.status_code == 200, parent.text
    assert with_parent["id"] in {sub["id"] for sub in parent.json()["sub_tasks"]}
    assert any(row["watchers"] for row in rows)
    assert all(row["project"] and row["client"] for row in rows)
    severities = {row["custom_fields"]["severity"] for row in rows}
    assert {"minor", "major", "critical"} <= severities
    filtered = api.walk(
        "/tasks", {"filter": "status = 'WIP' and sub_tasks none (status = 'Closed')"}
    )
    assert filtered and all(row["status"] == "WIP" for row in filtered)


def _thread_size(comments: list[dict[str, Any]]) -> int:
    return sum(1 + _thread_size(comment["sub_comments"]) for comment in comments)


def test_the_api_lists_projects_comments_and_sums_efforts(world: World, seeded: Space) -> None:
    api = seeded.api
    projects = api.walk("/projects", {"filter": "tags count >= 2", "include": "tags"})
    assert projects and all(len(project["tags"]) >= 2 for project in projects)
    shown = api.get(f"/projects/{projects[0]['id']}")
    assert shown.status_code == 200, shown.text
    assert shown.json()["custom_fields"]["budget"] > 0

    async def busiest_task(session: AsyncSession) -> tuple[str, int]:
        query = (
            select(Comment.task_id, func.count())
            .where(Comment.space_id == seeded.id)
            .group_by(Comment.task_id)
            .order_by(func.count().desc(), Comment.task_id)
            .limit(1)
        )
        task_id, count = (await session.execute(query)).one()
        return task_id, count

    task_id, count = world.run(busiest_task)
    assert _thread_size(api.walk(f"/tasks/{task_id}/comments", {"page[size]": 100})) == count
    summary = api.get("/efforts/summary", params={"group_by": "client,month"})
    assert summary.status_code == 200, summary.text
    assert sum(group["count"] for group in summary.json()["data"]) == 300
    assert len(api.walk("/efforts", {"page[size]": 100})) == 300
