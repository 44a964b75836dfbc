"""Which changes reach which webhook (webhooks.md §3): project, client and space-wide scopes,
event filters, other spaces, and guest-invisible data (webhooks belong to integrations)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from kanbert.settings import Settings
from kanbert.users.models import UserType

from eventkit import hook, ok, place, stored_hook, upload
from receiver import Receiver, receiver, running_worker
from support import Space

KINDS = ("client", "company", "contact", "project", "task", "comment", "effort", "file")
ALL = [f"{kind}:*" for kind in KINDS]
# What registration allows without a project (webhooks.md §2: no task:* or comment:*).
UNSCOPED = [f"{kind}:*" for kind in KINDS if kind not in ("task", "comment")]


@dataclass
class Estate:
    """Two clients; C1 with projects P and Q, C2 with project R; something of every kind."""

    ids: dict[str, str]


def _estate(space: Space) -> Estate:
    api = space.api
    ids: dict[str, str] = {}
    first = place(space, "Acme")
    ids |= {"C1": first.client["id"], "P": first.project["id"], "tP": first.task["id"]}
    q = ok(api.post("/projects", json={"title": "Q", "client_id": ids["C1"]}), 201)
    ids["Q"] = q["id"]
    ids["tQ"] = ok(api.post("/tasks", json={"title": "Q task", "project_id": ids["Q"]}), 201)["id"]
    second = place(space, "Beta")
    ids |= {"C2": second.client["id"], "R": second.project["id"], "tR": second.task["id"]}
    for name, client in (("K1", "C1"), ("K2", "C2"), ("K0", None)):
        body = {"company_name": name, "client_id": ids[client] if client else None}
        ids[name] = ok(api.post("/companies", json=body), 201)["id"]
    for name, client in (("N1", "C1"), ("N2", "C2")):
        body = {"first_name": name, "client_id": ids[client]}
        ids[name] = ok(api.post("/contacts", json=body), 201)["id"]
    for task in ("tP", "tQ"):
        comment = {"task_id": ids[task], "comment": f"on {task}"}
        ids[f"c{task[1]}"] = ok(api.post("/tasks/comments", json=comment), 201)["id"]
        ids[f"f{task[1]}"] = upload(api, "task", ids[task])["id"]
    for project in ("P", "Q", "R", None):
        body = {"date": "2026-11-02", "hours": 1, "user_id": space.owner_id}
        if project:
            body["project_id"] = ids[project]
        ids[f"e{project or 'A'}"] = ok(api.post("/efforts", json=body), 201)["id"]
    return Estate(ids)


def _stir(space: Space, estate: Estate) -> None:
    """One change to everything of the estate: an update, or for files a delete."""
    api = space.api
    ids = estate.ids
    for name in ("C1", "C2"):
        ok(api.patch(f"/clients/{ids[name]}", json={"name": f"{name} renamed"}))
    for name in ("K1", "K2", "K0"):
        ok(api.patch(f"/companies/{ids[name]}", json={"email": f"{name.lower()}@example.com"}))
    for name in ("N1", "N2"):
        ok(api.patch(f"/contacts/{ids[name]}", json={"last_name": "Renamed"}))
    for name in ("P", "Q", "R"):
        ok(api.patch(f"/projects/{ids[name]}", json={"description": "<p>Now</p>"}))
    for name in ("tP", "tQ", "tR"):
        ok(api.patch(f"/tasks/{ids[name]}", json={"status": "WIP"}))
    for name in ("cP", "cQ"):
        ok(api.patch(f"/tasks/comments/{ids[name]}", json={"comment": "<p>edited</p>"}))
    for name in ("eP", "eQ", "eR", "eA"):
        ok(api.patch(f"/efforts/{ids[name]}", json={"hours": 2}))
    for name in ("fP", "fQ"):
        ok(api.delete(f"/files/{ids[name]}"), 204)


def _seen(hooks: Receiver, count: int) -> set[tuple[str, str]]:
    got = hooks.wait_for(count)
    assert hooks.quiet_for(1.0) == got, [r.json["event"] for r in hooks.quiet_for(0)]
    seen = [(r.json["event"], r.json["resource"]["id"]) for r in got]
    assert len(seen) == len(set(seen)), seen
    return set(seen)


def test_each_scope_receives_exactly_its_changes(
    space: Space, other_space: Space, settings: Settings
) -> None:
    estate = _estate(space)
    elsewhere = _estate(other_space)
    ids = estate.ids
    with contextlib.ExitStack() as stack:
        by_project, by_client, space_wide, foreign, client_all, space_all = (
            stack.enter_context(receiver()) for _ in range(6)
        )
        # Every resource registration allows in the filters: only the scope decides.
        hook(space, by_project.url, ALL, project_id=ids["P"])
        hook(space, by_client.url, UNSCOPED, client_id=ids["C1"])
        hook(space, space_wide.url, UNSCOPED)
        # Even with task:* and comment:* in their filters (stored directly: the API refuses
        # them), client and space-wide webhooks get no task, comment or file events.
        stored_hook(space, client_all.url, ALL, client_id=ids["C1"])
        stored_hook(space, space_all.url, ALL)
        # A webhook of the other space scoped to its own P: nothing of this space reaches it.
        hook(other_space, foreign.url, ALL, project_id=elsewhere.ids["P"])
        stack.enter_context(running_worker(settings))
        _stir(space, estate)
        _stir(other_space, elsewhere)

        def named(*pairs: tuple[str, str]) -> set[tuple[str, str]]:
            return {(event, ids[name]) for event, name in pairs}

        assert _seen(by_project, 5) == named(
            ("project:update", "P"),
            ("task:update", "tP"),
            ("comment:update", "cP"),
            ("effort:update", "eP"),
            ("file:force-delete", "fP"),
        )
        for_client = named(
            ("client:update", "C1"),
            ("company:update", "K1"),
            ("contact:update", "N1"),
            ("project:update", "P"),
            ("project:update", "Q"),
            ("effort:update", "eP"),
            ("effort:update", "eQ"),
        )
        assert _seen(by_client, 7) == for_client
        assert _seen(client_all, 7) == for_client
        for_space = named(
            ("client:update", "C1"),
            ("client:update", "C2"),
            ("company:update", "K1"),
            ("company:update", "K2"),
            ("company:update", "K0"),
            ("contact:update", "N1"),
            ("contact:update", "N2"),
            ("project:update", "P"),
            ("project:update", "Q"),
            ("project:update", "R"),
            ("effort:update", "eP"),
            ("effort:update", "eQ"),
            ("effort:update", "eR"),
            ("effort:update", "eA"),
        )
        assert _seen(space_wide, 14) == for_space
        assert _seen(space_all, 14) == for_space
        theirs = elsewhere.ids
        assert _seen(foreign, 5) == {
            ("project:update", theirs["P"]),
            ("task:update", theirs["tP"]),
            ("comment:update", theirs["cP"]),
            ("effort:update", theirs["eP"]),
            ("file:force-delete", theirs["fP"]),
        }


def test_an_event_filter_lets_only_its_events_through(space: Space, settings: Settings) -> None:
    api = space.api
    where = place(space)
    with receiver() as hooks, running_worker(settings):
        hook(space, hooks.url, ["task:update"], project_id=where.project["id"])
        new_task = {"title": "New", "project_id": where.project["id"]}
        created = ok(api.post("/tasks", json=new_task), 201)
        ok(api.patch(f"/tasks/{where.task['id']}", json={"title": "Changed"}))
        ok(api.delete(f"/tasks/{where.task['id']}"), 204)  # update, then delete: only the update
        ok(api.patch(f"/projects/{where.project['id']}", json={"title": "Renamed"}))
        got = hooks.wait_for(1)
        assert hooks.quiet_for(1.5) == got
    assert [(r.json["event"], r.json["resource"]["id"]) for r in got] == [
        ("task:update", where.task["id"])
    ]
    assert created["id"] != where.task["id"]


def test_a_task_moved_to_another_project_is_announced_to_both_projects(
    space: Space, settings: Settings
) -> None:
    api = space.api
    where = place(space)
    other = ok(api.post("/projects", json={"title": "Other", "client_id": where.client["id"]}), 201)
    with (
        receiver() as left,
        receiver() as joined,
        receiver() as elsewhere,
        running_worker(settings),
    ):
        hook(space, left.url, ["task:*"], project_id=where.project["id"])
        hook(space, joined.url, ["task:*"], project_id=other["id"])
        unrelated_project = {"title": "Unrelated", "client_id": where.client["id"]}
        unrelated = ok(api.post("/projects", json=unrelated_project), 201)
        hook(space, elsewhere.url, ["task:*"], project_id=unrelated["id"])
        ok(api.patch(f"/tasks/{where.task['id']}", json={"project_id": other["id"]}))
        got = {"left": left.wait_for(1), "joined": joined.wait_for(1)}
        assert elsewhere.quiet_for(1.0) == []
    for name, received in got.items():
        assert [r.json["event"] for r in received] == ["task:update"], name
        body = received[0].json
        assert body["changes"]["project_id"] == {
            "from": where.project["id"],
            "to": other["id"],
        }, name
        assert body["data"]["project_id"] == other["id"], name


def _guest(space: Space, project_id: str) -> tuple[str, Any]:
    guest_id = space.add_user("guest@example.com", UserType.guest)
    ok(space.api.put(f"/projects/{project_id}/guests/{guest_id}"))
    scopes = ["task-management:read", "task-management:write"]
    return guest_id, space.token(scopes, user_id=guest_id)


def test_guest_invisible_tasks_and_comments_reach_the_integrations_webhook_in_full(
    space: Space, settings: Settings
) -> None:
    api = space.api
    where = place(space)
    project_id = where.project["id"]
    guest_id, guest = _guest(space, project_id)
    with receiver() as hooks, running_worker(settings):
        hook(space, hooks.url, ["task:*", "comment:*"], project_id=project_id)
        secret_task = {"title": "Internal", "project_id": project_id, "is_public": False}
        hidden = ok(api.post("/tasks", json=secret_task), 201)
        internal = {"task_id": where.task["id"], "comment": "<p>internal</p>", "is_public": False}
        note = ok(api.post("/tasks/comments", json=internal), 201)
        got = hooks.wait_for(2)
        assert hooks.quiet_for(1.0) == got
    # The guest indeed cannot see them; the integration's webhook gets them whole.
    assert guest.get(f"/tasks/{hidden['id']}").status_code == 404
    assert guest.get(f"/tasks/comments/{note['id']}").status_code == 404
    bodies = {r.json["event"]: r.json for r in got}
    assert bodies["task:create"]["data"] == ok(api.get(f"/tasks/{hidden['id']}"))
    assert bodies["task:create"]["data"]["is_public"] is False
    assert bodies["comment:create"]["data"] == ok(api.get(f"/tasks/comments/{note['id']}"))
    assert bodies["comment:create"]["data"]["is_public"] is False
    assert guest_id  # the guest exists and is on the project


def test_a_guests_change_is_delivered_as_triggered_by_the_guest(
    space: Space, settings: Settings
) -> None:
    where = place(space)
    project_id = where.project["id"]
    guest_id, guest = _guest(space, project_id)
    with receiver() as hooks, running_worker(settings):
        hook(space, hooks.url, ["comment:*"], project_id=project_id)
        comment = ok(
            guest.post("/tasks/comments", json={"task_id": where.task["id"], "comment": "Hi"}), 201
        )
        got = hooks.wait_for(1)
        assert hooks.quiet_for(1.0) == got
    body = got[0].json
    assert body["event"] == "comment:create"
    assert body["triggered_by"]["id"] == guest_id
    assert body["triggered_by"]["type"] == "guest"
    assert body["data"] == ok(space.api.get(f"/tasks/comments/{comment['id']}"))
