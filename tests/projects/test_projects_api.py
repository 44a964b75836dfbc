"""Project, project type and portfolio operations: bodies, rules, status codes and scopes."""

from __future__ import annotations

from typing import Any

import pytest

from kanbert.users.models import UserType

from support import Api, Space


def _client(api: Api, name: str = "Acme Corp") -> str:
    response = api.post("/clients", json={"name": name})
    assert response.status_code == 201, response.text
    client_id: str = response.json()["id"]
    return client_id


def _project(api: Api, client_id: str, **fields: Any) -> dict[str, Any]:
    response = api.post("/projects", json={"title": "Website", "client_id": client_id, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_create_renders_every_field_and_defaults(space: Space) -> None:
    client_id = _client(space.api)
    project = _project(space.api, client_id, po_number="PO-7", start_date="2026-01-05")
    assert set(project) == {
        "id", "external_id", "external_origin", "title", "description", "shortcode",
        "po_number", "project_type", "project_group", "status", "is_acquisition", "is_private",
        "start_date", "end_date", "client", "custom_fields", "created_by", "created_at",
        "updated_at", "deleted_at",
    }  # fmt: skip
    assert project["title"] == "Website" and project["po_number"] == "PO-7"
    assert project["status"] == "running"
    assert project["is_acquisition"] is False and project["is_private"] is False
    assert project["start_date"] == "2026-01-05" and project["end_date"] is None
    assert project["client"]["id"] == client_id and project["client"]["name"] == "Acme Corp"
    assert project["created_by"]["id"] == space.integration_id
    # The space's default type is created with its first project that names none.
    default_type = project["project_type"]
    assert default_type is not None and default_type["is_default"] is True
    second = _project(space.api, client_id, title="Shop")
    assert second["project_type"] == default_type
    types = space.api.get("/project-types").json()["data"]
    assert types == [default_type]
    # The creator joins the team.
    shown = space.api.get(f"/projects/{project['id']}", params={"include": "team"}).json()
    assert [member["id"] for member in shown["team"]] == [space.integration_id]
    assert shown["team"][0]["added_at"]


def test_shortcodes_are_generated_and_unique_per_space(space: Space, other_space: Space) -> None:
    client_id = _client(space.api)
    first = _project(space.api, client_id, title="Big Web Shop")
    second = _project(space.api, client_id, title="Big Web Shop")
    assert (first["shortcode"], second["shortcode"]) == ("BWS", "BWS2")
    taken = space.api.post(
        "/projects", json={"title": "X", "client_id": client_id, "shortcode": "bws"}
    )
    assert taken.status_code == 422
    assert "shortcode" in taken.json()["errors"]
    renamed = space.api.patch(f"/projects/{second['id']}", json={"shortcode": "BWS"})
    assert renamed.status_code == 422
    # Another space has its own shortcodes.
    other_client = _client(other_space.api)
    assert _project(other_space.api, other_client, shortcode="BWS")["shortcode"] == "BWS"
    # find_by shortcode, case-insensitively.
    found = space.api.get("/projects/bws2", params={"find_by": "shortcode"})
    assert found.status_code == 200 and found.json()["id"] == second["id"]


def test_find_by_external_id_and_etag(space: Space) -> None:
    client_id = _client(space.api)
    project = _project(space.api, client_id, external_id="P-1")
    assert project["external_origin"]
    found = space.api.get("/projects/P-1", params={"find_by": "external_id"})
    assert found.status_code == 200 and found.json()["id"] == project["id"]
    etag = found.headers["ETag"]
    stale = space.api.patch(
        f"/projects/{project['id']}", json={"title": "A"}, headers={"If-Match": '"nope"'}
    )
    assert stale.status_code == 412
    fresh = space.api.patch(
        f"/projects/{project['id']}", json={"title": "A"}, headers={"If-Match": etag}
    )
    assert fresh.status_code == 200 and fresh.headers["ETag"] != etag
    assert space.api.get("/projects/x", params={"find_by": "title"}).status_code == 400


def test_dates_and_required_fields(space: Space) -> None:
    client_id = _client(space.api)
    refused = space.api.post(
        "/projects",
        json={
            "title": "X",
            "client_id": client_id,
            "start_date": "2026-03-02",
            "end_date": "2026-03-01",
        },
    )
    assert refused.status_code == 422
    assert "end_date" in refused.json()["errors"]
    project = _project(space.api, client_id, start_date="2026-03-02", end_date="2026-03-02")
    later = space.api.patch(f"/projects/{project['id']}", json={"start_date": "2026-04-01"})
    assert later.status_code == 422 and "end_date" in later.json()["errors"]
    assert space.api.post("/projects", json={"client_id": client_id}).status_code == 422
    assert space.api.post("/projects", json={"title": "X"}).status_code == 422
    for name in ("title", "client_id", "status", "is_private"):
        response = space.api.patch(f"/projects/{project['id']}", json={name: None})
        assert response.status_code == 422, name
    bad_status = space.api.patch(f"/projects/{project['id']}", json={"status": "paused"})
    assert bad_status.status_code == 422


def test_client_must_be_own_or_shared_and_active(space: Space, other_space: Space) -> None:
    foreign = _client(other_space.api, "Foreign")
    response = space.api.post("/projects", json={"title": "X", "client_id": foreign})
    assert response.status_code == 422 and "client_id" in response.json()["errors"]
    shared = other_space.api.post(f"/clients/{foreign}/shares", json={"space_id": space.id})
    assert shared.status_code == 201
    project = _project(space.api, foreign)
    assert project["client"]["origin_space"]["id"] == other_space.id
    archived = _client(space.api, "Old")
    assert space.api.delete(f"/clients/{archived}").status_code == 204
    response = space.api.post("/projects", json={"title": "X", "client_id": archived})
    assert response.status_code == 422


def test_description_is_sanitised(space: Space) -> None:
    client_id = _client(space.api)
    html = (
        '<p onclick="steal()">Hi <mention data-id="u1">Ann</mention>'
        "<script>alert(1)</script><img src=x onerror=alert(2)>"
        '<a href="javascript:alert(3)">bad</a> <strong>bold</strong></p>'
    )
    project = _project(space.api, client_id, description=html)
    description = project["description"]
    for removed in ("<script", "alert(1)", "onerror", "onclick", "javascript:"):
        assert removed not in description
    assert '<mention data-id="u1">Ann</mention>' in description
    assert "<strong>bold</strong>" in description
    updated = space.api.patch(
        f"/projects/{project['id']}", json={"description": "<b>x</b><script>y</script>"}
    )
    assert updated.json()["description"] == "<b>x</b>"


def test_update_references_tags_team_guests(space: Space) -> None:
    api = space.api
    client_id = _client(api)
    other_client = _client(api, "Other")
    kind = api.post("/project-types", json={"title": "Retainer", "color": "#ff0000"}).json()
    group = api.post("/portfolios", json={"title": "Digital"}).json()
    tag = api.post("/tags", json={"title": "hot"}).json()
    member = space.add_user("member@example.com")
    guest = space.add_user("guest@example.com", UserType.guest)
    project = _project(api, client_id)
    updated = api.patch(
        f"/projects/{project['id']}",
        json={
            "client_id": other_client,
            "project_type_id": kind["id"],
            "project_group_id": group["id"],
            "status": "closed",
            "is_acquisition": True,
            "tag_ids": [tag["id"], tag["id"]],
            "team": [member],
            "guests": [guest],
        },
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert body["client"]["name"] == "Other"
    assert body["project_type"]["title"] == "Retainer"
    assert body["project_group"] == {"id": group["id"], "title": "Digital"}
    assert body["status"] == "closed" and body["is_acquisition"] is True
    shown = api.get(f"/projects/{project['id']}", params={"include": "team,guests,tags"}).json()
    assert [user["id"] for user in shown["team"]] == [member]
    assert [user["id"] for user in shown["guests"]] == [guest]
    assert shown["tags"] == [{"id": tag["id"], "title": "hot"}]
    for field, value in [
        ("project_type_id", "nope"),
        ("project_group_id", "nope"),
        ("tag_ids", ["nope"]),
        ("team", ["nope"]),
        ("team", [guest]),  # guests are not team members
        ("guests", [member]),  # a plain user is not a guest
    ]:
        response = api.patch(f"/projects/{project['id']}", json={field: value})
        assert response.status_code == 422, (field, response.text)
        assert field in response.json()["errors"]


def test_team_and_guest_endpoints(space: Space) -> None:
    api = space.api
    project = _project(api, _client(api))
    member = space.add_user("member@example.com")
    advisor = space.add_user("advisor@example.com", UserType.tax_advisor)
    added = api.put(f"/projects/{project['id']}/team/{member}")
    assert added.status_code == 200, added.text
    first_added_at = {u["id"]: u["added_at"] for u in added.json()["team"]}[member]
    again = api.put(f"/projects/{project['id']}/team/{member}")
    assert {u["id"]: u["added_at"] for u in again.json()["team"]}[member] == first_added_at
    assert api.put(f"/projects/{project['id']}/team/{advisor}").status_code == 422
    assert api.put(f"/projects/{project['id']}/team/nope").status_code == 422
    invited = api.put(f"/projects/{project['id']}/guests/{advisor}")
    assert invited.status_code == 200
    assert [u["id"] for u in invited.json()["guests"]] == [advisor]
    assert api.put(f"/projects/{project['id']}/guests/{member}").status_code == 422
    assert api.delete(f"/projects/{project['id']}/team/{member}").status_code == 204
    assert api.delete(f"/projects/{project['id']}/team/{member}").status_code == 404
    assert api.delete(f"/projects/{project['id']}/guests/{advisor}").status_code == 204
    assert api.delete(f"/projects/{project['id']}/guests/{advisor}").status_code == 404
    assert api.put(f"/projects/nope/team/{member}").status_code == 404
    by_shortcode = api.put(
        f"/projects/{project['shortcode'].lower()}/team/{member}", params={"find_by": "shortcode"}
    )
    assert by_shortcode.status_code == 200
    assert api.delete(f"/projects/{project['id']}/team/{member}").status_code == 204
    shown = api.get(f"/projects/{project['id']}", params={"include": "team,guests"}).json()
    assert [u["id"] for u in shown["team"]] == [space.integration_id]
    assert shown["guests"] == []


def test_archive_restore_force(space: Space) -> None:
    api = space.api
    client_id = _client(api)
    project = _project(api, client_id)
    path = f"/projects/{project['id']}"
    assert api.delete(path).status_code == 204
    assert api.get(path).json()["deleted_at"] is not None
    assert [p["id"] for p in api.get("/projects").json()["data"]] == []
    restored = api.post(f"{path}/restore")
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None
    # A client referenced by a project cannot be deleted for good.
    assert api.delete(f"/clients/{client_id}/force").status_code == 409
    assert api.get(f"/clients/{client_id}").status_code == 200
    assert api.delete(f"{path}/force").status_code == 204
    assert api.get(path).status_code == 404
    assert api.delete(f"/clients/{client_id}/force").status_code == 204


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/projects", {"title": "X", "client_id": "{client}"}),
        ("PATCH", "/projects/{id}", {"title": "Y"}),
        ("DELETE", "/projects/{id}", None),
        ("POST", "/projects/{id}/restore", None),
        ("DELETE", "/projects/{id}/force", None),
        ("PUT", "/projects/{id}/team/{user}", None),
        ("DELETE", "/projects/{id}/team/{user}", None),
        ("PUT", "/projects/{id}/guests/{guest}", None),
        ("DELETE", "/projects/{id}/guests/{guest}", None),
    ],
)
def test_project_writes_need_project_write(
    space: Space, method: str, path: str, body: dict[str, str] | None
) -> None:
    client_id = _client(space.api)
    project = _project(space.api, client_id)
    user = space.add_user("u@example.com")
    guest = space.add_user("g@example.com", UserType.guest)
    names = {"id": project["id"], "client": client_id, "user": user, "guest": guest}
    reader = space.token(["client:read", "settings:write"], name="reader")
    payload = None if body is None else {k: v.format(**names) for k, v in body.items()}
    response = reader.request(method, path.format(**names), json=payload)
    assert response.status_code == 403
    assert response.json() == {"message": "This action requires the scope project:write."}
    # Reading needs no scope at all.
    assert reader.get(f"/projects/{project['id']}").status_code == 200
    assert reader.get("/projects").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/project-types", {"title": "T"}),
        ("PATCH", "/project-types/{type}", {"title": "T"}),
        ("DELETE", "/project-types/{type}", None),
        ("POST", "/portfolios", {"title": "P"}),
        ("PATCH", "/portfolios/{group}", {"title": "P"}),
        ("DELETE", "/portfolios/{group}", None),
    ],
)
def test_settings_writes_need_settings_write(
    space: Space, method: str, path: str, body: dict[str, str] | None
) -> None:
    kind = space.api.post("/project-types", json={"title": "K"}).json()
    group = space.api.post("/portfolios", json={"title": "G"}).json()
    writer = space.token(["project:write"], name="writer")
    response = writer.request(method, path.format(type=kind["id"], group=group["id"]), json=body)
    assert response.status_code == 403
    assert response.json() == {"message": "This action requires the scope settings:write."}
    assert writer.get("/project-types").status_code == 200
    assert writer.get("/portfolios").status_code == 200


