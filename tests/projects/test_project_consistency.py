"""Project writes keep their tasks consistent (task keys follow the shortcode, `client_id`
follows the client), a force-delete takes the files of the project, its tasks and their
comments along, and the `team`/`guests` filters cannot be used to probe hidden people."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.comments.models import Comment
from kanbert.files.models import StoredFile
from kanbert.settings import Settings
from kanbert.tasks.models import Task
from kanbert.users.models import UserType

from project_work import add_comment, add_task
from support import Api, Space, World


def _made(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def _project(space: Space, **fields: Any) -> dict[str, Any]:
    client = _made(space.api.post("/clients", json={"name": fields.pop("client", "Acme")}))
    body = {"title": "Website", "shortcode": "WEB", "client_id": client["id"], **fields}
    return _made(space.api.post("/projects", json=body))


def _tasks(world: World, project_id: str) -> list[tuple[str, str, Any]]:
    """(uri, client_id, updated_at) of the project's tasks by number."""

    async def read(session: AsyncSession) -> list[tuple[str, str, Any]]:
        query = (
            select(Task.uri, Task.client_id, Task.updated_at)
            .where(Task.project_id == project_id)
            .order_by(Task.number)
        )
        return [tuple(row) for row in (await session.execute(query)).all()]

    return world.run(read)


def test_a_new_shortcode_rewrites_every_task_key(space: Space) -> None:
    project = _project(space)
    for _ in range(3):
        add_task(space.world, project["id"])
    before = _tasks(space.world, project["id"])
    assert [uri for uri, _, _ in before] == ["WEB-1", "WEB-2", "WEB-3"]

    # The same shortcode again, or another field, leaves the tasks alone.
    unchanged = {"shortcode": "WEB", "po_number": "42"}
    _made(space.api.patch(f"/projects/{project['id']}", json=unchanged))
    assert _tasks(space.world, project["id"]) == before

    _made(space.api.patch(f"/projects/{project['id']}", json={"shortcode": "SITE"}))
    after = _tasks(space.world, project["id"])
    assert [uri for uri, _, _ in after] == ["SITE-1", "SITE-2", "SITE-3"]
    assert all(new[2] > old[2] for new, old in zip(after, before, strict=True))
    # New tasks continue the numbering under the new key.
    add_task(space.world, project["id"])
    assert _tasks(space.world, project["id"])[-1][0] == "SITE-4"


def test_a_new_client_moves_every_task_and_effort(space: Space) -> None:
    project = _project(space)
    other = _project(space, client="Other", shortcode="OTH")
    add_task(space.world, project["id"])
    add_task(space.world, project["id"])
    add_task(space.world, other["id"])
    worker = space.add_user("worker@example.com", UserType.user)
    effort = {"date": "2026-11-02", "hours": 2, "user_id": worker}
    logged = _made(space.api.post("/efforts", json={**effort, "project_id": project["id"]}))
    beta = _made(space.api.post("/clients", json={"name": "Beta"}))["id"]
    body = {"client_id": beta, "shortcode": "BET"}
    _made(space.api.patch(f"/projects/{project['id']}", json=body))
    # Efforts bill to the project's new client too.
    assert _made(space.api.get(f"/efforts/{logged['id']}"))["client"]["id"] == beta
    assert [(uri, client) for uri, client, _ in _tasks(space.world, project["id"])] == [
        ("BET-1", beta),
        ("BET-2", beta),
    ]
    # Tasks of other projects keep theirs.
    assert [(uri, client) for uri, client, _ in _tasks(space.world, other["id"])] == [
        ("OTH-1", other["client"]["id"])
    ]
    # A refused change (unknown client) changes no task.
    refused = space.api.patch(f"/projects/{project['id']}", json={"client_id": "nope"})
    assert refused.status_code == 422
    assert {client for _, client, _ in _tasks(space.world, project["id"])} == {beta}


def _stored(world: World, settings: Settings, entity_type: str, entity_id: str) -> str:
    """A file row with bytes in storage, as an upload leaves them."""

    async def add(session: AsyncSession) -> str:
        owner_space = await session.scalar(
            select(Task.space_id).where(Task.id == entity_id)
            if entity_type == "task"
            else select(Comment.space_id).where(Comment.id == entity_id)
        )
        row = StoredFile(
            space_id=owner_space,
            file_name="notes.txt",
            mime_type="text/plain",
            size=5,
            entity_type=entity_type,
            entity_id=entity_id,
        )
        session.add(row)
        await session.flush()
        return row.id

    file_id = world.run(add)
    (_storage(settings) / file_id).write_bytes(b"notes")
    return file_id


def _storage(settings: Settings) -> Path:
    return settings.data_dir / "files"


