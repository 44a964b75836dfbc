"""Every kind and action the API offers writes its event (webhooks.md §3), with `data` the
resource in its API schema as GET shows it, and on a force-delete its last state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from kanbert.settings import Settings

from eventkit import Event, Place, hook, last_seq, ok, outbox, place, upload
from receiver import receiver, running_worker
from support import Space, World

Body = dict[str, Any]


@pytest.fixture
def space(world: World) -> Space:
    """A space with a listening webhook: without one the outbox records each change (with
    its `changes`) but renders no `data` (test_a_space_without_webhooks_…)."""
    space = world.new_space()
    hook(space, "http://127.0.0.1:9/listener", ["client:*"], tries=1)  # nothing listens on 9
    return space


@dataclass(frozen=True)
class Kind:
    kind: str
    item: Callable[[str], str]  # the path of one record
    create: Callable[[Space, Place], httpx.Response]
    update: Body | None  # a PATCH body; None: the API cannot change it
    archive: bool  # DELETE archives (with restore and force); else DELETE removes for good


def _effort(space: Space, where: Place) -> httpx.Response:
    body = {
        "date": "2026-11-02",
        "hours": 1.5,
        "project_id": where.project["id"],
        "user_id": space.owner_id,
    }
    return space.api.post("/efforts", json=body)


def _file(space: Space, where: Place) -> httpx.Response:
    return space.api.post(
        "/files",
        data={"entity_type": "task", "entity_id": where.task["id"]},
        files={"file": ("plan.txt", b"the plan", "text/plain")},
    )


KINDS = [
    Kind(
        "client",
        lambda i: f"/clients/{i}",
        lambda s, _w: s.api.post("/clients", json={"name": "Initech"}),
        {"name": "Initech 2"},
        True,
    ),
    Kind(
        "company",
        lambda i: f"/companies/{i}",
        lambda s, _w: s.api.post("/companies", json={"company_name": "Globex"}),
        {"company_name": "Globex AG", "email": "info@globex.example"},
        True,
    ),
    Kind(
        "contact",
        lambda i: f"/contacts/{i}",
        lambda s, _w: s.api.post("/contacts", json={"first_name": "Ann", "last_name": "Lee"}),
        {"last_name": "Lee-Park"},
        True,
    ),
    Kind(
        "project",
        lambda i: f"/projects/{i}",
        lambda s, w: s.api.post("/projects", json={"title": "Site", "client_id": w.client["id"]}),
        {"title": "Site 2", "status": "closed"},
        True,
    ),
    Kind(
        "task",
        lambda i: f"/tasks/{i}",
        lambda s, w: s.api.post("/tasks", json={"title": "Copy", "project_id": w.project["id"]}),
        {"title": "Copy 2", "status": "WIP"},
        True,
    ),
    Kind(
        "comment",
        lambda i: f"/tasks/comments/{i}",
        lambda s, w: s.api.post(
            "/tasks/comments", json={"task_id": w.task["id"], "comment": "<p>First</p>"}
        ),
        {"comment": "<p>Second</p>"},
        False,
    ),
    Kind("effort", lambda i: f"/efforts/{i}", _effort, {"hours": 2, "description": "Calls"}, False),
]
FILE = Kind("file", lambda i: f"/files/{i}", _file, None, False)


def _act(space: Space, send: Callable[[], httpx.Response], status: int) -> tuple[Body, list[Event]]:
    before = last_seq(space)
    body = ok(send(), status)
    return body, outbox(space, before)


def _only(events: list[Event], kind: str, record_id: str) -> list[str]:
    """The event names of this record, in order."""
    return [
        e.event for e in events if e.event.startswith(f"{kind}:") and e.resource_id == record_id
    ]


@pytest.mark.parametrize("kind", [*KINDS, FILE], ids=lambda k: k.kind)
def test_every_action_writes_its_event_with_the_resource_as_get_shows_it(
    space: Space, kind: Kind
) -> None:
    api = space.api
    where = place(space)
    created, events = _act(space, lambda: kind.create(space, where), 201)
    record_id = created["id"]
    assert _only(events, kind.kind, record_id) == [f"{kind.kind}:create"]
    assert events[-1].data == ok(api.get(kind.item(record_id)))
    assert events[-1].changes is None
    assert events[-1].triggered_by is not None
    assert events[-1].triggered_by["id"] == space.integration_id

    if kind.update is not None:
        _, events = _act(space, lambda: api.patch(kind.item(record_id), json=kind.update), 200)
        assert _only(events, kind.kind, record_id) == [f"{kind.kind}:update"]
        shown = ok(api.get(kind.item(record_id)))
        assert events[-1].data == shown
        assert events[-1].changes is not None
        for name, value in kind.update.items():
            assert events[-1].changes[name] == {"from": created[name], "to": value}, name

    if kind.archive:
        _, events = _act(space, lambda: api.delete(kind.item(record_id)), 204)
        assert _only(events, kind.kind, record_id) == [f"{kind.kind}:delete"]
        archived = ok(api.get(kind.item(record_id)))
        assert archived["deleted_at"] is not None
        assert events[-1].data == archived

        _, events = _act(space, lambda: api.post(f"{kind.item(record_id)}/restore"), 200)
        assert _only(events, kind.kind, record_id) == [f"{kind.kind}:restore"]
        assert events[-1].data == ok(api.get(kind.item(record_id)))
        assert events[-1].data is not None and events[-1].data["deleted_at"] is None

    last_state = ok(api.get(kind.item(record_id)))
    gone = f"{kind.item(record_id)}/force" if kind.archive else kind.item(record_id)
    _, events = _act(space, lambda: api.delete(gone), 204)
    assert _only(events, kind.kind, record_id) == [f"{kind.kind}:force-delete"]
    assert events[-1].data == last_state
    assert api.get(kind.item(record_id)).status_code == 404


def test_deleting_a_file_announces_it_with_its_last_state(space: Space) -> None:
    api = space.api
    where = place(space)
    stored = upload(api, "task", where.task["id"])
    _, events = _act(space, lambda: api.delete(f"/files/{stored['id']}"), 204)
    assert [(e.event, e.resource_id, e.data) for e in events if e.event.startswith("file:")] == [
        ("file:force-delete", stored["id"], stored)
    ]
    assert events[-1].project_id == where.project["id"]


def test_an_archived_record_force_deleted_carries_its_archived_state(space: Space) -> None:
    api = space.api
    client = ok(api.post("/clients", json={"name": "Old"}), 201)
    ok(api.delete(f"/clients/{client['id']}"), 204)
    archived = ok(api.get(f"/clients/{client['id']}"))
    _, events = _act(space, lambda: api.delete(f"/clients/{client['id']}/force"), 204)
    assert [(e.event, e.data) for e in events] == [("client:force-delete", archived)]


def test_force_deleting_a_task_announces_its_family_comments_and_files(space: Space) -> None:
    api = space.api
    where = place(space)
    parent = where.task["id"]
    child = ok(
        api.post(
            "/tasks",
            json={"title": "Child", "project_id": where.project["id"], "parent_task_id": parent},
        ),
        201,
    )
    grandchild = ok(
        api.post(
            "/tasks",
            json={
                "title": "Grandchild",
                "project_id": where.project["id"],
                "parent_task_id": child["id"],
            },
        ),
        201,
    )
    comment = ok(api.post("/tasks/comments", json={"task_id": child["id"], "comment": "hi"}), 201)
    reply = ok(
        api.post(
            "/tasks/comments",
            json={"task_id": child["id"], "comment": "re", "parent_comment_id": comment["id"]},
        ),
        201,
    )
    task_file = upload(api, "task", grandchild["id"])
    comment_file = upload(api, "comment", comment["id"])
    shown = {i: ok(api.get(f"/tasks/{i}")) for i in (parent, child["id"], grandchild["id"])}

    _, events = _act(space, lambda: api.delete(f"/tasks/{parent}/force"), 204)
    gone = {(e.event, e.resource_id) for e in events}
    assert gone == {
        ("task:force-delete", parent),
        ("task:force-delete", child["id"]),
        ("task:force-delete", grandchild["id"]),
        ("comment:force-delete", comment["id"]),
        ("comment:force-delete", reply["id"]),
        ("file:force-delete", task_file["id"]),
        ("file:force-delete", comment_file["id"]),
    }
    assert len(events) == len(gone)
    for event in events:
        if event.event == "task:force-delete":
            assert event.data == shown[event.resource_id]
        assert event.project_id == where.project["id"]


def test_archiving_and_restoring_a_task_announces_its_sub_tasks(space: Space) -> None:
    api = space.api
    where = place(space)
    parent = where.task["id"]
    child = ok(
        api.post(
            "/tasks",
            json={"title": "Child", "project_id": where.project["id"], "parent_task_id": parent},
        ),
        201,
    )
    _, events = _act(space, lambda: api.delete(f"/tasks/{parent}"), 204)
    assert sorted((e.event, e.resource_id) for e in events) == sorted(
        [("task:delete", parent), ("task:delete", child["id"])]
    )
    by_id = {e.resource_id: e for e in events}
    assert by_id[child["id"]].data == ok(api.get(f"/tasks/{child['id']}"))
    assert by_id[child["id"]].data is not None
    assert by_id[child["id"]].data["deleted_at"] is not None

    _, events = _act(space, lambda: api.post(f"/tasks/{parent}/restore"), 200)
    assert sorted((e.event, e.resource_id) for e in events) == sorted(
        [("task:restore", parent), ("task:restore", child["id"])]
    )
    assert {e.resource_id: e.data for e in events}[child["id"]] == ok(
        api.get(f"/tasks/{child['id']}")
    )


def test_deleting_a_comment_announces_its_replies(space: Space) -> None:
    api = space.api
    where = place(space)
    top = ok(api.post("/tasks/comments", json={"task_id": where.task["id"], "comment": "a"}), 201)
    reply = ok(
        api.post(
            "/tasks/comments",
            json={"task_id": where.task["id"], "comment": "b", "parent_comment_id": top["id"]},
        ),
        201,
    )
    last = ok(api.get(f"/tasks/comments/{top['id']}"))
    _, events = _act(space, lambda: api.delete(f"/tasks/comments/{top['id']}"), 204)
    assert sorted((e.event, e.resource_id) for e in events) == sorted(
        [("comment:force-delete", top["id"]), ("comment:force-delete", reply["id"])]
    )
    assert {e.resource_id: e.data for e in events}[top["id"]] == last


def test_force_deleting_a_contact_is_a_contact_event_and_a_company_a_company_event(
    space: Space,
) -> None:
    api = space.api
    contact = ok(api.post("/contacts", json={"first_name": "Bo"}), 201)
    company = ok(api.post("/companies", json={"company_name": "Umbrella"}), 201)
    _, events = _act(space, lambda: api.delete(f"/contacts/{contact['id']}/force"), 204)
    assert [(e.event, e.resource_id) for e in events] == [("contact:force-delete", contact["id"])]
    _, events = _act(space, lambda: api.delete(f"/companies/{company['id']}/force"), 204)
    assert [(e.event, e.resource_id) for e in events] == [("company:force-delete", company["id"])]


def test_force_deleting_a_project_announces_it_its_files_and_efforts(space: Space) -> None:
    api = space.api
    where = place(space)
    project_file = upload(api, "project", where.project["id"])
    effort = ok(_effort(space, where), 201)
    last = ok(api.get(f"/projects/{where.project['id']}"))
    _, events = _act(space, lambda: api.delete(f"/projects/{where.project['id']}/force"), 204)
    named = {(e.event, e.resource_id): e for e in events}
    assert ("project:force-delete", where.project["id"]) in named
    assert ("file:force-delete", project_file["id"]) in named
    assert ("effort:force-delete", effort["id"]) in named
    assert named["project:force-delete", where.project["id"]].data == last
    assert named["effort:force-delete", effort["id"]].data == effort


def test_moving_a_project_to_another_client_announces_its_efforts(space: Space) -> None:
    api = space.api
    where = place(space)
    effort = ok(_effort(space, where), 201)
    other = ok(api.post("/clients", json={"name": "Other client"}), 201)
    _, events = _act(
        space,
        lambda: api.patch(f"/projects/{where.project['id']}", json={"client_id": other["id"]}),
        200,
    )
    moved = [e for e in events if e.event == "effort:update" and e.resource_id == effort["id"]]
    assert len(moved) == 1
    assert moved[0].changes == {"client_id": {"from": where.client["id"], "to": other["id"]}}
    assert moved[0].data == ok(api.get(f"/efforts/{effort['id']}"))


def test_each_kind_reaches_a_receiver_with_its_data(space: Space, settings: Settings) -> None:
    api = space.api
    where = place(space)
    stored = upload(api, "task", where.task["id"])  # before the webhook: only its removal counts
    with receiver() as hooks, running_worker(settings):
        events = ["project:*", "task:*", "comment:*", "effort:*", "file:*"]
        hook(space, hooks.url, events, project_id=where.project["id"])
        comment = ok(
            api.post("/tasks/comments", json={"task_id": where.task["id"], "comment": "x"}), 201
        )
        effort = ok(_effort(space, where), 201)
        got = hooks.wait_for(2)
        assert hooks.quiet_for(1.0) == got
        ok(api.delete(f"/files/{stored['id']}"), 204)
        ok(api.delete(f"/tasks/comments/{comment['id']}"), 204)
        got = hooks.wait_for(4)
        assert hooks.quiet_for(1.0) == got
    bodies = {b["event"]: b for b in (r.json for r in got)}
    assert set(bodies) == {
        "comment:create",
        "effort:create",
        "file:force-delete",
        "comment:force-delete",
    }
    assert bodies["comment:create"]["data"] == comment
    assert bodies["effort:create"]["data"] == ok(api.get(f"/efforts/{effort['id']}"))
    assert bodies["file:force-delete"]["data"] == stored
    assert bodies["comment:force-delete"]["data"] == comment
    assert bodies["comment:force-delete"]["resource"] == {"type": "comment", "id": comment["id"]}


def test_a_space_without_webhooks_records_changes_but_renders_nothing(world: World) -> None:
    quiet = world.new_space("No webhooks")
    before = last_seq(quiet)
    client = ok(quiet.api.post("/clients", json={"name": "Quiet"}), 201)
    ok(quiet.api.patch(f"/clients/{client['id']}", json={"name": "Quieter"}))
    events = outbox(quiet, before)
    assert [(e.event, e.resource_id) for e in events] == [
        ("client:create", client["id"]),
        ("client:update", client["id"]),
    ]
    assert events[1].changes == {"name": {"from": "Quiet", "to": "Quieter"}}
    assert all(e.data is None for e in events)