def test_project_types_crud(space: Space) -> None:
    api = space.api
    first = api.post(
        "/project-types",
        json={
            "title": "Fixed",
            "shortcode": "FIX",
            "color": "#00f",
            "order": 2,
            "is_default": True,
        },
    )
    assert first.status_code == 201
    assert first.json() == {
        "id": first.json()["id"],
        "title": "Fixed",
        "shortcode": "FIX",
        "color": "#00f",
        "order": 2,
        "is_default": True,
    }
    second = api.post("/project-types", json={"title": "Hourly", "order": 1}).json()
    assert second["is_default"] is False and second["order"] == 1
    listed = api.get("/project-types").json()["data"]
    assert [row["title"] for row in listed] == ["Hourly", "Fixed"]
    # A new default demotes the old one; projects then get it.
    promoted = api.patch(f"/project-types/{second['id']}", json={"is_default": True})
    assert promoted.status_code == 200 and promoted.json()["is_default"] is True
    defaults = [
        row["title"] for row in api.get("/project-types").json()["data"] if row["is_default"]
    ]
    assert defaults == ["Hourly"]
    project = _project(api, _client(api))
    assert project["project_type"]["id"] == second["id"]
    assert api.patch(f"/project-types/{second['id']}", json={"title": None}).status_code == 422
    assert api.delete(f"/project-types/{second['id']}").status_code == 204
    assert api.get(f"/projects/{project['id']}").json()["project_type"] is None
    assert api.delete(f"/project-types/{second['id']}").status_code == 404
    assert api.post("/project-types", json={}).status_code == 422


