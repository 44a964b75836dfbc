"""Task operations: bodies, rules, status codes and scopes."""

from __future__ import annotations

from typing import Any

import pytest

from kanbert.auth.scopes import ALL_SCOPES
from kanbert.settings import Settings
from kanbert.users.models import UserType

from support import Space, World
from taskkit import client, made, project, structure, task

TASK_FIELDS = {
    "id", "project_id", "client_id", "parent_task_id", "external_id", "external_origin", "uri",
    "title", "description", "status", "type", "estimated_hours", "is_onhold", "is_public",
    "due_date", "due_date_settings", "assignee", "priorityOption", "phase", "milestone", "epic",
    "attachements", "completed_at", "closed_at", "updated_at", "created_at", "list_sorting",
    "custom_fields", "deleted_at",
}  # fmt: skip
USER_FIELDS = {"id", "first_name", "last_name", "email", "type", "space"}


def _option(space: Space, title: str = "High", **fields: Any) -> dict[str, Any]:
    return made(space.api.post("/priority-options", json={"title": title, **fields}))


def test_a_task_with_every_field_reads_back_as_the_schema_says(world: World, space: Space) -> None:
    api = space.api
    client_id = client(api)
    proj = project(api, client_id)
    parts = structure(world, space, proj["id"])
    assignee = space.add_user("ann@example.com", first_name="Ann", last_name="Lee")
    watcher = space.add_user("bob@example.com")
    option = _option(space, color="#f00", order=2)
    made(
        api.post(
            "/custom-fields",
            json={
                "entity_type": "task",
                "field_name": "effort",
                "title": "Effort",
                "type": "number",
            },
        )
    )
    parent = task(api, proj["id"], "Parent")
    created = task(
        api,
        proj["id"],
        "Build checkout",
        parent_task_id=parent["id"],
        description='<p>Hi <mention data-id="x"></mention><script>alert(1)</script></p>',
        status="WIP",
        type="bug",
        estimated_hours=2.5,
        is_onhold=True,
        is_public=False,
        due_date="2026-02-01",
        due_date_settings={"repeat": "weekly"},
        assignee_id=assignee,
        priority_option_id=option["id"],
        phase_id=parts["phase"],
        milestone_id=parts["milestone"],
        epic_id=parts["epic"],
        watcher_ids=[watcher],
        list_sorting=7,
        custom_fields={"effort": 3},
        external_id="T-1",
    )
    assert set(created) == TASK_FIELDS
    assert created["project_id"] == proj["id"] and created["client_id"] == client_id
    assert created["parent_task_id"] == parent["id"]
    assert created["uri"] == "WEB-2" and created["title"] == "Build checkout"
    assert "<script>" not in created["description"]
    assert '<mention data-id="x">' in created["description"]
    assert (created["status"], created["type"]) == ("WIP", "bug")
    assert created["estimated_hours"] == 2.5
    assert created["is_onhold"] is True and created["is_public"] is False
    assert created["due_date"] == "2026-02-01"
    assert created["due_date_settings"] == {"repeat": "weekly"}
    assert set(created["assignee"]) == USER_FIELDS and created["assignee"]["id"] == assignee
    assert created["priorityOption"] == option
    assert option == {"id": option["id"], "title": "High", "color": "#f00", "order": 2}
    assert created["phase"]["id"] == parts["phase"]
    assert created["phase"]["phase_type"]["title"] == "Build"
    assert created["phase"]["group"]["title"] == "Stage 1"
    assert created["milestone"]["id"] == parts["milestone"]
    assert created["milestone"]["date"] == "2026-03-01"
    assert created["epic"] == {"id": parts["epic"], "title": "Checkout", "po_number": "PO-1"}
    assert created["attachements"] == []
    assert created["completed_at"] is None and created["closed_at"] is None
    assert created["list_sorting"] == 7
    assert created["custom_fields"] == {"effort": 3}
    assert created["external_id"] == "T-1" and created["external_origin"]
    assert created["deleted_at"] is None
    # Includes are absent unless asked for.
    assert not {"project", "client", "watchers", "parent_task", "sub_tasks"} & set(created)

    upload = api.post(
        "/files",
        data={"entity_type": "task", "entity_id": created["id"]},
        files={"file": ("spec.pdf", b"%PDF-1.4 spec", "application/pdf")},
    )
    file_row = made(upload)
    shown = made(
        api.get(
            f"/tasks/{created['id']}",
            params={"include": "project,client,watchers,parent_task,sub_tasks"},
        ),
        200,
    )
    assert shown["attachements"] == [file_row]
    assert file_row["entity_type"] == "task" and file_row["size"] == len(b"%PDF-1.4 spec")
    assert shown["project"]["id"] == proj["id"] and shown["project"]["shortcode"] == "WEB"
    assert shown["client"]["id"] == client_id and shown["client"]["name"] == "Acme Corp"
    assert [user["id"] for user in shown["watchers"]] == [watcher]
    assert set(shown["watchers"][0]) == USER_FIELDS
    assert shown["parent_task"]["id"] == parent["id"]
    assert shown["sub_tasks"] == []
    parent_shown = made(api.get(f"/tasks/{parent['id']}", params={"include": "sub_tasks"}), 200)
    assert [sub["id"] for sub in parent_shown["sub_tasks"]] == [created["id"]]
    assert parent_shown["sub_tasks"][0]["uri"] == "WEB-2"


