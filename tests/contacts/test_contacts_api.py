"""Every contacts operation as a caller sees it: bodies, statuses, scopes, tenancy."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.app import OPENAPI_PATH
from kanbert.custom_fields.models import CustomField, CustomFieldType, EntityType
from kanbert.custom_fields.values import next_version

from support import Api, Space, World

CONTACT_KEYS = {
    "id",
    "external_id",
    "external_origin",
    "gender",
    "first_name",
    "last_name",
    "title",
    "title_suffix",
    "position",
    "locale",
    "birthday",
    "fax",
    "telephone",
    "telephone_private",
    "mobile",
    "mobile_private",
    "email",
    "email_private",
    "address_street",
    "address_house",
    "address_street2",
    "address_zip",
    "address_state",
    "address_town",
    "address_country",
    "owner",
    "client",
    "custom_fields",
    "created_at",
    "updated_at",
    "deleted_at",
}
SCALARS: dict[str, Any] = {
    "gender": "female",
    "first_name": "Ann",
    "last_name": "Smith",
    "title": "Dr.",
    "title_suffix": "MBA",
    "position": "Head of Purchasing",
    "locale": "de_AT",
    "birthday": "1980-02-29",
    "fax": "+43 1 2",
    "telephone": "+43 1 1",
    "telephone_private": "+43 1 9",
    "mobile": "+43 660 1",
    "mobile_private": "+43 660 9",
    "email": "ann@acme.example",
    "email_private": "ann@home.example",
    "address_street": "Ringstrasse",
    "address_house": "1",
    "address_street2": "Stiege 2",
    "address_zip": "1010",
    "address_state": "Wien",
    "address_town": "Wien",
}
AUSTRIA = {"id": "AT", "name": "Austria", "code": "AT"}
COUNTRY_SPELLINGS: dict[str, dict[str, Any]] = {
    "name": {"address_country": "Austria"},
    "alpha-2": {"address_country": "at"},
    "id": {"address_country_id": "AT", "address_country": "Narnia"},
}


def create(api: Api, **body: Any) -> dict[str, Any]:
    response = api.post("/contacts", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def company(api: Api, name: str) -> dict[str, Any]:
    response = api.post("/companies", json={"company_name": name})
    assert response.status_code == 201, response.text
    return response.json()


def invalid_fields(response: Any) -> set[str]:
    assert response.status_code == 422, response.text
    assert response.json()["message"] == "The given data was invalid."
    return set(response.json()["errors"])


def first_names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["first_name"] for row in response.json()["data"]]


def define_field(space: Space, alias: str, kind: CustomFieldType, **extra: Any) -> None:
    async def add(session: AsyncSession) -> None:
        session.add(
            CustomField(
                space_id=space.id,
                title=alias.title(),
                field_name=alias,
                type=kind,
                entity_type=EntityType.contact,
                **extra,
            )
        )
        # Written behind the API's back: announced as `kanbert seed` announces them.
        await session.execute(next_version(space.id))

    space.world.run(add)


@pytest.mark.parametrize("country", COUNTRY_SPELLINGS, ids=list(COUNTRY_SPELLINGS))
def test_round_trip_of_every_field(space: Space, country: str) -> None:
    define_field(space, "hobby", CustomFieldType.input)
    owner = space.add_user("owner@example.com", first_name="Olga", last_name="Owner")
    client = space.api.post("/clients", json={"name": "Acme", "primary_contact_id": owner})
    assert client.status_code == 201
    acme, globex = company(space.api, "Acme"), company(space.api, "Globex")
    created = create(
        space.api,
        **SCALARS,
        **COUNTRY_SPELLINGS[country],
        owner_id=owner,
        client_id=client.json()["id"],
        companies=[{"id": acme["id"], "position": "CEO"}, {"id": globex["id"]}],
        custom_fields={"hobby": "chess"},
        external_id="c-1",
    )
    full_client = space.api.get(f"/clients/{client.json()['id']}").json()
    owner_data = full_client["primary_contact"]
    assert owner_data["id"] == owner and owner_data["first_name"] == "Olga"
    expected = {
        **SCALARS,
        "id": created["id"],
        "external_id": "c-1",
        "external_origin": "setup-integration",
        "address_country": AUSTRIA,
        "owner": owner_data,
        "client": {
            key: full_client[key]
            for key in (
                "id",
                "external_id",
                "external_origin",
                "name",
                "shortcode",
                "primary_contact",
                "origin_space",
            )
        },
        "custom_fields": {"hobby": "chess"},
        "created_at": created["created_at"],
        "updated_at": created["updated_at"],
        "deleted_at": None,
    }
    assert set(expected) == CONTACT_KEYS
    assert created == expected
    shown = space.api.get(f"/contacts/{created['id']}")
    assert shown.status_code == 200 and shown.json() == expected
    assert shown.headers["etag"]
    by_external = space.api.get("/contacts/c-1", params={"find_by": "external_id"})
    assert by_external.json() == expected

    included = space.api.get(f"/contacts/{created['id']}", params={"include": "companies"})
    linked = {row["company_name"]: row for row in included.json()["companies"]}
    assert set(linked) == {"Acme", "Globex"}
    assert linked["Acme"]["contact_company"] == {"position": "CEO"}
    assert linked["Globex"]["contact_company"] == {"position": None}
    assert {k: v for k, v in linked["Acme"].items() if k != "contact_company"} == acme
    listed = space.api.get("/contacts", params={"include": "companies"}).json()["data"]
    assert listed == [included.json()]


def test_documented_schema_names_exactly_what_is_rendered(world: World) -> None:
    schemas = world.client.get(OPENAPI_PATH).json()["components"]["schemas"]
    assert set(schemas["ContactData"]["required"]) == CONTACT_KEYS
    assert set(schemas["ContactData"]["properties"]) == CONTACT_KEYS | {
        "companies",
        "contact_company",
    }
    # The body takes every rendered scalar, and references by id.
    scalars = CONTACT_KEYS - {"id", "created_at", "updated_at", "deleted_at", "owner", "client"}
    assert set(schemas["ContactFields"]["properties"]) == scalars | {
        "address_country_id",
        "owner_id",
        "client_id",
        "companies",
    }


def test_a_minimal_contact(space: Space) -> None:
    define_field(space, "hobby", CustomFieldType.input)
    created = create(space.api)
    assert set(created) == CONTACT_KEYS
    nullable = CONTACT_KEYS - {"id", "custom_fields", "created_at", "updated_at"}
    assert {key: created[key] for key in nullable} == dict.fromkeys(nullable)
    assert created["custom_fields"] == {"hobby": None}


def test_create_validation(space: Space, other_space: Space) -> None:
    theirs = company(other_space.api, "Theirs")
    archived = company(space.api, "Archived")
    assert space.api.delete(f"/companies/{archived['id']}").status_code == 204
    mine = company(space.api, "Mine")
    stranger = other_space.add_user("stranger@example.com")
    former = space.add_user("former@example.com")
    assert space.api.delete(f"/users/{former}").status_code == 204
    foreign_client = other_space.api.post("/clients", json={"name": "Theirs"}).json()
    define_field(space, "level", CustomFieldType.number, is_required=True)
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"email": "not-an-address"}, {"email"}),
        ({"email": "a@x.example, b@y.example"}, {"email"}),
        ({"email_private": "nobody@"}, {"email_private"}),
        ({"birthday": "1980-02-30"}, {"birthday"}),
        ({"first_name": "x" * 256}, {"first_name"}),
        ({"address_country": "Narnia"}, {"address_country"}),
        ({"address_country_id": "ZZ"}, {"address_country_id"}),
        ({"owner_id": stranger}, {"owner_id"}),
        ({"owner_id": former}, {"owner_id"}),
        ({"client_id": foreign_client["id"]}, {"client_id"}),
        ({"companies": [{"id": theirs["id"]}]}, {"companies.0.id"}),
        ({"companies": [{"id": mine["id"]}, {"id": archived["id"]}]}, {"companies.1.id"}),
        ({"companies": [{"id": mine["id"]}, {"id": mine["id"]}]}, {"companies.1.id"}),
        ({"companies": [{"position": "CEO"}]}, {"companies.0.id"}),
        ({"companies": [{"id": mine["id"], "position": "x" * 256}]}, {"companies.0.position"}),
        ({"custom_fields": {"nope": 1}}, {"custom_fields.nope", "custom_fields.level"}),
    ]
    for body, fields in cases:
        extra = {} if "custom_fields" in body else {"custom_fields": {"level": 1}}
        response = space.api.post("/contacts", json={**extra, **body})
        assert invalid_fields(response) == fields, (body, response.json())
    required = space.api.post("/contacts", json={"first_name": "Ann"})
    assert invalid_fields(required) == {"custom_fields.level"}
    assert space.api.get("/contacts", params={"filter": 'archived eq "with"'}).json()["data"] == []


def test_update_replaces_only_what_is_given(space: Space) -> None:
    acme, globex = company(space.api, "Acme"), company(space.api, "Globex")
    owner = space.add_user("owner@example.com")
    contact = create(
        space.api,
        first_name="Ann",
        last_name="Smith",
        birthday="1980-01-01",
        owner_id=owner,
        companies=[{"id": acme["id"], "position": "CEO"}],
    )
    path = f"/contacts/{contact['id']}"
    response = space.api.patch(
        path,
        json={
            "last_name": "Jones",
            "birthday": None,
            "companies": [{"id": globex["id"], "position": "CFO"}],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == CONTACT_KEYS
    assert (body["first_name"], body["last_name"], body["birthday"]) == ("Ann", "Jones", None)
    assert body["owner"]["id"] == owner
    assert body["updated_at"] > contact["updated_at"]
    linked = space.api.get(path, params={"include": "companies"}).json()["companies"]
    assert [(c["company_name"], c["contact_company"]["position"]) for c in linked] == [
        ("Globex", "CFO")
    ]
    # Re-sending a link to a company archived meanwhile is fine; a new one is not.
    assert space.api.delete(f"/companies/{globex['id']}").status_code == 204
    resent = space.api.patch(path, json={"companies": [{"id": globex["id"], "position": "CEO"}]})
    assert resent.status_code == 200, resent.text
    acme_archived = space.api.delete(f"/companies/{acme['id']}")
    assert acme_archived.status_code == 204
    refused = space.api.patch(path, json={"companies": [{"id": acme["id"]}]})
    assert invalid_fields(refused) == {"companies.0.id"}
    # An empty list (or null) unlinks every company.
    assert space.api.patch(path, json={"companies": None}).status_code == 200
    assert space.api.post(f"/companies/{globex['id']}/restore").status_code == 200
    assert space.api.get(path, params={"include": "companies"}).json()["companies"] == []
    cleared = space.api.patch(path, json={"owner_id": None, "external_id": "c-9"})
    assert cleared.json()["owner"] is None
    assert cleared.json()["external_id"] == "c-9"


def test_external_ids_are_unique_per_origin(space: Space) -> None:
    first = create(space.api, first_name="A", external_id="c-1")
    duplicate = space.api.post("/contacts", json={"first_name": "B", "external_id": "c-1"})
    assert invalid_fields(duplicate) == {"external_id"}
    other = create(space.api, first_name="C", external_id="c-1", external_origin="erp")
    clash = space.api.patch(f"/contacts/{other['id']}", json={"external_origin": None})
    assert invalid_fields(clash) == {"external_id"}
    found = space.api.get("/contacts/c-1", params={"find_by": "external_id", "origin": "erp"})
    assert found.json()["id"] == other["id"]
    assert (
        space.api.get("/contacts/c-1", params={"find_by": "external_id"}).json()["id"]
        == (first["id"])
    )


def test_archive_restore_and_force_delete(space: Space) -> None:
    acme = company(space.api, "Acme")
    kept = create(space.api, first_name="Kept")
    gone = create(space.api, first_name="Gone", companies=[{"id": acme["id"]}])
    assert space.api.delete(f"/contacts/{gone['id']}").status_code == 204
    assert first_names(space.api.get("/contacts")) == ["Kept"]
    archived_only = space.api.get("/contacts", params={"filter": 'archived eq "only"'})
    assert first_names(archived_only) == ["Gone"]
    archived = space.api.get(f"/contacts/{gone['id']}", params={"include": "companies"})
    assert archived.json()["deleted_at"] is not None
    assert [c["id"] for c in archived.json()["companies"]] == [acme["id"]]
    restored = space.api.post(f"/contacts/{gone['id']}/restore")
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None
    assert set(restored.json()) == CONTACT_KEYS
    assert space.api.delete(f"/contacts/{gone['id']}/force").status_code == 204
    assert space.api.get(f"/contacts/{gone['id']}").status_code == 404
    still = space.api.get(f"/companies/{acme['id']}", params={"include": "contacts"})
    assert still.status_code == 200 and still.json()["contacts"] == []
    assert first_names(space.api.get("/contacts", params={"filter": 'archived eq "with"'})) == [
        "Kept"
    ]
    assert space.api.delete(f"/contacts/{kept['id']}/force").status_code == 204
    assert space.api.get("/contacts", params={"filter": 'archived eq "with"'}).json()["data"] == []


def test_etag_and_if_match(space: Space) -> None:
    contact = create(space.api, first_name="Ann")
    path = f"/contacts/{contact['id']}"
    etag = space.api.get(path).headers["etag"]
    assert (
        space.api.patch(path, json={"mobile": "1"}, headers={"If-Match": etag}).status_code == 200
    )
    for method, url in [
        ("PATCH", path),
        ("DELETE", path),
        ("POST", f"{path}/restore"),
        ("DELETE", f"{path}/force"),
    ]:
        stale = space.api.request(method, url, json={}, headers={"If-Match": etag})
        assert stale.status_code == 412, (method, url)
    assert space.api.get(path).json()["mobile"] == "1"


WRITES = [
    ("POST", "/contacts", {"first_name": "X"}),
    ("PATCH", "/contacts/{id}", {"first_name": "X"}),
    ("DELETE", "/contacts/{id}", None),
    ("POST", "/contacts/{id}/restore", None),
    ("DELETE", "/contacts/{id}/force", None),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_every_write_needs_contact_data_write(
    space: Space, method: str, path: str, body: dict[str, Any] | None
) -> None:
    contact = create(space.api, first_name="Ann")
    reader = space.token(["contact-data:read", "settings:write"], name="reader")
    response = reader.request(method, path.format(id=contact["id"]), json=body)
    assert response.status_code == 403
    assert response.json() == {"message": "This action requires the scope contact-data:write."}
    shown = space.api.get(f"/contacts/{contact['id']}").json()
    assert shown["first_name"] == "Ann" and shown["deleted_at"] is None


def test_reads_need_contact_data_read(space: Space) -> None:
    contact = create(space.api, first_name="Ann")
    writer = space.token(["contact-data:write"], name="writer")
    for path in ("/contacts", f"/contacts/{contact['id']}"):
        response = writer.get(path)
        assert response.status_code == 403
        assert response.json() == {"message": "This action requires the scope contact-data:read."}
    reader = space.token(["contact-data:read"], name="reader")
    assert first_names(reader.get("/contacts")) == ["Ann"]


def test_another_space_never_sees_these_contacts(space: Space, other_space: Space) -> None:
    contact = create(space.api, first_name="Secret", external_id="s-1")
    cid = contact["id"]
    stranger = other_space.api
    theirs = company(stranger, "Theirs")
    for method, path, params in [
        ("GET", f"/contacts/{cid}", None),
        ("GET", "/contacts/s-1", {"find_by": "external_id", "origin": "setup-integration"}),
        ("PATCH", f"/contacts/{cid}", None),
        ("DELETE", f"/contacts/{cid}", None),
        ("POST", f"/contacts/{cid}/restore", None),
        ("DELETE", f"/contacts/{cid}/force", None),
        ("PUT", f"/companies/{theirs['id']}/contacts/{cid}", None),
    ]:
        json = {"first_name": "Hijack"} if method == "PATCH" else None
        response = stranger.request(method, path, params=params, json=json)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json() == {"message": "Not found."}
    for archived in ("with", "only", "without"):
        listed = stranger.get("/contacts", params={"filter": f'archived eq "{archived}"'})
        assert cid not in {row["id"] for row in listed.json()["data"]}
    assert space.api.get(f"/contacts/{cid}").json()["first_name"] == "Secret"


@pytest.mark.parametrize("user_type", ["guest", "tax_advisor"])
def test_guests_and_tax_advisors_see_no_contacts(space: Space, user_type: str) -> None:
    contact = create(space.api, first_name="Ann")
    user_id = space.add_user(f"{user_type}@example.com", user_type=user_type)  # type: ignore[arg-type]
    limited = space.token(
        ["contact-data:read", "contact-data:write"], name=user_type, user_id=user_id
    )
    assert limited.get("/contacts").json()["data"] == []
    assert limited.get(f"/contacts/{contact['id']}").status_code == 404
    assert limited.delete(f"/contacts/{contact['id']}").status_code == 404
    assert limited.post("/contacts", json={"first_name": "X"}).status_code == 403
    assert first_names(space.api.get("/contacts")) == ["Ann"]