def test_portfolios_crud_and_projects_assigned(space: Space) -> None:
    api = space.api
    group = api.post("/portfolios", json={"title": "Digital"})
    assert group.status_code == 201
    group_id = group.json()["id"]
    assert group.json() == {"id": group_id, "title": "Digital"}
    client_id = _client(api)
    _project(api, client_id, title="B", project_group_id=group_id)
    _project(api, client_id, title="A", project_group_id=group_id)
    archived = _project(api, client_id, title="C", project_group_id=group_id)
    api.delete(f"/projects/{archived['id']}")
    _project(api, client_id, title="Loose")
    listed = api.get("/portfolios", params={"include": "projects_assigned"}).json()["data"]
    assert [[p["title"] for p in row["projects_assigned"]] for row in listed] == [["A", "B"]]
    renamed = api.patch(f"/portfolios/{group_id}", json={"title": "Web"})
    assert renamed.status_code == 200 and renamed.json()["title"] == "Web"
    assert api.get("/portfolios", params={"filter": "title = 'Web'"}).json()["data"]
    assert api.delete(f"/portfolios/{group_id}").status_code == 204
    rows = api.get("/projects", params={"filter": "title = 'A'"}).json()["data"]
    assert rows[0]["project_group"] is None


def test_another_space_sees_and_changes_nothing(space: Space, other_space: Space) -> None:
    project = _project(space.api, _client(space.api))
    kind = space.api.get("/project-types").json()["data"][0]
    group = space.api.post("/portfolios", json={"title": "G"}).json()
    other = other_space.api
    assert other.get(f"/projects/{project['id']}").status_code == 404
    assert other.patch(f"/projects/{project['id']}", json={"title": "x"}).status_code == 404
    assert other.delete(f"/projects/{project['id']}/force").status_code == 404
    assert other.put(f"/projects/{project['id']}/team/{other_space.owner_id}").status_code == 404
    assert other.get("/projects").json()["data"] == []
    assert other.get("/project-types").json()["data"] == []
    assert other.get("/portfolios").json()["data"] == []
    assert other.patch(f"/project-types/{kind['id']}", json={"title": "x"}).status_code == 404
    assert other.delete(f"/portfolios/{group['id']}").status_code == 404
    assert space.api.get(f"/projects/{project['id']}").json()["title"] == "Website"
