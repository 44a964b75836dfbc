"""Effort types: listed without a scope, written with `settings:write`, deleted for good."""

from __future__ import annotations

from effort_work import effort, made
from support import Space


def test_effort_type_operations(space: Space, other_space: Space) -> None:
    api = space.api
    dev = made(api.post("/effort-types", json={"title": "Development"}))
    assert set(dev) == {"id", "title"} and dev["title"] == "Development"
    made(api.post("/effort-types", json={"title": "Consulting"}))
    listed = space.token([]).get("/effort-types")  # no scope needed to read
    assert listed.status_code == 200
    assert [row["title"] for row in listed.json()["data"]] == ["Consulting", "Development"]
    found = api.get("/effort-types", params={"filter": 'title startswith "dev"'})
    assert [row["id"] for row in found.json()["data"]] == [dev["id"]]

    renamed = api.patch(f"/effort-types/{dev['id']}", json={"title": "Engineering"})
    assert renamed.status_code == 200 and renamed.json() == {**dev, "title": "Engineering"}
    assert api.patch(f"/effort-types/{dev['id']}", json={"title": " "}).status_code == 422
    assert api.post("/effort-types", json={}).status_code == 422
    assert (
        other_space.api.patch(f"/effort-types/{dev['id']}", json={"title": "x"}).status_code == 404
    )

    logged = effort(api, user_id=space.owner_id, effort_type_id=dev["id"])
    assert logged["effort_type"]["title"] == "Engineering"
    assert api.delete(f"/effort-types/{dev['id']}").status_code == 204
    assert api.delete(f"/effort-types/{dev['id']}").status_code == 404
    # The effort keeps existing, without a type.
    kept = api.get(f"/efforts/{logged['id']}")
    assert kept.status_code == 200 and kept.json()["effort_type"] is None


def test_effort_type_writes_need_settings_write(space: Space) -> None:
    dev = made(space.api.post("/effort-types", json={"title": "Development"}))
    api = space.token(["efforts:write", "efforts:read"])
    scope_message = {"message": "This action requires the scope settings:write."}
    for response in (
        api.post("/effort-types", json={"title": "Ops"}),
        api.patch(f"/effort-types/{dev['id']}", json={"title": "Ops"}),
        api.delete(f"/effort-types/{dev['id']}"),
    ):
        assert response.status_code == 403 and response.json() == scope_message