def test_defaults_find_by_and_etag(space: Space) -> None:
    api = space.api
    proj = project(api, client(api))
    created = task(api, proj["id"], external_id="EXT-9")
    assert created["status"] == "New" and created["type"] == "task"
    assert created["is_public"] is True and created["is_onhold"] is False
    assert created["estimated_hours"] is None and created["due_date_settings"] == {}
    response = api.get(f"/tasks/{created['id']}")
    assert response.status_code == 200 and response.headers["ETag"]
    by_uri = api.get("/tasks/web-1", params={"find_by": "uri"})
    assert by_uri.status_code == 200 and by_uri.json()["id"] == created["id"]
    by_external = api.get("/tasks/EXT-9", params={"find_by": "external_id"})
    assert by_external.status_code == 200 and by_external.json()["id"] == created["id"]
    assert api.get("/tasks/nope").status_code == 404
    assert api.get("/tasks/x", params={"find_by": "title"}).status_code == 400
    stale = api.patch(
        f"/tasks/{created['id']}", json={"title": "New"}, headers={"If-Match": '"stale"'}
    )
    assert stale.status_code == 412
    fresh = api.patch(
        f"/tasks/{created['id']}",
        json={"title": "New", "estimated_hours": 3},
        headers={"If-Match": response.headers["ETag"]},
    )
    assert fresh.status_code == 200 and fresh.json()["title"] == "New"
    assert fresh.json()["estimated_hours"] == 3


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("project_id", "nope"),
        ("parent_task_id", "nope"),
        ("assignee_id", "nope"),
        ("priority_option_id", "nope"),
        ("phase_id", "nope"),
        ("milestone_id", "nope"),
        ("epic_id", "nope"),
        ("watcher_ids", ["nope"]),
        ("estimated_hours", -1),
        ("status", "Done"),
        ("estimated_hours", 9999999999.999),  # rounds past the column's 10 digits
        ("due_date_settings", {"x": "y" * 5000}),
        ("due_date_settings", _nested(40)),  # small, but too deep to answer with
        ("list_sorting", 2**31),
        ("due_date", "0001-01-01"),  # PostgreSQL's driver would store -infinity
        ("title", ""),
    ],
)
def test_bad_fields_are_422_naming_the_field(space: Space, field: str, value: Any) -> None:
    api = space.api
    proj = project(api, client(api))
    body = {"title": "T", "project_id": proj["id"], field: value}
    response = api.post("/tasks", json=body)
    assert response.status_code == 422, response.text
    assert field in response.json()["errors"]


