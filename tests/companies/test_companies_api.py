"""Every companies operation as a caller sees it: bodies, quirks, statuses, scopes, tenancy."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.app import OPENAPI_PATH
from kanbert.custom_fields.models import CustomField, CustomFieldType, EntityType
from kanbert.custom_fields.values import next_version

from support import Api, Space, World

COMPANY_KEYS = {
    "id",
    "external_id",
    "external_origin",
    "vendor_identifier",
    "company_name",
    "locale",
    "tax_uid",
    "taxation_enabled",
    "iban",
    "bic",
    "email",
    "email_general",
    "phone",
    "fax",
    "homepage",
    "invoices_by_post",
    "invoices_by_email",
    "business_field",
    "company_size",
    "company_revenue",
    "person_attention_to",
    "address_invoice_title",
    "address_invoice_street",
    "address_invoice_house",
    "address_invoice_street2",
    "address_invoice_zip",
    "address_invoice_state",
    "address_invoice_town",
    "address_invoice_country",
    "address_invoice_is_delivery",
    "delivery_person_attention_to",
    "address_delivery_title",
    "address_delivery_street",
    "address_delivery_house",
    "address_delivery_street2",
    "address_delivery_zip",
    "address_delivery_state",
    "address_delivery_town",
    "address_delivery_country",
    "client",
    "custom_fields",
    "created_at",
    "updated_at",
    "deleted_at",
}
CLIENT_KEYS = {"id", "external_id", "external_origin", "name", "shortcode"}
CLIENT_KEYS |= {"primary_contact", "origin_space"}
GERMANY = {"id": "DE", "name": "Germany", "code": "DE"}
AUSTRIA = {"id": "AT", "name": "Austria", "code": "AT"}

# Every scalar of the seed's CompanyData example, as the body sends it.
SCALARS: dict[str, Any] = {
    "vendor_identifier": "V-100",
    "company_name": "Acme GmbH",
    "locale": "de_DE",
    "tax_uid": "DE123456789",
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
    "email": "info@acme.example, billing@acme.example",
    "email_general": "hello@acme.example",
    "phone": "+49 30 123456",
    "fax": "+49 30 123457",
    "homepage": "https://acme.example",
    "person_attention_to": "Ann Buyer",
    "address_invoice_title": "Acme GmbH Accounting",
    "address_invoice_street": "Invalidenstrasse",
    "address_invoice_house": "12a",
    "address_invoice_street2": "Hinterhaus",
    "address_invoice_zip": "10115",
    "address_invoice_state": "Berlin",
    "address_invoice_town": "Berlin",
    "address_invoice_is_delivery": False,
    "delivery_person_attention_to": "Bob Dock",
    "address_delivery_title": "Acme Lager",
    "address_delivery_street": "Ringstrasse",
    "address_delivery_house": "1",
    "address_delivery_street2": "Tor 3",
    "address_delivery_zip": "1010",
    "address_delivery_state": "Wien",
    "address_delivery_town": "Wien",
    "invoices_by_email": True,
}
COUNTRY_SPELLINGS: dict[str, dict[str, Any]] = {
    "name": {"address_invoice_country": "Germany", "address_delivery_country": "Austria"},
    "alpha-2": {"address_invoice_country": "DE", "address_delivery_country": "AT"},
    # With the id given, the code/name field is ignored, however wrong.
    "id": {
        "address_invoice_country_id": "DE",
        "address_delivery_country_id": "AT",
        "address_delivery_country": "Narnia",
    },
}


def create(api: Api, **body: Any) -> dict[str, Any]:
    response = api.post("/companies", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def lookup(space: Space, path: str, label: str, value: str) -> dict[str, Any]:
    response = space.api.post(f"/{path}", json={label: value})
    assert response.status_code == 201, response.text
    return response.json()


def define_field(space: Space, alias: str, kind: CustomFieldType, **extra: Any) -> None:
    async def add(session: AsyncSession) -> None:
        session.add(
            CustomField(
                space_id=space.id,
                title=alias.title(),
                field_name=alias,
                type=kind,
                entity_type=EntityType.company,
                **extra,
            )
        )
        # Written behind the API's back: announced as `kanbert seed` announces them.
        await session.execute(next_version(space.id))

    space.world.run(add)


def client_data(space: Space, client_id: str) -> dict[str, Any]:
    full = space.api.get(f"/clients/{client_id}").json()
    return {key: full[key] for key in CLIENT_KEYS}


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["company_name"] for row in response.json()["data"]]


def invalid_fields(response: Any) -> set[str]:
    assert response.status_code == 422, response.text
    assert response.json()["message"] == "The given data was invalid."
    return set(response.json()["errors"])


@pytest.mark.parametrize("countries", COUNTRY_SPELLINGS, ids=list(COUNTRY_SPELLINGS))
def test_round_trip_of_every_field(space: Space, countries: str) -> None:
    define_field(space, "industry_code", CustomFieldType.input)
    manager = space.add_user("am@example.com", first_name="Ann", last_name="Manager")
    client = space.api.post("/clients", json={"name": "Acme", "primary_contact_id": manager})
    assert client.status_code == 201, client.text
    field = lookup(space, "business-fields", "name", "Manufacturing")
    size = lookup(space, "company-sizes", "title", "50-250")
    revenue = lookup(space, "company-revenues", "title", "10M-50M")
    hot, big = lookup(space, "tags", "title", "hot"), lookup(space, "tags", "title", "big")
    body = {
        **SCALARS,
        **COUNTRY_SPELLINGS[countries],
        "external_id": "crm-1",
        "external_origin": "erp",
        "taxation": True,
        "invoice_by_post": True,
        "business_field_id": field["id"],
        "company_size_id": size["id"],
        "company_revenue_id": revenue["id"],
        "client_id": client.json()["id"],
        "tag_ids": [hot["id"], big["id"]],
        "custom_fields": {"industry_code": "C25"},
    }
    created = create(space.api, **body)
    expected = {
        **SCALARS,
        "id": created["id"],
        "external_id": "crm-1",
        "external_origin": "erp",
        "taxation_enabled": True,
        "invoices_by_post": True,
        "business_field": {"id": field["id"], "name": "Manufacturing"},
        "company_size": {"id": size["id"], "title": "50-250"},
        "company_revenue": {"id": revenue["id"], "title": "10M-50M"},
        "address_invoice_country": GERMANY,
        "address_delivery_country": AUSTRIA,
        "client": client_data(space, client.json()["id"]),
        "custom_fields": {"industry_code": "C25"},
        "created_at": created["created_at"],
        "updated_at": created["updated_at"],
        "deleted_at": None,
    }
    assert set(expected) == COMPANY_KEYS
    assert created == expected
    assert created["client"]["primary_contact"]["first_name"] == "Ann"
    assert created["client"]["primary_contact"]["space"] == {"id": space.id, "name": "Test space"}
    assert created["created_at"].endswith("Z")

    shown = space.api.get(f"/companies/{created['id']}")
    assert shown.status_code == 200
    assert shown.json() == expected
    assert shown.headers["etag"]
    included = space.api.get(f"/companies/{created['id']}", params={"include": "tags,contacts"})
    assert included.json() == {**expected, "tags": [big, hot], "contacts": []}
    by_external = space.api.get(
        "/companies/crm-1", params={"find_by": "external_id", "origin": "erp"}
    )
    assert by_external.status_code == 200
    assert by_external.json() == expected
    listed = space.api.get("/companies", params={"include": "tags"}).json()["data"]
    assert listed == [{**expected, "tags": [big, hot]}]


def test_documented_schemas_name_exactly_what_is_rendered(world: World) -> None:
    schemas = world.client.get(OPENAPI_PATH).json()["components"]["schemas"]
    optional = {
        "CompanyData": {"tags", "contacts", "contact_company"},
        "ContactData": {"companies", "contact_company"},
    }
    company = schemas["CompanyData"]
    assert set(company["required"]) == COMPANY_KEYS
    assert set(company["properties"]) == COMPANY_KEYS | optional["CompanyData"]
    contact = schemas["ContactData"]
    assert set(contact["properties"]) == set(contact["required"]) | optional["ContactData"]
    for name, keys in [
        ("CountryData", {"id", "name", "code"}),
        ("BusinessFieldData", {"id", "name"}),
        ("TagData", {"id", "title"}),
        ("ContactCompanyPivotData", {"position"}),
    ]:
        assert set(schemas[name]["required"]) == set(schemas[name]["properties"]) == keys
    # The create body documents Kanbert's spellings.
    create_body = schemas["CompanyCreate"]["properties"]
    assert {"taxation", "invoice_by_post", "tag_ids", "address_invoice_country_id"} <= set(
        create_body
    )
    assert schemas["CompanyCreate"]["required"] == ["company_name"]


def test_a_minimal_company_has_the_documented_defaults(space: Space) -> None:
    define_field(space, "rating", CustomFieldType.number)
    created = create(space.api, company_name="Solo")
    assert set(created) == COMPANY_KEYS
    assert created["taxation_enabled"] is False
    assert created["invoices_by_post"] is False and created["invoices_by_email"] is False
    assert created["address_invoice_is_delivery"] is True
    assert created["custom_fields"] == {"rating": None}
    nullable = COMPANY_KEYS - {
        "id",
        "company_name",
        "taxation_enabled",
        "invoices_by_post",
        "invoices_by_email",
        "address_invoice_is_delivery",
        "custom_fields",
        "created_at",
        "updated_at",
    }
    assert {key: created[key] for key in nullable} == dict.fromkeys(nullable)


def test_countries_by_any_iso_spelling(space: Space) -> None:
    cases: list[tuple[Any, dict[str, str]]] = [
        ("germany", GERMANY),
        ("DEU", GERMANY),
        ("deu", GERMANY),
        ("276", GERMANY),
        (276, GERMANY),
        ("40", AUSTRIA),  # numeric codes may drop their leading zero
        ("Federal Republic of Germany", GERMANY),  # the official name
        ("Bolivia", {"id": "BO", "name": "Bolivia, Plurinational State of", "code": "BO"}),
    ]
    for given, country in cases:
        body = create(space.api, company_name=f"By {given}", address_invoice_country=given)
        assert body["address_invoice_country"] == country, given
    for field, value in [
        ("address_invoice_country", "Narnia"),
        ("address_delivery_country", "XX"),
        ("address_invoice_country", ""),
        ("address_invoice_country", 999),
        ("address_invoice_country_id", "XX"),
        ("address_delivery_country_id", "de"),  # ids are exact
    ]:
        response = space.api.post("/companies", json={"company_name": "X", field: value})
        assert invalid_fields(response) == {field}, (field, value)
    company = create(space.api, company_name="Clears", address_delivery_country="FR")
    cleared = space.api.patch(
        f"/companies/{company['id']}", json={"address_delivery_country": None}
    )
    assert cleared.json()["address_delivery_country"] is None


def test_boolean_field_spellings(space: Space) -> None:
    documented = create(space.api, company_name="A", taxation=True, invoice_by_post=True)
    assert documented["taxation_enabled"] is True and documented["invoices_by_post"] is True
    response_names = create(
        space.api, company_name="B", taxation_enabled=True, invoices_by_post=True
    )
    assert response_names["taxation_enabled"] is True
    assert response_names["invoices_by_post"] is True
    patched = space.api.patch(
        f"/companies/{documented['id']}", json={"taxation_enabled": False, "invoice_by_post": False}
    )
    assert patched.json()["taxation_enabled"] is False
    assert patched.json()["invoices_by_post"] is False
    for field in ("taxation", "taxation_enabled", "invoice_by_post", "invoices_by_email"):
        assert invalid_fields(
            space.api.post("/companies", json={"company_name": "C", field: "perhaps"})
        ) == {field}


def test_email_lists(space: Space) -> None:
    several = create(space.api, company_name="A", email="a@x.example,b@y.example")
    assert several["email"] == "a@x.example,b@y.example"
    for field, value in [
        ("email", "a@x.example, not-an-address"),
        ("email", "a@x.example,"),
        ("email", "plain"),
        ("email_general", "a@x.example, b@y.example"),  # one address only
        ("email_general", "nobody@"),
    ]:
        response = space.api.post("/companies", json={"company_name": "X", field: value})
        assert invalid_fields(response) == {field}, (field, value)


def test_create_validation(space: Space, other_space: Space) -> None:
    foreign_tag = lookup(other_space, "tags", "title", "theirs")
    foreign_field = lookup(other_space, "business-fields", "name", "theirs")
    foreign_client = other_space.api.post("/clients", json={"name": "Theirs"}).json()
    archived_client = space.api.post("/clients", json={"name": "Old"}).json()
    assert space.api.delete(f"/clients/{archived_client['id']}").status_code == 204
    define_field(space, "rating", CustomFieldType.number)
    missing_name = space.api.post("/companies", json={"phone": "1"})
    assert invalid_fields(missing_name) == {"company_name"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"company_name": ""}, "company_name"),
        ({"company_name": "   "}, "company_name"),
        ({"company_name": None}, "company_name"),
        ({"company_name": 7}, "company_name"),
        ({"homepage": "x" * 256}, "homepage"),
        ({"external_id": "x" * 256}, "external_id"),
        ({"business_field_id": "missing"}, "business_field_id"),
        ({"business_field_id": foreign_field["id"]}, "business_field_id"),
        ({"company_size_id": foreign_tag["id"]}, "company_size_id"),
        ({"company_revenue_id": "missing"}, "company_revenue_id"),
        ({"tag_ids": [foreign_tag["id"]]}, "tag_ids"),
        ({"tag_ids": "nope"}, "tag_ids"),
        ({"client_id": foreign_client["id"]}, "client_id"),
        ({"client_id": archived_client["id"]}, "client_id"),
        ({"custom_fields": {"unknown": 1}}, "custom_fields.unknown"),
        ({"custom_fields": {"rating": "high"}}, "custom_fields.rating"),
    ]
    for extra, field in cases:
        body = {"company_name": "X", **extra}
        assert field in invalid_fields(space.api.post("/companies", json=body)), (extra, field)
    assert names(space.api.get("/companies", params={"filter": 'archived eq "with"'})) == []


def test_update_changes_only_what_is_given(space: Space) -> None:
    hot, cold = lookup(space, "tags", "title", "hot"), lookup(space, "tags", "title", "cold")
    client = space.api.post("/clients", json={"name": "Acme"}).json()
    company = create(
        space.api,
        company_name="Acme",
        phone="1",
        fax="2",
        client_id=client["id"],
        tag_ids=[hot["id"]],
        taxation=True,
    )
    response = space.api.patch(
        f"/companies/{company['id']}", json={"phone": "9", "fax": None, "tag_ids": [cold["id"]]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == COMPANY_KEYS
    assert (body["company_name"], body["phone"], body["fax"]) == ("Acme", "9", None)
    assert body["taxation_enabled"] is True
    assert body["client"]["id"] == client["id"]
    assert body["updated_at"] > company["updated_at"]
    tags = space.api.get(f"/companies/{company['id']}", params={"include": "tags"}).json()["tags"]
    assert tags == [cold]

    # A whole record sent back is fine even when its client was archived meanwhile.
    assert space.api.delete(f"/clients/{client['id']}").status_code == 204
    resent = space.api.patch(
        f"/companies/{company['id']}", json={"client_id": client["id"], "tag_ids": []}
    )
    assert resent.status_code == 200, resent.text
    assert resent.json()["client"]["id"] == client["id"]
    only_custom = space.api.patch(f"/companies/{company['id']}", json={"tag_ids": None})
    assert only_custom.status_code == 200
    assert (
        space.api.get(f"/companies/{company['id']}", params={"include": "tags"}).json()["tags"]
        == []
    )
    for field in ("company_name", "taxation", "invoices_by_email", "address_invoice_is_delivery"):
        null = space.api.patch(f"/companies/{company['id']}", json={field: None})
        assert invalid_fields(null) == {field}
    cleared = space.api.patch(f"/companies/{company['id']}", json={"client_id": None})
    assert cleared.json()["client"] is None


def test_external_ids_are_unique_per_origin(space: Space) -> None:
    first = create(space.api, company_name="A", external_id="crm-1")
    assert first["external_origin"] == "setup-integration"
    duplicate = space.api.post("/companies", json={"company_name": "B", "external_id": "crm-1"})
    assert invalid_fields(duplicate) == {"external_id"}
    elsewhere = create(space.api, company_name="C", external_id="crm-1", external_origin="erp")
    assert elsewhere["external_origin"] == "erp"
    clash = space.api.patch(
        f"/companies/{elsewhere['id']}", json={"external_origin": "setup-integration"}
    )
    assert invalid_fields(clash) == {"external_id"}
    same = space.api.patch(f"/companies/{first['id']}", json={"external_id": "crm-1"})
    assert same.status_code == 200
    # Companies without an external id never clash.
    create(space.api, company_name="D")
    create(space.api, company_name="E")
    found = space.api.get("/companies/crm-1", params={"find_by": "external_id"})
    assert found.json()["id"] == first["id"]
    found_erp = space.api.get(
        "/companies/crm-1", params={"find_by": "external_id", "origin": "erp"}
    )
    assert found_erp.json()["id"] == elsewhere["id"]
    assert space.api.get("/companies/crm-2", params={"find_by": "external_id"}).status_code == 404
    assert space.api.get("/companies/A", params={"find_by": "shortcode"}).status_code == 400


def test_external_id_may_repeat_across_spaces(space: Space, other_space: Space) -> None:
    create(space.api, company_name="A", external_id="crm-1")
    create(other_space.api, company_name="B", external_id="crm-1")


def test_archive_restore_and_force_delete(space: Space) -> None:
    kept = create(space.api, company_name="Kept")
    gone = create(space.api, company_name="Gone")
    contact = space.api.post("/contacts", json={"first_name": "Ann"}).json()
    assert space.api.put(f"/companies/{gone['id']}/contacts/{contact['id']}").status_code == 200

    assert space.api.delete(f"/companies/{gone['id']}").status_code == 204
    assert names(space.api.get("/companies")) == ["Kept"]
    assert names(space.api.get("/companies", params={"filter": 'archived eq "only"'})) == ["Gone"]
    archived = space.api.get(f"/companies/{gone['id']}", params={"include": "contacts"})
    assert archived.status_code == 200 and archived.json()["deleted_at"] is not None
    assert [c["id"] for c in archived.json()["contacts"]] == [contact["id"]]  # links kept
    restored = space.api.post(f"/companies/{gone['id']}/restore")
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None
    assert set(restored.json()) == COMPANY_KEYS
    assert names(space.api.get("/companies")) == ["Gone", "Kept"]

    assert space.api.delete(f"/companies/{gone['id']}/force").status_code == 204
    assert space.api.get(f"/companies/{gone['id']}").status_code == 404
    assert names(space.api.get("/companies", params={"filter": 'archived eq "with"'})) == ["Kept"]
    # The contact stays, without the link.
    survivor = space.api.get(f"/contacts/{contact['id']}", params={"include": "companies"})
    assert survivor.status_code == 200 and survivor.json()["companies"] == []
    assert space.api.delete(f"/companies/{kept['id']}/force").status_code == 204


def test_link_and_unlink_contacts(space: Space, other_space: Space) -> None:
    company = create(space.api, company_name="Acme")
    ann = space.api.post("/contacts", json={"first_name": "Ann", "last_name": "A"}).json()
    bob = space.api.post("/contacts", json={"first_name": "Bob", "last_name": "B"}).json()
    base = f"/companies/{company['id']}/contacts"

    linked = space.api.put(f"{base}/{ann['id']}", json={"position": "CEO"})
    assert linked.status_code == 200, linked.text
    body = linked.json()
    assert set(body) == COMPANY_KEYS | {"contacts"}
    assert body["contacts"] == [
        {**ann, "contact_company": {"position": "CEO"}}
        | {"updated_at": body["contacts"][0]["updated_at"]}
    ]
    assert space.api.put(f"{base}/{bob['id']}").status_code == 200  # no body: no position
    moved = space.api.put(f"{base}/{ann['id']}", json={"position": "CFO"})
    positions = {c["id"]: c["contact_company"] for c in moved.json()["contacts"]}
    assert positions == {ann["id"]: {"position": "CFO"}, bob["id"]: {"position": None}}

    seen_from_contact = space.api.get(f"/contacts/{ann['id']}", params={"include": "companies"})
    [nested] = seen_from_contact.json()["companies"]
    assert nested["id"] == company["id"]
    assert nested["contact_company"] == {"position": "CFO"}
    assert set(nested) == COMPANY_KEYS | {"contact_company"}

    assert space.api.delete(f"{base}/{bob['id']}").status_code == 204
    assert space.api.delete(f"{base}/{bob['id']}").status_code == 404  # no longer linked
    shown = space.api.get(f"/companies/{company['id']}", params={"include": "contacts"})
    assert [c["id"] for c in shown.json()["contacts"]] == [ann["id"]]

    # Archived contacts keep their link but are not embedded until restored.
    assert space.api.delete(f"/contacts/{ann['id']}").status_code == 204
    shown = space.api.get(f"/companies/{company['id']}", params={"include": "contacts"})
    assert shown.json()["contacts"] == []
    assert space.api.post(f"/contacts/{ann['id']}/restore").status_code == 200
    shown = space.api.get(f"/companies/{company['id']}", params={"include": "contacts"})
    assert [c["contact_company"] for c in shown.json()["contacts"]] == [{"position": "CFO"}]

    stranger = other_space.api.post("/contacts", json={"first_name": "Eve"}).json()
    assert space.api.put(f"{base}/{stranger['id']}").status_code == 404
    assert space.api.put(f"/companies/missing/contacts/{ann['id']}").status_code == 404
    too_long = space.api.put(f"{base}/{ann['id']}", json={"position": "x" * 256})
    assert invalid_fields(too_long) == {"position"}


def test_show_validates_include(space: Space) -> None:
    company = create(space.api, company_name="Acme")
    response = space.api.get(f"/companies/{company['id']}", params={"include": "owner"})
    assert response.status_code == 400
    assert "include" in response.json()["errors"]
    assert space.api.get("/companies", params={"include": "contacts.owner"}).status_code == 400


def test_etag_and_if_match(space: Space) -> None:
    company = create(space.api, company_name="Acme")
    path = f"/companies/{company['id']}"
    etag = space.api.get(path).headers["etag"]
    assert space.api.patch(path, json={"phone": "1"}, headers={"If-Match": etag}).status_code == 200
    stale = space.api.patch(path, json={"phone": "2"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    contact = space.api.post("/contacts", json={"first_name": "Ann"}).json()
    fresh = space.api.get(path).headers["etag"]
    linked = space.api.put(f"{path}/contacts/{contact['id']}", headers={"If-Match": fresh})
    assert linked.status_code == 200
    # Linking changed the company: the old tag no longer matches.
    assert space.api.delete(path, headers={"If-Match": fresh}).status_code == 412
    assert space.api.delete(path, headers={"If-Match": linked.headers["etag"]}).status_code == 204
    for method, url in [("POST", f"{path}/restore"), ("DELETE", f"{path}/force")]:
        assert space.api.request(method, url, headers={"If-Match": etag}).status_code == 412
    assert space.api.get(path).json()["phone"] == "1"


WRITES = [
    ("POST", "/companies", {"company_name": "X"}),
    ("PATCH", "/companies/{id}", {"company_name": "X"}),
    ("DELETE", "/companies/{id}", None),
    ("POST", "/companies/{id}/restore", None),
    ("DELETE", "/companies/{id}/force", None),
    ("PUT", "/companies/{id}/contacts/{contact}", {"position": "CEO"}),
    ("DELETE", "/companies/{id}/contacts/{contact}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_every_write_needs_contact_data_write(
    space: Space, method: str, path: str, body: dict[str, Any] | None
) -> None:
    company = create(space.api, company_name="Acme")
    contact = space.api.post("/contacts", json={"first_name": "Ann"}).json()
    space.api.put(f"/companies/{company['id']}/contacts/{contact['id']}")
    reader = space.token(["contact-data:read", "settings:write", "client:write"], name="reader")
    url = path.format(id=company["id"], contact=contact["id"])
    response = reader.request(method, url, json=body)
    assert response.status_code == 403
    assert response.json() == {"message": "This action requires the scope contact-data:write."}
    shown = space.api.get(f"/companies/{company['id']}", params={"include": "contacts"}).json()
    assert shown["company_name"] == "Acme" and shown["deleted_at"] is None
    assert len(shown["contacts"]) == 1


def test_reads_need_contact_data_read(space: Space) -> None:
    company = create(space.api, company_name="Acme")
    writer = space.token(["contact-data:write", "client:read"], name="writer")
    for path in ("/companies", f"/companies/{company['id']}"):
        response = writer.get(path)
        assert response.status_code == 403
        assert response.json() == {"message": "This action requires the scope contact-data:read."}
    reader = space.token(["contact-data:read"], name="reader")
    assert names(reader.get("/companies")) == ["Acme"]
    assert reader.get(f"/companies/{company['id']}").status_code == 200


def test_another_space_never_sees_these_companies(space: Space, other_space: Space) -> None:
    company = create(space.api, company_name="Secret", external_id="s-1")
    contact = space.api.post("/contacts", json={"first_name": "Ann"}).json()
    their_contact = other_space.api.post("/contacts", json={"first_name": "Eve"}).json()
    cid = company["id"]
    stranger = other_space.api
    for method, path, params in [
        ("GET", f"/companies/{cid}", None),
        ("GET", "/companies/s-1", {"find_by": "external_id", "origin": "setup-integration"}),
        ("PATCH", f"/companies/{cid}", None),
        ("DELETE", f"/companies/{cid}", None),
        ("POST", f"/companies/{cid}/restore", None),
        ("DELETE", f"/companies/{cid}/force", None),
        ("PUT", f"/companies/{cid}/contacts/{their_contact['id']}", None),
        ("PUT", f"/companies/{cid}/contacts/{contact['id']}", None),
        ("DELETE", f"/companies/{cid}/contacts/{contact['id']}", None),
    ]:
        json = {"company_name": "Hijack"} if method == "PATCH" else None
        response = stranger.request(method, path, params=params, json=json)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json() == {"message": "Not found."}
    for archived in ("with", "only", "without"):
        listed = stranger.get("/companies", params={"filter": f'archived eq "{archived}"'})
        assert cid not in {row["id"] for row in listed.json()["data"]}
    assert (
        stranger.get("/companies", params={"filter": 'company_name = "Secret"'}).json()["data"]
        == []
    )
    shown = space.api.get(f"/companies/{cid}", params={"include": "contacts"}).json()
    assert shown["company_name"] == "Secret" and shown["contacts"] == []


@pytest.mark.parametrize("user_type", ["guest", "tax_advisor"])
def test_guests_and_tax_advisors_see_no_companies(space: Space, user_type: str) -> None:
    company = create(space.api, company_name="Acme")
    user_id = space.add_user(f"{user_type}@example.com", user_type=user_type)  # type: ignore[arg-type]
    limited = space.token(
        ["contact-data:read", "contact-data:write"], name=user_type, user_id=user_id
    )
    assert limited.get("/companies").json()["data"] == []
    assert limited.get(f"/companies/{company['id']}").status_code == 404
    assert limited.patch(f"/companies/{company['id']}", json={}).status_code == 404
    refused = limited.post("/companies", json={"company_name": "X"})
    assert refused.status_code == 403
    assert names(space.api.get("/companies")) == ["Acme"]
