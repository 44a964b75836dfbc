"""OAuth access tokens act for their user: the user's visibility ∩ the granted scopes."""

from __future__ import annotations

from typing import Any

import httpx

from kanbert.users.models import UserType

from oauthkit import Flow, add_person, give_password, register
from support import Api, Space


def made(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def project(api: Api, shortcode: str = "WEB", **fields: Any) -> dict[str, Any]:
    client = made(api.post("/clients", json={"name": f"Client {shortcode}"}))
    body = {"title": "Website", "client_id": client["id"], "shortcode": shortcode, **fields}
    return made(api.post("/projects", json=body))


def access(flow: Flow, email: str, scope: str) -> Api:
    return flow.api(flow.tokens(email, scope)["access_token"])


def test_a_read_scope_cannot_write_tasks_even_for_the_owner(space: Space) -> None:
    owner_email = space.api.get(f"/users/{space.owner_id}").json()["email"]
    give_password(space, space.owner_id)
    flow = Flow(space.api.client, register(space))
    target = project(space.api)
    reader = access(flow, owner_email, "task-management:read")
    assert reader.get("/tasks").status_code == 200
    attempt = reader.post("/tasks", json={"title": "Nope", "project_id": target["id"]})
    assert attempt.status_code == 403
    assert "task-management:write" in attempt.json()["message"]
    writer = access(flow, owner_email, "task-management:read task-management:write")
    created = writer.post("/tasks", json={"title": "Yes", "project_id": target["id"]})
    assert created.status_code == 201, created.text


def test_a_guest_token_sees_only_what_the_guest_sees(space: Space) -> None:
    guest = add_person(space, "guest@example.com", UserType.guest)
    shared = project(space.api, guests=[guest])
    hidden_project = project(space.api, "SEC")
    public = made(
        space.api.post(
            "/tasks", json={"title": "Public", "project_id": shared["id"], "is_public": True}
        )
    )
    internal = made(
        space.api.post(
            "/tasks", json={"title": "Internal", "project_id": shared["id"], "is_public": False}
        )
    )
    elsewhere = made(
        space.api.post(
            "/tasks",
            json={"title": "Elsewhere", "project_id": hidden_project["id"], "is_public": True},
        )
    )
    flow = Flow(space.api.client, register(space))
    api = access(flow, "guest@example.com", "task-management:read client:read")
    assert api.get(f"/tasks/{public['id']}").status_code == 200
    assert api.get(f"/tasks/{internal['id']}").status_code == 404
    assert api.get(f"/tasks/{elsewhere['id']}").status_code == 404
    assert api.get(f"/projects/{hidden_project['id']}").status_code == 404
    listed = {row["id"] for row in api.walk("/tasks")}
    assert listed == {public["id"]}
    # The owner's integration token, by contrast, sees all three.
    assert {public["id"], internal["id"], elsewhere["id"]} <= {
        row["id"] for row in space.api.walk("/tasks")
    }
    assert api.get("/whoami").json()["id"] == guest


def test_oauth_tokens_stop_working_when_the_user_is_archived(space: Space) -> None:
    member = add_person(space, "member@example.com")
    flow = Flow(space.api.client, register(space))
    api = access(flow, "member@example.com", "task-management:read")
    assert api.get("/whoami").status_code == 200
    assert space.api.delete(f"/users/{member}").status_code in (200, 204)
    assert api.get("/whoami").status_code == 401


def test_an_oauth_token_cannot_mint_tokens_that_outlive_its_grant(space: Space) -> None:
    owner_email = space.api.get(f"/users/{space.owner_id}").json()["email"]
    give_password(space, space.owner_id)
    flow = Flow(space.api.client, register(space))
    app = access(flow, owner_email, "integration task-management:read")
    assert app.get("/tokens").status_code == 200
    minted = app.post("/tokens", json={"name": "forever", "scopes": ["task-management:read"]})
    assert minted.status_code == 403, minted.text
    assert "OAuth" in minted.json()["message"]