def test_references_must_belong_to_the_project_and_space(
    world: World, space: Space, other_space: Space
) -> None:
    api = space.api
    client_id = client(api)
    first = project(api, client_id, "ONE")
    second = project(api, client_id, "TWO")
    parts = structure(world, space, second["id"])
    other_task = task(api, second["id"])
    for field, value in [
        ("phase_id", parts["phase"]),
        ("milestone_id", parts["milestone"]),
        ("epic_id", parts["epic"]),
        ("parent_task_id", other_task["id"]),
    ]:
        response = api.post("/tasks", json={"title": "T", "project_id": first["id"], field: value})
        assert response.status_code == 422 and field in response.json()["errors"], field
    foreign = project(other_space.api, client(other_space.api))
    response = api.post("/tasks", json={"title": "T", "project_id": foreign["id"]})
    assert response.status_code == 422
    foreign_option = _option(other_space)
    response = api.post(
        "/tasks",
        json={"title": "T", "project_id": first["id"], "priority_option_id": foreign_option["id"]},
    )
    assert response.status_code == 422
    archived = project(api, client_id, "OLD")
    assert api.delete(f"/projects/{archived['id']}").status_code == 204
    response = api.post("/tasks", json={"title": "T", "project_id": archived["id"]})
    assert response.status_code == 422 and "project_id" in response.json()["errors"]


def test_status_transitions(space: Space) -> None:
    api = space.api
    proj = project(api, client(api))
    created = task(api, proj["id"])

    def move(status: str) -> dict[str, Any]:
        return made(api.patch(f"/tasks/{created['id']}", json={"status": status}), 200)

    completed = move("Completed")
    assert completed["completed_at"] and completed["closed_at"] is None
    approved = move("Approved")
    assert approved["completed_at"] == completed["completed_at"]
    closed = move("Closed")
    assert closed["closed_at"] and closed["completed_at"] == completed["completed_at"]
    reopened = move("WIP")
    assert reopened["completed_at"] is None and reopened["closed_at"] is None
    # (D) Approved straight from an open status counts as completed now.
    assert move("Approved")["completed_at"]
    assert move("Backlog")["completed_at"] is None
    # (D) Closed straight from an open status: closed, never completed.
    closed_directly = move("Closed")
    assert closed_directly["closed_at"] and closed_directly["completed_at"] is None
    done_at_create = task(api, proj["id"], status="Completed")
    assert done_at_create["completed_at"] and done_at_create["closed_at"] is None
    assert api.patch(f"/tasks/{created['id']}", json={"status": None}).status_code == 422


def test_uris_are_sequential_per_project_and_never_reused(space: Space) -> None:
    api = space.api
    client_id = client(api)
    web = project(api, client_id, "WEB")
    app = project(api, client_id, "APP")
    uris = [task(api, web["id"])["uri"] for _ in range(3)]
    assert uris == ["WEB-1", "WEB-2", "WEB-3"]
    assert task(api, app["id"])["uri"] == "APP-1"
    last = api.get("/tasks/WEB-3", params={"find_by": "uri"}).json()
    assert api.delete(f"/tasks/{last['id']}/force").status_code == 204
    assert task(api, web["id"])["uri"] == "WEB-4"


def test_list_sorting_defaults_after_the_last_task_of_the_status(space: Space) -> None:
    api = space.api
    proj = project(api, client(api))
    assert task(api, proj["id"], list_sorting=10)["list_sorting"] == 10
    assert task(api, proj["id"])["list_sorting"] == 11
    assert task(api, proj["id"], status="WIP")["list_sorting"] == 0


def test_parent_cycles_are_refused(space: Space) -> None:
    api = space.api
    proj = project(api, client(api))
    top = task(api, proj["id"], "Top")
    middle = task(api, proj["id"], "Middle", parent_task_id=top["id"])
    bottom = task(api, proj["id"], "Bottom", parent_task_id=middle["id"])
    for parent in (top["id"], bottom["id"], middle["id"]):
        response = api.patch(f"/tasks/{top['id']}", json={"parent_task_id": parent})
        assert response.status_code == 422, parent
        assert "parent_task_id" in response.json()["errors"]
    # A legal re-parenting and detaching.
    moved = api.patch(f"/tasks/{bottom['id']}", json={"parent_task_id": top["id"]})
    assert moved.status_code == 200 and moved.json()["parent_task_id"] == top["id"]
    detached = api.patch(f"/tasks/{bottom['id']}", json={"parent_task_id": None})
    assert detached.json()["parent_task_id"] is None


