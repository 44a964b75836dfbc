"""The outbox shares the request's transaction (webhooks.md §5): a request that fails after it
already flushed a change leaves no event and sends nothing; a committed one is delivered,
with `changes` naming each changed field's value before and after."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.settings import Settings
from kanbert.webhooks.models import WebhookDelivery

from eventkit import hook, last_seq, ok, outbox, place
from receiver import receiver, running_worker
from support import Space


def _deliveries(space: Space, webhook_id: str) -> int:
    async def count(session: AsyncSession) -> int:
        query = select(func.count()).where(WebhookDelivery.webhook_id == webhook_id)
        return int(await session.scalar(query) or 0)

    return space.world.run(count)


def _wrote_task(statements: list[str]) -> bool:
    return any(s.lstrip().upper().startswith("UPDATE TASKS") for s in statements)


def test_a_request_failing_after_its_flush_leaves_no_event_and_sends_nothing(
    space: Space, settings: Settings
) -> None:
    api = space.api
    where = place(space)
    task_id = where.task["id"]
    other = ok(api.post("/projects", json={"title": "Other", "client_id": where.client["id"]}), 201)
    with receiver() as hooks, running_worker(settings):
        webhooks = [
            hook(space, hooks.url, ["task:*"], project_id=where.project["id"]),
            hook(space, hooks.url, ["task:*"], project_id=other["id"]),
        ]
        before = last_seq(space)
        # The move to the other project is written (flushed) first; the unknown assignee is
        # refused afterwards, so the request rolls back a change the ORM already wrote.
        with space.world.count_statements() as statements:
            moved = api.patch(
                f"/tasks/{task_id}", json={"project_id": other["id"], "assignee_id": "nobody"}
            )
        assert moved.status_code == 422, moved.text
        assert "assignee_id" in moved.json()["errors"]
        assert _wrote_task(statements)
        assert hooks.quiet_for(1.5) == []
        assert outbox(space, before) == []
        assert [_deliveries(space, w) for w in webhooks] == [0, 0]
        unchanged = ok(api.get(f"/tasks/{task_id}"))
        assert unchanged["project_id"] == where.project["id"]
        assert unchanged["uri"] == where.task["uri"]

        # The same move, committed: written and delivered, to the webhooks of the project it
        # left and of the one it joined.
        ok(api.patch(f"/tasks/{task_id}", json={"project_id": other["id"]}))
        got = hooks.wait_for(2)
        assert hooks.quiet_for(1.0) == got
        assert [_deliveries(space, w) for w in webhooks] == [1, 1]
        assert got[0].json["id"] != got[1].json["id"]
    events = outbox(space, before)
    assert [(e.event, e.resource_id) for e in events] == [("task:update", task_id)]
    body = got[0].json
    assert (body["event"], body["resource"]["id"]) == ("task:update", task_id)
    assert body["changes"]["project_id"] == {"from": where.project["id"], "to": other["id"]}
    assert body["data"] == ok(api.get(f"/tasks/{task_id}"))
    assert body["changes"]["uri"] == {"from": where.task["uri"], "to": body["data"]["uri"]}


def test_a_refused_force_delete_leaves_no_event(space: Space, settings: Settings) -> None:
    api = space.api
    where = place(space)
    client_id = where.client["id"]
    with receiver() as hooks, running_worker(settings):
        webhook = hook(space, hooks.url, ["client:*", "project:*"])
        before = last_seq(space)
        # The client's last state is taken for its force-delete event, then the database
        # refuses the DELETE (a project still references the client): 409, all rolled back.
        refused = api.delete(f"/clients/{client_id}/force")
        assert refused.status_code == 409, refused.text
        assert hooks.quiet_for(1.5) == []
        assert outbox(space, before) == []
        assert _deliveries(space, webhook) == 0
        # Once the project is gone, the same request commits and is delivered.
        ok(api.delete(f"/projects/{where.project['id']}/force"), 204)
        ok(api.delete(f"/clients/{client_id}/force"), 204)
        got = hooks.wait_for(2)
        assert hooks.quiet_for(1.0) == got
    bodies = {r.json["event"]: r.json for r in got}
    assert bodies["project:force-delete"]["resource"]["id"] == where.project["id"]
    assert bodies["client:force-delete"]["resource"]["id"] == client_id
    assert bodies["client:force-delete"]["data"]["name"] == where.client["name"]


def test_a_task_update_names_each_changed_field(space: Space, settings: Settings) -> None:
    api = space.api
    where = place(space)
    task_id = where.task["id"]
    with receiver() as hooks, running_worker(settings):
        hook(space, hooks.url, ["task:update"], project_id=where.project["id"])
        body = {
            "title": "Build well",
            "estimated_hours": 2.5,
            "due_date": "2026-12-01",
            "assignee_id": space.owner_id,
            "is_onhold": True,
            "status": "Completed",
        }
        ok(api.patch(f"/tasks/{task_id}", json=body))
        got = hooks.wait_for(1)
        assert hooks.quiet_for(1.0) == got
    shown = ok(api.get(f"/tasks/{task_id}"))
    delivered = got[0].json
    assert delivered["data"] == shown
    assert delivered["changes"] == {
        "title": {"from": "Build", "to": "Build well"},
        "estimated_hours": {"from": None, "to": 2.5},
        "due_date": {"from": None, "to": "2026-12-01"},
        "assignee_id": {"from": None, "to": space.owner_id},
        "is_onhold": {"from": False, "to": True},
        "status": {"from": "New", "to": "Completed"},
        "completed_at": {"from": None, "to": shown["completed_at"]},
    }


def test_a_company_update_names_each_changed_field(space: Space, settings: Settings) -> None:
    api = space.api
    client = ok(api.post("/clients", json={"name": "Owner"}), 201)
    company = ok(
        api.post("/companies", json={"company_name": "Globex", "email": "old@globex.example"}),
        201,
    )
    with receiver() as hooks, running_worker(settings):
        hook(space, hooks.url, ["company:*"])
        body = {
            "company_name": "Globex AG",
            "email": "info@globex.example",
            "address_invoice_town": "Vienna",
            "taxation_enabled": True,
            "client_id": client["id"],
        }
        ok(api.patch(f"/companies/{company['id']}", json=body))
        got = hooks.wait_for(1)
        assert hooks.quiet_for(1.0) == got
    delivered = got[0].json
    assert delivered["event"] == "company:update"
    assert delivered["data"] == ok(api.get(f"/companies/{company['id']}"))
    assert delivered["changes"] == {
        "company_name": {"from": "Globex", "to": "Globex AG"},
        "email": {"from": "old@globex.example", "to": "info@globex.example"},
        "address_invoice_town": {"from": None, "to": "Vienna"},
        "taxation_enabled": {"from": False, "to": True},
        "client_id": {"from": None, "to": client["id"]},
    }
