"""Every clients operation as a caller sees it: statuses, bodies, scopes and lookups."""

from __future__ import annotations

from typing import Any

import pytest

from support import Api, Space

CLIENT_DATA_KEYS = {
    "id",
    "external_id",
    "external_origin",
    "name",
    "shortcode",
    "primary_contact",
    "origin_space",
}
FULL_KEYS = CLIENT_DATA_KEYS | {
    "segment",
    "custom_fields",
    "updated_at",
    "created_at",
    "deleted_at",
}


def create(api: Api, **body: Any) -> dict[str, Any]:
    response = api.post("/clients", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["name"] for row in response.json()["data"]]


def test_create_returns_full_client_with_defaults(space: Space) -> None:
    contact = space.add_user("am@example.com", first_name="Ann", last_name="Manager")
    body = create(space.api, name="Acme Corporation", primary_contact_id=contact)
    assert set(body) == FULL_KEYS
    assert body["segment"] == "B"
    assert body["shortcode"] == "AC"
    assert body["origin_space"] is None
    assert body["deleted_at"] is None
    assert body["created_at"].endswith("Z")
    assert body["primary_contact"]["id"] == contact
    assert body["primary_contact"]["first_name"] == "Ann"
    assert body["primary_contact"]["space"] == {"id": space.id, "name": "Test space"}


def test_generated_shortcodes_stay_unique_case_insensitively(space: Space) -> None:
    create(space.api, name="Other", shortcode="acme")
    assert create(space.api, name="ACME")["shortcode"] == "ACME2"
    assert create(space.api, name="Acme")["shortcode"] == "ACME3"