def test_sub_tasks_are_never_more_public_than_their_parent(space: Space) -> None:
    api = space.api
    proj = project(api, client(api))
    hidden = task(api, proj["id"], "Hidden", is_public=False)
    # Not asked for: inherited. Asked for public under a non-public parent: refused.
    inherited = task(api, proj["id"], "Inherited", parent_task_id=hidden["id"])
    assert inherited["is_public"] is False
    refused = api.post(
        "/tasks",
        json={"title": "Loud", "project_id": proj["id"], "parent_task_id": hidden["id"],
              "is_public": True},
    )  # fmt: skip
    assert refused.status_code == 422 and "is_public" in refused.json()["errors"]
    # Making a task non-public makes its whole family non-public.
    top = task(api, proj["id"], "Top")
    child = task(api, proj["id"], "Child", parent_task_id=top["id"])
    grandchild = task(api, proj["id"], "Grandchild", parent_task_id=child["id"])
    assert (
        made(api.patch(f"/tasks/{top['id']}", json={"is_public": False}), 200)["is_public"] is False
    )
    for row in (child, grandchild):
        assert made(api.get(f"/tasks/{row['id']}"), 200)["is_public"] is False
    # Moving a public task under a non-public parent without naming is_public: inherited.
    loose = task(api, proj["id"], "Loose")
    moved = made(api.patch(f"/tasks/{loose['id']}", json={"parent_task_id": hidden["id"]}), 200)
    assert moved["is_public"] is False


def test_moving_a_task_takes_its_sub_tasks_and_clears_structure(world: World, space: Space) -> None:
    api = space.api
    first_client = client(api, "Acme")
    second_client = client(api, "Globex")
    web = project(api, first_client, "WEB")
    app = project(api, second_client, "APP")
    parts = structure(world, space, web["id"])
    task(api, app["id"])  # APP-1 is taken
    top = task(api, web["id"], "Top", phase_id=parts["phase"], epic_id=parts["epic"])
    child = task(api, web["id"], "Child", parent_task_id=top["id"], milestone_id=parts["milestone"])
    grandchild = task(api, web["id"], "Grandchild", parent_task_id=child["id"])
    moved = made(api.patch(f"/tasks/{top['id']}", json={"project_id": app["id"]}), 200)
    assert moved["uri"] == "APP-2" and moved["client_id"] == second_client
    assert moved["phase"] is None and moved["epic"] is None
    for row, uri, parent in ((child, "APP-3", top["id"]), (grandchild, "APP-4", child["id"])):
        shown = made(api.get(f"/tasks/{row['id']}"), 200)
        assert (shown["project_id"], shown["uri"]) == (app["id"], uri)
        assert shown["client_id"] == second_client and shown["parent_task_id"] == parent
        assert shown["milestone"] is None
    # A sub-task moved alone leaves its parent, unless it names one in the new project.
    alone = made(api.patch(f"/tasks/{grandchild['id']}", json={"project_id": web["id"]}), 200)
    assert alone["parent_task_id"] is None and alone["uri"] == "WEB-4"
    home = task(api, app["id"], "Home")
    back = api.patch(
        f"/tasks/{grandchild['id']}", json={"project_id": app["id"], "parent_task_id": home["id"]}
    )
    assert back.status_code == 200 and back.json()["parent_task_id"] == home["id"]
    bad = api.patch(
        f"/tasks/{child['id']}", json={"project_id": web["id"], "parent_task_id": home["id"]}
    )
    assert bad.status_code == 422 and "parent_task_id" in bad.json()["errors"]
    # Keeping a parent of the old project is no way around that rule.
    kept = api.patch(
        f"/tasks/{child['id']}", json={"project_id": web["id"], "parent_task_id": top["id"]}
    )
    assert kept.status_code == 422 and "parent_task_id" in kept.json()["errors"]


