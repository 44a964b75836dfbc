"""Effort operations: bodies, rules, status codes and scopes."""

from __future__ import annotations

from typing import Any

import pytest

from effort_work import add_epic, add_phase, add_task, client, effort, made, project
from support import Space

EFFORT_FIELDS = {
    "id", "external_id", "external_origin", "type", "date", "hours", "description",
    "is_billable", "user", "project", "client", "task", "phase", "epic", "effort_type",
    "created_at", "updated_at",
}  # fmt: skip


def test_project_effort_renders_every_field(space: Space) -> None:
    acme = client(space.api)
    web = project(space.api, acme["id"])
    task = add_task(space, web["id"], title="Build the shop")
    phase_id = add_phase(space, web["id"])
    epic_id = add_epic(space, web["id"])
    kind = made(space.api.post("/effort-types", json={"title": "Development"}))
    created = effort(
        space.api,
        user_id=space.owner_id,
        project_id=web["id"],
        task_id=task["id"],
        phase_id=phase_id,
        epic_id=epic_id,
        effort_type_id=kind["id"],
        hours=1.2345,
        date="2026-11-03",
        description="Checkout page",
        external_id="E-1",
    )
    assert set(created) == EFFORT_FIELDS
    assert created["type"] == "project" and created["date"] == "2026-11-03"
    assert created["hours"] == 1.2345 and created["is_billable"] is True
    assert created["description"] == "Checkout page"
    assert created["user"]["id"] == space.owner_id and created["user"]["space"]["id"] == space.id
    assert created["project"]["id"] == web["id"] and created["project"]["title"] == "Website"
    assert created["project"]["client"]["id"] == acme["id"]
    # The client follows the project.
    assert created["client"]["id"] == acme["id"] and created["client"]["name"] == "Acme"
    assert created["task"] == task
    assert created["phase"]["id"] == phase_id and created["phase"]["project_id"] == web["id"]
    assert created["epic"] == {"id": epic_id, "title": "Checkout", "po_number": None}
    assert created["effort_type"] == {"id": kind["id"], "title": "Development"}
    assert (created["external_id"], created["external_origin"]) == ("E-1", "setup-integration")

    shown = space.api.get(f"/efforts/{created['id']}")
    assert shown.status_code == 200 and shown.json() == created
    assert shown.headers["ETag"]
    by_external = space.api.get("/efforts/E-1", params={"find_by": "external_id"})
    assert by_external.status_code == 200 and by_external.json()["id"] == created["id"]


def test_admin_effort_has_no_project_and_whole_hours_are_integers(space: Space) -> None:
    created = effort(space.api, user_id=space.owner_id, hours=8, is_billable=False)
    assert created["type"] == "admin"
    assert created["project"] is None and created["client"] is None and created["task"] is None
    assert created["hours"] == 8 and isinstance(created["hours"], int)
    assert created["is_billable"] is False
    # `type` may be sent when it agrees.
    agreed = effort(space.api, user_id=space.owner_id, type="admin")
    assert agreed["type"] == "admin"


def test_hours_are_stored_exactly(space: Space) -> None:
    created = effort(space.api, user_id=space.owner_id, hours=0.1)
    assert created["hours"] == 0.1
    again = space.api.get(f"/efforts/{created['id']}").json()
    assert again["hours"] == 0.1
    text = effort(space.api, user_id=space.owner_id, hours="23.9999")
    assert text["hours"] == 23.9999


