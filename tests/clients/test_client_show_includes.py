"""`GET /clients/{id}?include=projects`: the single route embeds what the full list does."""

from __future__ import annotations

from support import Space


def test_show_includes_visible_projects(space: Space) -> None:
    client = space.api.post("/clients", json={"name": "Acme"}).json()
    project = space.api.post("/projects", json={"title": "Website", "client_id": client["id"]})
    assert project.status_code == 201, project.text
    member = space.add_user("member@example.com")
    secret = space.api.post(
        "/projects", json={"title": "Secret", "client_id": client["id"], "is_private": True}
    )
    assert secret.status_code == 201, secret.text

    shown = space.api.get(f"/clients/{client['id']}", params={"include": "projects"})
    assert shown.status_code == 200, shown.text
    assert {p["title"] for p in shown.json()["projects"]} == {"Website", "Secret"}
    assert "projects" not in space.api.get(f"/clients/{client['id']}").json()

    outsider = space.token(["client:read"], name="member", user_id=member)
    seen = outsider.get(f"/clients/{client['id']}", params={"include": "projects"})
    assert [p["title"] for p in seen.json()["projects"]] == ["Website"]

    bad = space.api.get(f"/clients/{client['id']}", params={"include": "invoices"})
    assert bad.status_code == 400
    assert "include" in bad.json()["errors"]