def test_archive_restore_and_force_delete_cascade(
    world: World, space: Space, settings: Settings
) -> None:
    api = space.api
    proj = project(api, client(api))
    top = task(api, proj["id"], "Top")
    child = task(api, proj["id"], "Child", parent_task_id=top["id"])
    archived_before = task(api, proj["id"], "Old", parent_task_id=top["id"])
    grandchild = task(api, proj["id"], "Grandchild", parent_task_id=child["id"])
    assert api.delete(f"/tasks/{archived_before['id']}").status_code == 204
    assert api.delete(f"/tasks/{top['id']}").status_code == 204
    archived = {row["id"] for row in api.walk("/tasks", {"filter": 'archived = "only"'})}
    assert archived == {top["id"], child["id"], grandchild["id"], archived_before["id"]}
    assert api.walk("/tasks") == []
    restored = made(api.post(f"/tasks/{top['id']}/restore"), 200)
    assert restored["deleted_at"] is None
    live = {row["id"] for row in api.walk("/tasks")}
    assert live == {top["id"], child["id"], grandchild["id"]}  # "Old" was archived on its own

    file_ids = _comment_and_files(world, space, grandchild["id"])
    stored_bytes = settings.data_dir / "files" / file_ids[1]
    assert stored_bytes.exists()
    assert world.run(lambda s: _remaining(s, grandchild["id"], file_ids)) == (1, 2)
    assert api.delete(f"/tasks/{top['id']}/force").status_code == 204
    for row in (top, child, grandchild, archived_before):
        assert api.get(f"/tasks/{row['id']}").status_code == 404
    assert world.run(lambda s: _remaining(s, grandchild["id"], file_ids)) == (0, 0)
    assert not stored_bytes.exists()


def _comment_and_files(world: World, space: Space, task_id: str) -> tuple[str, str]:
    """A comment on the task with a file row (made directly) and a file uploaded to the task."""
    from kanbert.comments.models import Comment
    from kanbert.files.models import StoredFile

    async def add(session: Any) -> str:
        comment = Comment(space_id=space.id, task_id=task_id, author_id=space.owner_id, comment="x")
        session.add(comment)
        await session.flush()
        stored = StoredFile(
            space_id=space.id,
            file_name="c.txt",
            mime_type="text/plain",
            size=1,
            entity_type="comment",
            entity_id=comment.id,
        )
        session.add(stored)
        await session.flush()
        return str(stored.id)

    comment_file = world.run(add)
    response = space.api.post(
        "/files",
        data={"entity_type": "task", "entity_id": task_id},
        files={"file": ("a.txt", b"hello", "text/plain")},
    )
    task_file: str = made(response)["id"]
    return comment_file, task_file


async def _remaining(session: Any, task_id: str, file_ids: tuple[str, str]) -> tuple[int, int]:
    from sqlalchemy import func, select

    from kanbert.comments.models import Comment
    from kanbert.files.models import StoredFile

    comments = await session.scalar(select(func.count()).where(Comment.task_id == task_id))
    files = await session.scalar(select(func.count()).where(StoredFile.id.in_(file_ids)))
    return int(comments or 0), int(files or 0)


def test_watchers(space: Space) -> None:
    api = space.api
    proj = project(api, client(api))
    created = task(api, proj["id"])
    ann = space.add_user("ann@example.com")
    bob = space.add_user("bob@example.com")
    added = made(api.put(f"/tasks/{created['id']}/watchers/{bob}"), 200)
    assert [user["id"] for user in added["watchers"]] == [bob]
    again = made(api.put(f"/tasks/{created['id']}/watchers/{ann}"), 200)
    assert [user["email"] for user in again["watchers"]] == ["ann@example.com", "bob@example.com"]
    assert api.put(f"/tasks/{created['id']}/watchers/{ann}").status_code == 200  # idempotent
    assert api.put(f"/tasks/{created['id']}/watchers/nope").status_code == 422
    assert api.delete(f"/tasks/{created['id']}/watchers/{ann}").status_code == 204
    assert api.delete(f"/tasks/{created['id']}/watchers/{ann}").status_code == 404
    shown = api.get(f"/tasks/{created['id']}", params={"include": "watchers"}).json()
    assert [user["id"] for user in shown["watchers"]] == [bob]
    replaced = made(api.patch(f"/tasks/{created['id']}", json={"watcher_ids": [ann]}), 200)
    shown = api.get(f"/tasks/{replaced['id']}", params={"include": "watchers"}).json()
    assert [user["id"] for user in shown["watchers"]] == [ann]


