"""Clients shared between spaces: read-only where shared, invisible elsewhere."""

from __future__ import annotations

from support import Space, World


def test_shared_client_is_read_only_in_the_receiving_space(
    world: World, space: Space, other_space: Space
) -> None:
    third = world.new_space("Third space")
    contact = space.add_user("am@example.com")
    client = space.api.post(
        "/clients", json={"name": "Shared Co", "shortcode": "SHR", "primary_contact_id": contact}
    ).json()
    cid = client["id"]
    shared = space.api.post(f"/clients/{cid}/shares", json={"space_id": other_space.id})
    assert shared.status_code == 201, shared.text
    assert shared.json()["space"] == {"id": other_space.id, "name": "Other space"}
    again = space.api.post(f"/clients/{cid}/shares", json={"space_id": other_space.id})
    assert again.status_code == 200

    seen = other_space.api.get(f"/clients/{cid}")
    assert seen.status_code == 200
    assert seen.json()["origin_space"] == {"id": space.id, "name": "Test space"}
    assert seen.json()["primary_contact"]["id"] == contact
    assert space.api.get(f"/clients/{cid}").json()["origin_space"] is None
    listed = other_space.api.get("/clients", params={"filter": f'origin_space.id = "{space.id}"'})
    assert [row["id"] for row in listed.json()["data"]] == [cid]
    own_only = other_space.api.get("/clients/full", params={"filter": "origin_space.id is null"})
    assert cid not in [row["id"] for row in own_only.json()["data"]]

    for method, path, body in [
        ("PATCH", f"/clients/{cid}", {"name": "Mine now"}),
        ("PUT", f"/clients/{cid}/shortcode", {"shortcode": "MINE"}),
        (
            "PUT",
            f"/clients/{cid}/external-identifier",
            {"external_id": "x", "external_origin": "y"},
        ),
        ("DELETE", f"/clients/{cid}", None),
        ("DELETE", f"/clients/{cid}/force", None),
        ("POST", f"/clients/{cid}/restore", None),
        ("POST", f"/clients/{cid}/shares", {"space_id": third.id}),
    ]:
        response = other_space.api.request(method, path, json=body)
        assert response.status_code == 403, (method, path, response.text)
    assert space.api.get(f"/clients/{cid}").json()["name"] == "Shared Co"

    assert third.api.get(f"/clients/{cid}").status_code == 404
    assert cid not in [row["id"] for row in third.api.get("/clients").json()["data"]]

    assert space.api.delete(f"/clients/{cid}/shares/{other_space.id}").status_code == 204
    assert other_space.api.get(f"/clients/{cid}").status_code == 404
    assert other_space.api.get("/clients").json()["data"] == []
    assert space.api.delete(f"/clients/{cid}/shares/{other_space.id}").status_code == 404


def test_sharing_rules(space: Space, other_space: Space) -> None:
    cid = space.api.post("/clients", json={"name": "A"}).json()["id"]
    own = space.api.post(f"/clients/{cid}/shares", json={"space_id": space.id})
    assert own.status_code == 422
    unknown = space.api.post(f"/clients/{cid}/shares", json={"space_id": "nope"})
    assert unknown.status_code == 422
    reader = space.token(["client:read"], name="reader")
    assert (
        reader.post(f"/clients/{cid}/shares", json={"space_id": other_space.id}).status_code == 403
    )
    member = space.add_user("member@example.com")
    personal = space.token(["client:write"], name="personal", user_id=member)
    refused = personal.post(f"/clients/{cid}/shares", json={"space_id": other_space.id})
    assert refused.status_code == 403
    stranger = other_space.api.post(f"/clients/{cid}/shares", json={"space_id": other_space.id})
    assert stranger.status_code == 404