def _file_rows(world: World) -> set[str]:
    async def read(session: AsyncSession) -> set[str]:
        return set((await session.scalars(select(StoredFile.id))).all())

    return world.run(read)


def _upload(api: Api, entity_type: str, entity_id: str) -> str:
    response = api.post(
        "/files",
        data={"entity_type": entity_type, "entity_id": entity_id},
        files={"file": ("plan.txt", b"plan", "text/plain")},
    )
    return str(_made(response)["id"])


def test_force_delete_removes_the_files_of_everything_it_deletes(
    space: Space, settings: Settings
) -> None:
    world = space.world
    project = _project(space)
    kept = _project(space, client="Kept", shortcode="KEP")
    task = add_task(world, project["id"])
    sub_task = add_task(world, project["id"])
    comment = add_comment(world, task, space.owner_id)
    reply = add_comment(world, task, space.owner_id, parent=comment)
    gone = [
        _upload(space.api, "project", project["id"]),
        _stored(world, settings, "task", task),
        _stored(world, settings, "task", sub_task),
        _stored(world, settings, "comment", comment),
        _stored(world, settings, "comment", reply),
    ]
    other_task = add_task(world, kept["id"])
    staying = [
        _upload(space.api, "project", kept["id"]),
        _stored(world, settings, "task", other_task),
        _stored(world, settings, "comment", add_comment(world, other_task, space.owner_id)),
    ]
    assert all((_storage(settings) / file_id).exists() for file_id in gone + staying)

    assert space.api.delete(f"/projects/{project['id']}/force").status_code == 204
    assert space.api.get(f"/projects/{project['id']}").status_code == 404
    rows = _file_rows(world)
    assert not rows & set(gone)
    assert set(staying) <= rows
    assert not any((_storage(settings) / file_id).exists() for file_id in gone)
    assert all((_storage(settings) / file_id).exists() for file_id in staying)
    for file_id in gone:
        assert space.api.get(f"/files/{file_id}").status_code == 404

    async def leftovers(session: AsyncSession) -> int:
        query = select(func.count()).select_from(Task).where(Task.project_id == project["id"])
        return int(await session.scalar(query) or 0)

    assert world.run(leftovers) == 0


def test_a_refused_force_delete_keeps_the_files(space: Space, settings: Settings) -> None:
    project = _project(space)
    file_id = _upload(space.api, "project", project["id"])
    guest = space.add_user("guest@example.com", UserType.guest)
    guest_api = space.token(["project:write"], user_id=guest)
    space.api.put(f"/projects/{project['id']}/guests/{guest}")
    assert guest_api.delete(f"/projects/{project['id']}/force").status_code == 403
    assert file_id in _file_rows(space.world)
    assert (_storage(settings) / file_id).exists()


# -- the team and guests filters ----------------------------------------------------------


def test_limited_callers_match_only_themselves_in_people_filters(space: Space) -> None:
    alice = space.add_user("alice@example.com")
    guest = space.add_user("guest@example.com", UserType.guest)
    other_guest = space.add_user("other@example.com", UserType.guest)
    advisor = space.add_user("advisor@example.com", UserType.tax_advisor)
    shared = _project(space, team=[alice], guests=[guest, other_guest, advisor])

    def matching(api: Api, condition: str) -> list[str]:
        response = api.get("/projects", params={"filter": condition})
        assert response.status_code == 200, response.text
        return [row["id"] for row in response.json()["data"]]

    everyone = [shared["id"]]
    owner = space.api
    assert matching(owner, 'team any (email = "alice@example.com")') == everyone
    assert matching(owner, f'guests any (id = "{other_guest}")') == everyone
    assert matching(owner, "guests count = 3") == everyone

    for me, email in ((guest, "guest@example.com"), (advisor, "advisor@example.com")):
        api = space.token(["client:read"], name="limited", user_id=me)
        # Their own membership is theirs to filter by …
        assert matching(api, f'guests any (id = "{me}")') == everyone
        assert matching(api, f'guests any (email = "{email}")') == everyone
        assert matching(api, "guests count = 1") == everyone
        # … nobody else's: the project is there, but these conditions match nothing.
        for probe in (
            'team any (email = "alice@example.com")',
            f'team any (id = "{alice}")',
            'team any (email startswith "a")',
            f'guests any (id = "{other_guest}")',
            'guests any (email = "other@example.com")',
            "team count >= 1",
            "guests count >= 2",
        ):
            assert matching(api, probe) == [], (me, probe)
        assert matching(api, 'team none (email = "alice@example.com")') == everyone

    # A user (not limited) matches every member, as before.
    alice_api = space.token(["client:read"], name="alice", user_id=alice)
    assert matching(alice_api, f'guests any (id = "{other_guest}")') == everyone