def test_scopes(space: Space) -> None:
    proj = project(space.api, client(space.api))
    created = task(space.api, proj["id"])
    reader = space.token(["task-management:read"])
    nobody = space.token([scope for scope in ALL_SCOPES if not scope.startswith("task-")])
    path = f"/tasks/{created['id']}"
    assert reader.get("/tasks").status_code == 200
    assert reader.get(path).status_code == 200
    assert nobody.get("/tasks").status_code == 403
    assert nobody.get(path).status_code == 403
    body = {"title": "T", "project_id": proj["id"]}
    for method, url, kwargs in [
        ("POST", "/tasks", {"json": body}),
        ("PATCH", path, {"json": {"title": "X"}}),
        ("DELETE", path, {}),
        ("POST", f"{path}/restore", {}),
        ("DELETE", f"{path}/force", {}),
        ("PUT", f"{path}/watchers/{space.owner_id}", {}),
        ("DELETE", f"{path}/watchers/{space.owner_id}", {}),
    ]:
        response = reader.request(method, url, **kwargs)
        assert response.status_code == 403, (method, url)
        assert "task-management:write" in response.json()["message"]


def test_another_space_sees_nothing(space: Space, other_space: Space) -> None:
    proj = project(space.api, client(space.api))
    created = task(space.api, proj["id"])
    assert other_space.api.get(f"/tasks/{created['id']}").status_code == 404
    assert other_space.api.patch(f"/tasks/{created['id']}", json={"title": "x"}).status_code == 404
    assert other_space.api.walk("/tasks") == []


def test_guests_and_tax_advisors_may_not_write(space: Space) -> None:
    api = space.api
    proj = project(api, client(api))
    created = task(api, proj["id"])
    for kind in (UserType.guest, UserType.tax_advisor):
        user = space.add_user(f"{kind.value}@example.com", kind)
        assert api.put(f"/projects/{proj['id']}/guests/{user}").status_code == 200
        limited = space.token(ALL_SCOPES, user_id=user)
        assert limited.get(f"/tasks/{created['id']}").status_code == 200
        response = limited.post("/tasks", json={"title": "T", "project_id": proj["id"]})
        assert response.status_code == 403
        assert limited.patch(f"/tasks/{created['id']}", json={"title": "X"}).status_code == 403
        assert limited.delete(f"/tasks/{created['id']}").status_code == 403


def test_priority_options(space: Space, other_space: Space) -> None:
    api = space.api
    low = _option(space, "Low", order=2)
    high = _option(space, "High", order=1, color="#f00")
    _option(other_space, "Elsewhere")
    listed = space.token([]).get("/priority-options")  # no scope needed to read
    assert listed.status_code == 200
    assert [row["title"] for row in listed.json()["data"]] == ["High", "Low"]
    by_title = api.get("/priority-options", params={"sort": "title"}).json()["data"]
    assert [row["id"] for row in by_title] == [high["id"], low["id"]]
    changed = made(api.patch(f"/priority-options/{low['id']}", json={"title": "Lowest"}), 200)
    assert changed == {**low, "title": "Lowest"}
    assert api.patch(f"/priority-options/{low['id']}", json={"title": None}).status_code == 422
    proj = project(api, client(api))
    created = task(api, proj["id"], priority_option_id=low["id"])
    assert api.delete(f"/priority-options/{low['id']}").status_code == 204
    assert api.get(f"/tasks/{created['id']}").json()["priorityOption"] is None
    reader = space.token(["task-management:read"])
    assert reader.post("/priority-options", json={"title": "X"}).status_code == 403
    assert reader.patch(f"/priority-options/{high['id']}", json={"title": "X"}).status_code == 403
    assert reader.delete(f"/priority-options/{high['id']}").status_code == 403
    assert other_space.api.delete(f"/priority-options/{high['id']}").status_code == 404


def test_task_numbers_and_sorting_stay_in_range_and_leave_the_project_alone(
    space: Space,
) -> None:
    api = space.api
    proj = project(api, client(api))
    etag = api.get(f"/projects/{proj['id']}").headers["etag"]
    last = task(api, proj["id"], "Parked at the end", list_sorting=2**31 - 1)
    after = task(api, proj["id"], "After it")
    assert (last["list_sorting"], after["list_sorting"]) == (2**31 - 1, 2**31 - 1)
    # Numbering tasks is not a change of the project: its ETag holds for If-Match.
    assert api.get(f"/projects/{proj['id']}").headers["etag"] == etag
    renamed = api.patch(
        f"/projects/{proj['id']}", json={"title": "New"}, headers={"If-Match": etag}
    )
    assert renamed.status_code == 200, renamed.text
