"""Phase types and phase groups: per-space settings read by everyone, written with
settings:write, deleted for good while their phases and milestones stay."""

from __future__ import annotations

from typing import Any

import pytest

from structure import made, milestone, phase, project
from support import Api, Space


def test_phase_types_crud(space: Space) -> None:
    api = space.api
    created = api.post("/phase-types", json={"title": " Build ", "color": " #0a0 "})
    assert created.status_code == 201
    kind = created.json()
    assert kind == {"id": kind["id"], "title": "Build", "color": "#0a0"}
    assert created.headers["ETag"]
    plain = made(api.post("/phase-types", json={"title": "Analysis"}))
    assert plain["color"] is None
    listed = api.get("/phase-types").json()["data"]
    assert [row["title"] for row in listed] == ["Analysis", "Build"]
    assert api.get("/phase-types", params={"sort": "-title"}).json()["data"][0] == kind
    found = api.get("/phase-types", params={"filter": 'color = "#0a0"'}).json()["data"]
    assert found == [kind]
    updated = api.patch(f"/phase-types/{kind['id']}", json={"color": None})
    assert updated.status_code == 200 and updated.json() == {**kind, "color": None}
    renamed = api.patch(f"/phase-types/{kind['id']}", json={"title": "Make"})
    assert renamed.json()["title"] == "Make"
    for body in ({"title": None}, {"title": ""}, {"color": "x" * 33}):
        assert api.patch(f"/phase-types/{kind['id']}", json=body).status_code == 422, body
    assert api.post("/phase-types", json={}).status_code == 422
    assert api.post("/phase-types", json={"color": "#fff"}).status_code == 422


def test_phase_groups_crud(space: Space) -> None:
    api = space.api
    group = made(api.post("/phase-groups", json={"title": "Stage 2"}))
    assert group == {"id": group["id"], "title": "Stage 2"}
    made(api.post("/phase-groups", json={"title": "Stage 1"}))
    listed = api.get("/phase-groups").json()["data"]
    assert [row["title"] for row in listed] == ["Stage 1", "Stage 2"]
    found = api.get("/phase-groups", params={"filter": 'title startswith "Stage 2"'})
    assert found.json()["data"] == [group]
    renamed = api.patch(f"/phase-groups/{group['id']}", json={"title": "Later"})
    assert renamed.status_code == 200 and renamed.json() == {"id": group["id"], "title": "Later"}
    assert api.patch(f"/phase-groups/{group['id']}", json={}).status_code == 422
    assert api.delete(f"/phase-groups/{group['id']}").status_code == 204
    assert api.patch(f"/phase-groups/{group['id']}", json={"title": "x"}).status_code == 404
    assert [row["title"] for row in api.get("/phase-groups").json()["data"]] == ["Stage 1"]


def test_deleting_a_type_or_group_keeps_phases_and_milestones(space: Space) -> None:
    api = space.api
    owner = project(api)
    kind = made(api.post("/phase-types", json={"title": "Build"}))
    group = made(api.post("/phase-groups", json={"title": "Stage"}))
    design = phase(api, owner["id"], phase_type_id=kind["id"], group_id=group["id"])
    launch = milestone(api, owner["id"], group_id=group["id"])
    assert api.delete(f"/phase-types/{kind['id']}").status_code == 204
    shown = api.get(f"/phases/{design['id']}").json()
    assert shown["phase_type"] is None and shown["group"]["id"] == group["id"]
    assert api.delete(f"/phase-types/{kind['id']}").status_code == 404
    assert api.delete(f"/phase-groups/{group['id']}").status_code == 204
    assert api.get(f"/phases/{design['id']}").json()["group"] is None
    assert api.get(f"/milestones/{launch['id']}").json()["group"] is None
    # Deleted ones cannot be assigned any more.
    refused = api.patch(f"/phases/{design['id']}", json={"phase_type_id": kind["id"]})
    assert refused.status_code == 422 and "phase_type_id" in refused.json()["errors"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/phase-types", {"title": "T"}),
        ("PATCH", "/phase-types/{type}", {"title": "T"}),
        ("DELETE", "/phase-types/{type}", None),
        ("POST", "/phase-groups", {"title": "G"}),
        ("PATCH", "/phase-groups/{group}", {"title": "G"}),
        ("DELETE", "/phase-groups/{group}", None),
    ],
)
def test_settings_writes_need_settings_write(
    space: Space, method: str, path: str, body: dict[str, Any] | None
) -> None:
    kind = made(space.api.post("/phase-types", json={"title": "K"}))
    group = made(space.api.post("/phase-groups", json={"title": "G"}))
    url = path.format(type=kind["id"], group=group["id"])
    writer = space.token(["project:write"], name="writer")
    response = writer.request(method, url, json=body)
    assert response.status_code == 403
    assert response.json() == {"message": "This action requires the scope settings:write."}
    assert Api(space.world.client, None).request(method, url, json=body).status_code == 401
    assert writer.get("/phase-types").json()["data"] == [kind]
    assert writer.get("/phase-groups").json()["data"] == [group]


def test_another_space_sees_and_changes_nothing(space: Space, other_space: Space) -> None:
    kind = made(space.api.post("/phase-types", json={"title": "K"}))
    group = made(space.api.post("/phase-groups", json={"title": "G"}))
    other = other_space.api
    assert other.get("/phase-types").json()["data"] == []
    assert other.get("/phase-groups").json()["data"] == []
    assert other.patch(f"/phase-types/{kind['id']}", json={"title": "x"}).status_code == 404
    assert other.delete(f"/phase-types/{kind['id']}").status_code == 404
    assert other.patch(f"/phase-groups/{group['id']}", json={"title": "x"}).status_code == 404
    assert other.delete(f"/phase-groups/{group['id']}").status_code == 404
    assert space.api.get("/phase-types").json()["data"] == [kind]
    assert space.api.get("/phase-groups").json()["data"] == [group]
