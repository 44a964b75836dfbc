"""Files of projects, tasks and comments: the owner's scopes guard them (projects: read needs
none, write project:write; tasks and comments: task-management:read/write), and a file is
exactly as visible as its owner (guests: public tasks and comments of their projects only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from kanbert.users.models import UserType

from support import Api, Space

CONTENT = b"minutes of the kick-off"
READ, WRITE = "task-management:read", "task-management:write"


def _made(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def upload(api: Api, entity_type: str, entity_id: str) -> httpx.Response:
    return api.post(
        "/files",
        data={"entity_type": entity_type, "entity_id": entity_id},
        files={"file": ("minutes.txt", CONTENT, "text/plain")},
    )


@dataclass
class Work:
    """A public project (the guest is its guest) with a public and a non-public task and a
    public and a non-public comment on the public task, and a private project with a task."""

    space: Space
    ids: dict[str, str]

    def as_user(self, who: str, scopes: list[str]) -> Api:
        return self.space.token(scopes, name=who, user_id=self.ids[who])


@pytest.fixture
def work(space: Space) -> Work:
    api = space.api
    ids = {
        "guest": space.add_user("guest@example.com", UserType.guest),
        "outsider": space.add_user("outsider@example.com"),
        "member": space.add_user("member@example.com"),
    }
    client = _made(api.post("/clients", json={"name": "Acme"}))["id"]
    ids["project"] = _made(
        api.post(
            "/projects",
            json={"title": "Open", "client_id": client, "guests": [ids["guest"]]},
        )
    )["id"]
    ids["private"] = _made(
        api.post(
            "/projects",
            json={
                "title": "Secret",
                "client_id": client,
                "is_private": True,
                "team": [ids["member"]],
            },
        )
    )["id"]
    for name, project, public in (
        ("task", "project", True),
        ("hidden_task", "project", False),
        ("private_task", "private", True),
    ):
        body = {"title": name, "project_id": ids[project], "is_public": public}
        ids[name] = _made(api.post("/tasks", json=body))["id"]
    return Work(space, ids)


def comment(work: Work, public: bool, task: str = "task") -> str:
    body = {"task_id": work.ids[task], "comment": "<p>see file</p>", "is_public": public}
    return str(_made(work.space.api.post("/tasks/comments", json=body))["id"])


@pytest.mark.parametrize(
    ("entity_type", "read_scope", "write_scope"),
    [("project", None, "project:write"), ("task", READ, WRITE), ("comment", READ, WRITE)],
)
def test_scopes_follow_the_owner(
    work: Work, entity_type: str, read_scope: str | None, write_scope: str
) -> None:
    space = work.space
    entity_id = comment(work, True) if entity_type == "comment" else work.ids[entity_type]
    reader = space.token([read_scope] if read_scope else ["client:read"], name="reader")
    writer = space.token([write_scope], name="writer")
    nobody = space.token([], name="nobody")

    refused = upload(reader, entity_type, entity_id)
    assert refused.status_code == 403, refused.text
    assert refused.json() == {"message": f"This action requires the scope {write_scope}."}
    file = _made(upload(writer, entity_type, entity_id))
    assert (file["entity_type"], file["entity_id"]) == (entity_type, entity_id)

    assert _made(reader.get(f"/files/{file['id']}"), 200) == file
    assert reader.get(f"/files/{file['id']}/download").content == CONTENT
    for path in (f"/files/{file['id']}", f"/files/{file['id']}/download"):
        answer = nobody.get(path)
        if read_scope is None:
            assert answer.status_code == 200, answer.text
        else:
            assert answer.status_code == 403, answer.text
            assert answer.json() == {"message": f"This action requires the scope {read_scope}."}
    assert reader.delete(f"/files/{file['id']}").status_code == 403
    assert writer.delete(f"/files/{file['id']}").status_code == 204
    assert writer.get(f"/files/{file['id']}").status_code == 404


def test_guests_add_files_to_tasks_they_see_but_not_to_projects(work: Work) -> None:
    guest = work.as_user("guest", [READ, WRITE, "project:write"])
    mine = _made(upload(guest, "task", work.ids["task"]))
    assert guest.get(f"/files/{mine['id']}/download").content == CONTENT
    on_comment = _made(upload(guest, "comment", comment(work, True)))
    assert guest.get(f"/files/{on_comment['id']}").status_code == 200

    refused = upload(guest, "project", work.ids["project"])
    assert refused.status_code == 403, refused.text
    assert refused.json()["message"]
    # A project file is readable by the project's guest, but not theirs to delete.
    project_file = _made(upload(work.space.api, "project", work.ids["project"]))
    assert guest.get(f"/files/{project_file['id']}").status_code == 200
    assert guest.delete(f"/files/{project_file['id']}").status_code == 403
    # Tasks they cannot see take no files: the entity is unknown to them.
    for task in ("hidden_task", "private_task"):
        answer = upload(guest, "task", work.ids[task])
        assert answer.status_code == 422, answer.text
        assert "entity_id" in answer.json()["errors"]
    assert guest.delete(f"/files/{mine['id']}").status_code == 204


def test_guests_cannot_read_files_of_what_is_hidden_from_them(work: Work) -> None:
    api = work.space.api
    # Every scope, so what answers is visibility alone.
    guest = work.as_user("guest", [READ, WRITE, "project:write"])
    hidden = [
        _made(upload(api, "task", work.ids["hidden_task"])),
        _made(upload(api, "task", work.ids["private_task"])),
        _made(upload(api, "comment", comment(work, False))),
        _made(upload(api, "comment", comment(work, True, task="hidden_task"))),
        _made(upload(api, "project", work.ids["private"])),
    ]
    for file in hidden:
        for path in (f"/files/{file['id']}", f"/files/{file['id']}/download"):
            assert guest.get(path).status_code == 404, (file["entity_type"], path)
        assert guest.delete(f"/files/{file['id']}").status_code == 404
        assert api.get(f"/files/{file['id']}").status_code == 200


def test_users_off_a_private_project_see_none_of_its_files(work: Work) -> None:
    api = work.space.api
    files = [
        _made(upload(api, "project", work.ids["private"])),
        _made(upload(api, "task", work.ids["private_task"])),
        _made(upload(api, "comment", comment(work, True, task="private_task"))),
    ]
    outsider = work.as_user("outsider", [READ, WRITE, "project:write"])
    member = work.as_user("member", [READ, WRITE, "project:write"])
    for file in files:
        path = f"/files/{file['id']}"
        assert outsider.get(path).status_code == 404
        assert outsider.get(f"{path}/download").status_code == 404
        assert outsider.delete(path).status_code == 404
        assert member.get(f"{path}/download").content == CONTENT
    assert upload(outsider, "task", work.ids["private_task"]).status_code == 422
    assert upload(outsider, "project", work.ids["private"]).status_code == 422
    assert upload(member, "task", work.ids["private_task"]).status_code == 201


def test_another_space_sees_no_work_files(work: Work, other_space: Space) -> None:
    api = work.space.api
    file = _made(upload(api, "task", work.ids["task"]))
    assert other_space.api.get(f"/files/{file['id']}").status_code == 404
    assert other_space.api.get(f"/files/{file['id']}/download").status_code == 404
    assert other_space.api.delete(f"/files/{file['id']}").status_code == 404
    for entity_type in ("task", "project"):
        assert upload(other_space.api, entity_type, work.ids[entity_type]).status_code == 422