def test_an_integration_must_name_the_user(space: Space) -> None:
    response = space.api.post("/efforts", json={"date": "2026-11-02", "hours": 1})
    assert response.status_code == 422
    assert "user_id" in response.json()["errors"]
    unknown = space.api.post(
        "/efforts", json={"date": "2026-11-02", "hours": 1, "user_id": "nobody"}
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"]["user_id"] == ["The selected user does not exist."]


@pytest.mark.parametrize(
    ("hours", "problem"),
    [
        (0, "greater than 0"),
        (-1, "greater than 0"),
        (24.5, "less than or equal to 24"),
        (1.23456, "no more than 4 decimal places"),
        ("many", "valid decimal"),
        (None, "should be an integer, float, string or Decimal"),
    ],
)
def test_bad_hours_are_422(space: Space, hours: Any, problem: str) -> None:
    body = {"date": "2026-11-02", "hours": hours, "user_id": space.owner_id}
    response = space.api.post("/efforts", json=body)
    assert response.status_code == 422, response.text
    assert problem in " ".join(response.json()["errors"]["hours"])


def test_type_must_agree_with_the_project(space: Space) -> None:
    web = project(space.api, client(space.api)["id"])
    base = {"date": "2026-11-02", "hours": 1, "user_id": space.owner_id}
    without = space.api.post("/efforts", json={**base, "type": "project"})
    assert without.status_code == 422
    assert without.json()["errors"]["project_id"] == ["A project effort needs a project_id."]
    admin = space.api.post("/efforts", json={**base, "type": "admin", "project_id": web["id"]})
    assert admin.status_code == 422
    assert "admin effort has no project" in admin.json()["errors"]["project_id"][0]
    missing = space.api.post("/efforts", json={**base, "project_id": "nope"})
    assert missing.status_code == 422
    assert missing.json()["errors"]["project_id"] == ["The selected project does not exist."]
    wrong_type = space.api.post("/efforts", json={**base, "type": "meeting"})
    assert wrong_type.status_code == 422 and "type" in wrong_type.json()["errors"]


def test_task_phase_and_epic_must_be_of_the_effort_project(space: Space) -> None:
    acme = client(space.api)["id"]
    web, shop = project(space.api, acme), project(space.api, acme, title="Shop")
    foreign = {
        "task_id": add_task(space, shop["id"])["id"],
        "phase_id": add_phase(space, shop["id"]),
        "epic_id": add_epic(space, shop["id"]),
    }
    base = {"date": "2026-11-02", "hours": 1, "user_id": space.owner_id}
    for field, value in foreign.items():
        response = space.api.post("/efforts", json={**base, "project_id": web["id"], field: value})
        assert response.status_code == 422, response.text
        noun = field.removesuffix("_id")
        assert response.json()["errors"][field] == [
            f"The selected {noun} is not one of the effort's project."
        ]
        admin = space.api.post("/efforts", json={**base, field: value})
        assert admin.status_code == 422
        assert admin.json()["errors"][field] == [f"An admin effort has no {noun}."]
    archived_task = add_task(space, web["id"])
    space.world.run(lambda s: _archive_task(s, archived_task["id"]))
    response = space.api.post(
        "/efforts", json={**base, "project_id": web["id"], "task_id": archived_task["id"]}
    )
    assert response.status_code == 422
    unknown_type = space.api.post("/efforts", json={**base, "effort_type_id": "nope"})
    assert unknown_type.status_code == 422
    assert unknown_type.json()["errors"]["effort_type_id"]


async def _archive_task(session: Any, task_id: str) -> None:
    from kanbert.kit.timefmt import utcnow
    from kanbert.tasks.models import Task

    (await session.get(Task, task_id)).deleted_at = utcnow()


def test_update_and_delete(space: Space) -> None:
    acme = client(space.api)
    web = project(space.api, acme["id"])
    task = add_task(space, web["id"])
    created = effort(space.api, user_id=space.owner_id, project_id=web["id"], task_id=task["id"])
    updated = space.api.patch(
        f"/efforts/{created['id']}",
        json={"hours": 2.5, "description": "More", "is_billable": False},
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert (body["hours"], body["description"], body["is_billable"]) == (2.5, "More", False)
    assert body["task"] == task and body["updated_at"] >= created["updated_at"]
    # Moving to another project keeps a task of the old one: refused, naming the task.
    shop = project(space.api, acme["id"], title="Shop")
    moved = space.api.patch(f"/efforts/{created['id']}", json={"project_id": shop["id"]})
    assert moved.status_code == 422 and "task_id" in moved.json()["errors"]
    moved = space.api.patch(
        f"/efforts/{created['id']}", json={"project_id": shop["id"], "task_id": None}
    )
    assert moved.status_code == 200 and moved.json()["project"]["id"] == shop["id"]
    assert moved.json()["task"] is None
    # Without a project it becomes an admin effort, without a client.
    admin = space.api.patch(f"/efforts/{created['id']}", json={"project_id": None})
    assert admin.status_code == 200
    assert (admin.json()["type"], admin.json()["client"]) == ("admin", None)
    for field in ("hours", "date", "is_billable", "user_id"):
        cleared = space.api.patch(f"/efforts/{created['id']}", json={field: None})
        assert cleared.status_code == 422 and field in cleared.json()["errors"]
    too_long = space.api.patch(f"/efforts/{created['id']}", json={"hours": 25})
    assert too_long.status_code == 422
    stale = space.api.patch(
        f"/efforts/{created['id']}", json={"hours": 3}, headers={"If-Match": '"stale"'}
    )
    assert stale.status_code == 412

    assert space.api.delete(f"/efforts/{created['id']}").status_code == 204
    assert space.api.get(f"/efforts/{created['id']}").status_code == 404
    assert space.api.delete(f"/efforts/{created['id']}").status_code == 404


def test_scopes(space: Space) -> None:
    created = effort(space.api, user_id=space.owner_id)
    reader = space.token(["efforts:read", "efforts:extended:read"])
    writer = space.token(["efforts:write"])
    nothing = space.token([])
    for api in (writer, nothing):
        for path in ("/efforts", f"/efforts/{created['id']}", "/efforts/summary?group_by=user"):
            response = api.get(path)
            assert response.status_code == 403, path
            assert response.json()["message"] == "This action requires the scope efforts:read."
    for api in (reader, nothing):
        posted = api.post("/efforts", json={"date": "2026-11-02", "hours": 1})
        assert posted.status_code == 403
        assert posted.json()["message"] == "This action requires the scope efforts:write."
        assert api.patch(f"/efforts/{created['id']}", json={"hours": 2}).status_code == 403
        assert api.delete(f"/efforts/{created['id']}").status_code == 403
    assert reader.get(f"/efforts/{created['id']}").status_code == 200
    assert writer.patch(f"/efforts/{created['id']}", json={"hours": 2}).status_code == 404
    # 404 above: this token has no efforts:extended:read, so the admin effort is not there.
    project_effort = effort(
        space.api,
        user_id=space.owner_id,
        project_id=project(space.api, client(space.api)["id"])["id"],
    )
    assert writer.patch(f"/efforts/{project_effort['id']}", json={"hours": 2}).status_code == 200
    assert writer.delete(f"/efforts/{project_effort['id']}").status_code == 204


def test_another_space_sees_nothing(space: Space, other_space: Space) -> None:
    web = project(space.api, client(space.api)["id"])
    created = effort(space.api, user_id=space.owner_id, project_id=web["id"])
    assert other_space.api.get(f"/efforts/{created['id']}").status_code == 404
    assert other_space.api.patch(f"/efforts/{created['id']}", json={"hours": 2}).status_code == 404
    assert other_space.api.get("/efforts").json()["data"] == []
    foreign = other_space.api.post(
        "/efforts",
        json={
            "date": "2026-11-02",
            "hours": 1,
            "user_id": other_space.owner_id,
            "project_id": web["id"],
        },
    )
    assert foreign.status_code == 422 and "project_id" in foreign.json()["errors"]
    stranger = other_space.api.post(
        "/efforts", json={"date": "2026-11-02", "hours": 1, "user_id": space.owner_id}
    )
    assert stranger.status_code == 422 and "user_id" in stranger.json()["errors"]


@pytest.mark.parametrize("raw", ["1.00000000000000001", "24.00000000000000001", "0.00001"])
def test_json_numbers_are_read_without_float_rounding(space: Space, raw: str) -> None:
    # As floats these would be 1, 24 and 1e-05: the first two would pass unnoticed.
    body = f'{{"date": "2026-11-02", "user_id": "{space.owner_id}", "hours": {raw}}}'
    response = space.api.post(
        "/efforts", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"]["hours"] == [
        "Decimal input should have no more than 4 decimal places"
    ]


def test_malformed_json_and_idempotent_replay(space: Space) -> None:
    headers = {"Content-Type": "application/json"}
    broken = space.api.post("/efforts", content='{"hours": 1.5,', headers=headers)
    assert broken.status_code == 400 and broken.json()["message"].startswith("Malformed JSON")
    body = {"date": "2026-11-02", "hours": 2.5, "user_id": space.owner_id}
    first = space.api.post("/efforts", json=body, headers={"Idempotency-Key": "k-1"})
    again = space.api.post("/efforts", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert len(space.api.walk("/efforts")) == 1