def test_create_validation(space: Space) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": 12}, "name"),
        ({"name": "A", "segment": "D"}, "segment"),
        ({"name": "A", "primary_contact_id": "nope"}, "primary_contact_id"),
        ({"name": "A", "shortcode": "has space"}, "shortcode"),
        ({"name": "A", "external_id": "x" * 256}, "external_id"),
    ]
    for body, field in cases:
        response = space.api.post("/clients", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["message"] == "The given data was invalid."
        assert field in response.json()["errors"], (body, response.json())


def test_primary_contact_must_be_in_this_space(space: Space, other_space: Space) -> None:
    stranger = other_space.add_user("stranger@example.com")
    response = space.api.post("/clients", json={"name": "A", "primary_contact_id": stranger})
    assert response.status_code == 422
    assert "primary_contact_id" in response.json()["errors"]


def test_shortcode_and_external_id_are_unique(space: Space) -> None:
    create(space.api, name="A", shortcode="ABC", external_id="crm-1")
    duplicate_code = space.api.post("/clients", json={"name": "B", "shortcode": "abc"})
    assert duplicate_code.status_code == 422
    assert "shortcode" in duplicate_code.json()["errors"]
    duplicate_ext = space.api.post("/clients", json={"name": "B", "external_id": "crm-1"})
    assert duplicate_ext.status_code == 422
    assert "external_id" in duplicate_ext.json()["errors"]
    # Another origin may use the same external id.
    other = create(space.api, name="C", external_id="crm-1", external_origin="erp")
    assert other["external_origin"] == "erp"


def test_external_origin_defaults_to_the_integration_slug(space: Space) -> None:
    body = create(space.api, name="A", external_id="crm-9")
    assert body["external_origin"] == "setup-integration"


def test_show_and_find_by(space: Space) -> None:
    client = create(space.api, name="Acme", shortcode="ACM", external_id="crm-7")
    by_id = space.api.get(f"/clients/{client['id']}")
    assert by_id.status_code == 200
    assert by_id.json() == client
    assert by_id.headers["etag"]
    by_code = space.api.get("/clients/acm", params={"find_by": "shortcode"})
    assert by_code.status_code == 200 and by_code.json()["id"] == client["id"]
    by_ext = space.api.get("/clients/crm-7", params={"find_by": "external_id"})
    assert by_ext.status_code == 200 and by_ext.json()["id"] == client["id"]
    explicit_origin = space.api.get(
        "/clients/crm-7", params={"find_by": "external_id", "origin": "setup-integration"}
    )
    assert explicit_origin.json()["id"] == client["id"]
    wrong_origin = space.api.get(
        "/clients/crm-7", params={"find_by": "external_id", "origin": "erp"}
    )
    assert wrong_origin.status_code == 404
    assert wrong_origin.json() == {"message": "Not found."}
    bad_lookup = space.api.get(f"/clients/{client['id']}", params={"find_by": "name"})
    assert bad_lookup.status_code == 400
    assert "find_by" in bad_lookup.json()["errors"]


def test_update_returns_client_data(space: Space) -> None:
    client = create(space.api, name="Acme")
    contact = space.add_user("pm@example.com")
    response = space.api.patch(
        f"/clients/{client['id']}",
        json={"name": "Acme Ltd", "segment": "A", "primary_contact_id": contact},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == CLIENT_DATA_KEYS
    assert body["name"] == "Acme Ltd"
    assert body["primary_contact"]["id"] == contact
    shown = space.api.get(f"/clients/{client['id']}").json()
    assert shown["segment"] == "A"
    assert shown["updated_at"] >= client["updated_at"]
    cleared = space.api.patch(f"/clients/{client['id']}", json={"primary_contact_id": None})
    assert cleared.json()["primary_contact"] is None
    null_name = space.api.patch(f"/clients/{client['id']}", json={"name": None})
    assert null_name.status_code == 422


def test_set_external_identifier_and_shortcode(space: Space) -> None:
    client = create(space.api, name="Acme")
    ext = space.api.put(
        f"/clients/{client['id']}/external-identifier",
        json={"external_id": "X-1", "external_origin": "erp"},
    )
    assert ext.status_code == 200, ext.text
    assert (ext.json()["external_id"], ext.json()["external_origin"]) == ("X-1", "erp")
    found = space.api.get("/clients/X-1", params={"find_by": "external_id", "origin": "erp"})
    assert found.json()["id"] == client["id"]
    missing_origin = space.api.put(
        f"/clients/{client['id']}/external-identifier", json={"external_id": "X-2"}
    )
    assert missing_origin.status_code == 422
    code = space.api.put(f"/clients/{client['id']}/shortcode", json={"shortcode": "NEW"})
    assert code.status_code == 200 and code.json()["shortcode"] == "NEW"
    other = create(space.api, name="Other")
    clash = space.api.put(f"/clients/{other['id']}/shortcode", json={"shortcode": "new"})
    assert clash.status_code == 422
    assert "shortcode" in clash.json()["errors"]
    # Setting a client's own shortcode again (any case) is not a clash.
    same = space.api.put(f"/clients/{client['id']}/shortcode", json={"shortcode": "new"})
    assert same.status_code == 200


def test_archive_restore_and_force_delete(space: Space) -> None:
    kept = create(space.api, name="Kept")
    gone = create(space.api, name="Gone")
    assert space.api.delete(f"/clients/{gone['id']}").status_code == 204
    assert names(space.api.get("/clients")) == ["Kept"]
    assert names(space.api.get("/clients/full")) == ["Kept"]
    with_archived = space.api.get("/clients/full", params={"filter": 'archived eq "with"'})
    assert names(with_archived) == ["Gone", "Kept"]
    only = space.api.get("/clients", params={"filter": 'archived eq "only"'})
    assert names(only) == ["Gone"]
    archived = space.api.get(f"/clients/{gone['id']}")
    assert archived.status_code == 200 and archived.json()["deleted_at"] is not None
    restored = space.api.post(f"/clients/{gone['id']}/restore")
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None
    assert names(space.api.get("/clients")) == ["Gone", "Kept"]
    assert space.api.delete(f"/clients/{kept['id']}/force").status_code == 204
    assert space.api.get(f"/clients/{kept['id']}").status_code == 404
    assert names(space.api.get("/clients", params={"filter": 'archived eq "with"'})) == ["Gone"]


WRITES = [
    ("POST", "/clients", {"name": "X"}),
    ("PATCH", "/clients/{id}", {"name": "X"}),
    ("PUT", "/clients/{id}/external-identifier", {"external_id": "e", "external_origin": "o"}),
    ("PUT", "/clients/{id}/shortcode", {"shortcode": "ZZ"}),
    ("DELETE", "/clients/{id}", None),
    ("POST", "/clients/{id}/restore", None),
    ("DELETE", "/clients/{id}/force", None),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_every_write_needs_client_write(
    space: Space, method: str, path: str, body: dict[str, Any] | None
) -> None:
    client = create(space.api, name="Acme")
    reader = space.token(["client:read"], name="reader")
    response = reader.request(method, path.format(id=client["id"]), json=body)
    assert response.status_code == 403
    assert response.json() == {"message": "This action requires the scope client:write."}
    assert space.api.get(f"/clients/{client['id']}").json()["name"] == "Acme"


def test_reads_need_client_read_except_the_basic_list(space: Space) -> None:
    client = create(space.api, name="Acme")
    nobody = space.token([], name="no-scopes")
    assert nobody.get("/clients").status_code == 200
    for path in ("/clients/full", f"/clients/{client['id']}"):
        response = nobody.get(path)
        assert response.status_code == 403
        assert response.json() == {"message": "This action requires the scope client:read."}


def test_another_space_never_sees_these_clients(space: Space, other_space: Space) -> None:
    client = create(space.api, name="Secret", external_id="s-1", shortcode="SEC")
    stranger = other_space.api
    cid = client["id"]
    for method, path, params in [
        ("GET", f"/clients/{cid}", None),
        ("GET", "/clients/SEC", {"find_by": "shortcode"}),
        ("GET", "/clients/s-1", {"find_by": "external_id", "origin": "setup-integration"}),
        ("PATCH", f"/clients/{cid}", None),
        ("PUT", f"/clients/{cid}/shortcode", None),
        ("PUT", f"/clients/{cid}/external-identifier", None),
        ("DELETE", f"/clients/{cid}", None),
        ("POST", f"/clients/{cid}/restore", None),
        ("DELETE", f"/clients/{cid}/force", None),
    ]:
        body = {"name": "Hijack", "shortcode": "HJ", "external_id": "h", "external_origin": "o"}
        json = body if method in ("PATCH", "PUT") else None
        response = stranger.request(method, path, params=params, json=json)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json() == {"message": "Not found."}
    for path in ("/clients", "/clients/full"):
        for archived in ("with", "only", "without"):
            listed = stranger.get(path, params={"filter": f'archived eq "{archived}"'})
            assert cid not in {row["id"] for row in listed.json()["data"]}
    by_id_filter = stranger.get("/clients/full", params={"filter": 'name = "Secret"'})
    assert by_id_filter.json()["data"] == []
    assert space.api.get(f"/clients/{cid}").json()["name"] == "Secret"


def test_guests_see_no_clients(space: Space) -> None:
    create(space.api, name="Acme")
    guest_id = space.add_user("guest@example.com", user_type="guest")  # type: ignore[arg-type]
    guest = space.token(["client:read", "client:write"], name="guest", user_id=guest_id)
    assert guest.get("/clients").json()["data"] == []
    assert guest.post("/clients", json={"name": "X"}).status_code == 403


def test_etag_and_if_match(space: Space) -> None:
    client = create(space.api, name="Acme")
    etag = space.api.get(f"/clients/{client['id']}").headers["etag"]
    ok = space.api.patch(
        f"/clients/{client['id']}", json={"name": "Acme 2"}, headers={"If-Match": etag}
    )
    assert ok.status_code == 200
    stale = space.api.patch(
        f"/clients/{client['id']}", json={"name": "Acme 3"}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412
    assert stale.json()["message"]
    assert space.api.get(f"/clients/{client['id']}").json()["name"] == "Acme 2"
    stale_delete = space.api.delete(f"/clients/{client['id']}", headers={"If-Match": etag})
    assert stale_delete.status_code == 412
    fresh = space.api.get(f"/clients/{client['id']}").headers["etag"]
    assert fresh != etag
    assert (
        space.api.delete(f"/clients/{client['id']}", headers={"If-Match": fresh}).status_code == 204
    )
    assert (
        space.api.patch(
            f"/clients/{client['id']}", json={"name": "x"}, headers={"If-Match": "*"}
        ).status_code
        == 200
    )


def test_basic_and_full_list_shapes(space: Space) -> None:
    create(space.api, name="Acme")
    basic = space.api.get("/clients").json()["data"][0]
    full = space.api.get("/clients/full").json()["data"][0]
    assert set(basic) == CLIENT_DATA_KEYS
    assert set(full) == FULL_KEYS


def test_list_filters_and_sorts(space: Space) -> None:
    contact = space.add_user("pc@example.com")
    create(space.api, name="Beta", shortcode="B1", segment="A", primary_contact_id=contact)
    create(space.api, name="alpha", shortcode="A1", segment="C")
    create(space.api, name="Gamma", shortcode="G1")
    api = space.api
    assert names(api.get("/clients", params={"sort": "-shortcode"})) == ["Gamma", "Beta", "alpha"]
    assert names(
        api.get("/clients/full", params={"filter": 'segment in ["A","C"]', "sort": "shortcode"})
    ) == ["alpha", "Beta"]
    assert names(api.get("/clients", params={"filter": f'primary_contact.id = "{contact}"'})) == [
        "Beta"
    ]
    assert names(
        api.get("/clients", params={"filter": "primary_contact.id is null", "sort": "name"})
    ) == ["Gamma", "alpha"]
    assert names(api.get("/clients", params={"filter": 'name contains "A"', "sort": "name"})) == [
        "Beta",
        "Gamma",
        "alpha",
    ]
    assert names(
        api.get("/clients", params={"filter": "origin_space.id is null", "sort": "shortcode"})
    ) == ["alpha", "Beta", "Gamma"]
    created = api.get("/clients/full", params={"sort": "-created_at"})
    assert names(created) == ["Gamma", "alpha", "Beta"]
    unknown_basic = api.get("/clients", params={"filter": 'segment = "A"'})
    assert unknown_basic.status_code == 400
    assert "segment" in unknown_basic.json()["errors"]["filter"][0]
    assert api.get("/clients", params={"sort": "created_at"}).status_code == 400


def test_page_size_bounds(space: Space) -> None:
    for size in ("0", "101", "x"):
        response = space.api.get("/clients", params={"page[size]": size})
        assert response.status_code == 422, size
    assert space.api.get("/clients", params={"page[size]": "100"}).status_code == 200
