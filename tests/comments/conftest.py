"""The `board` fixture of the comment tests."""

from __future__ import annotations

import pytest

from kanbert.users.models import UserType

from commentkit import Board, made
from support import Space


@pytest.fixture
def board(space: Space) -> Board:
    api = space.api
    ids = {
        "guest": space.add_user("guest@example.com", UserType.guest),
        "member": space.add_user("member@example.com"),
        "colleague": space.add_user("colleague@example.com"),
    }
    client = made(api.post("/clients", json={"name": "Acme"}))["id"]
    ids["project"] = made(
        api.post("/projects", json={"title": "Open", "client_id": client, "guests": [ids["guest"]]})
    )["id"]
    for name, public in (("task", True), ("hidden_task", False)):
        body = {"title": name, "project_id": ids["project"], "is_public": public}
        ids[name] = made(api.post("/tasks", json=body))["id"]
    return Board(space, ids)
