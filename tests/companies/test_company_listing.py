"""`GET /companies`: every filter field and sort on data whose answers are known, and its cost."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.clients.models import Client
from kanbert.companies.models import Company, ContactCompany, company_tags
from kanbert.contacts.models import Contact
from kanbert.custom_fields.models import CustomField, CustomFieldType, EntityType
from kanbert.custom_fields.values import next_version
from kanbert.lookups.models import BusinessField, CompanyRevenue, CompanySize, Tag

from support import Space, World

A, B, C, D = "Alpha AG", "Beta GmbH", "Gamma Ltd", "Delta SA"


@dataclass
class Crm:
    space: Space
    ids: dict[str, str]  # names of companies, contacts, lookups and clients → ids
    created: dict[str, str]  # company name → created_at

    def names(self, **params: Any) -> list[str]:
        response = self.space.api.get("/companies", params=params)
        assert response.status_code == 200, response.text
        return [row["company_name"] for row in response.json()["data"]]

    def matching(self, condition: str) -> set[str]:
        return set(self.names(filter=condition.format(**self.ids)))


def _define_fields(space: Space) -> None:
    def field(alias: str, kind: CustomFieldType, options: tuple[str, ...] = ()) -> CustomField:
        return CustomField(
            space_id=space.id,
            title=alias.title(),
            field_name=alias,
            type=kind,
            entity_type=EntityType.company,
            options=[{"value": value, "label": value.title()} for value in options],
        )

    async def add(session: AsyncSession) -> None:
        session.add_all(
            [
                field("region", CustomFieldType.input),
                field("employees", CustomFieldType.number),
                field("founded", CustomFieldType.date),
                field("listed", CustomFieldType.checkbox),
                field("tier", CustomFieldType.select, ("gold", "silver")),
                field("channels", CustomFieldType.multiselect, ("web", "shop", "phone")),
            ]
        )
        # Written behind the API's back: announced as `kanbert seed` announces them.
        await session.execute(next_version(space.id))

    space.world.run(add)


@pytest.fixture
def crm(space: Space) -> Crm:
    """Three active companies and an archived one, with contacts, tags and custom values."""
    api = space.api
    _define_fields(space)
    ids: dict[str, str] = {}

    def made(response: Any) -> dict[str, Any]:
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    for path, label, value in [
        ("business-fields", "name", "Retail"),
        ("business-fields", "name", "Manufacturing"),
        ("tags", "title", "hot"),
        ("tags", "title", "big"),
    ]:
        ids[value] = made(api.post(f"/{path}", json={label: value}))["id"]
    ids["client"] = made(api.post("/clients", json={"name": "Client One"}))["id"]
    alpha = made(
        api.post(
            "/companies",
            json={
                "company_name": A,
                "tax_uid": "ATU1",
                "iban": "AT61",
                "bic": "BKAUATWW",
                "phone": "+43 1",
                "fax": "+43 2",
                "email": "info@alpha.example",
                "email_general": "office@alpha.example",
                "homepage": "https://alpha.example",
                "person_attention_to": "Ann",
                "vendor_identifier": "V-1",
                "address_invoice_town": "Wien",
                "address_invoice_zip": "1010",
                "address_invoice_country": "AT",
                "invoice_by_post": True,
                "taxation": True,
                "business_field_id": ids["Retail"],
                "client_id": ids["client"],
                "tag_ids": [ids["hot"]],
                "custom_fields": {
                    "region": "north",
                    "employees": 10,
                    "founded": "2001-05-01",
                    "listed": True,
                    "tier": "gold",
                    "channels": ["web", "shop"],
                },
            },
        )
    )
    beta = made(
        api.post(
            "/companies",
            json={
                "company_name": B,
                "tax_uid": "DE2",
                "iban": "DE89",
                "bic": "COBADE",
                "phone": "+49 30",
                "email": "a@beta.example, b@beta.example",
                "homepage": "https://beta.example",
                "vendor_identifier": "V-2",
                "address_invoice_town": "Berlin",
                "address_invoice_zip": "10115",
                "address_invoice_country": "Germany",
                "invoices_by_email": True,
                "business_field_id": ids["Manufacturing"],
                "tag_ids": [ids["hot"], ids["big"]],
                "custom_fields": {
                    "region": "south",
                    "employees": 250.5,
                    "founded": "2015-01-01",
                    "listed": False,
                    "tier": "silver",
                    "channels": ["phone"],
                },
            },
        )
    )
    gamma = made(api.post("/companies", json={"company_name": C, "address_invoice_country": "GBR"}))
    delta = made(api.post("/companies", json={"company_name": D, "tag_ids": [ids["big"]]}))
    companies = {A: alpha, B: beta, C: gamma, D: delta}
    for first, last, email, works_at in [
        ("Ann", "Smith", "ann@alpha.example", [A]),
        ("Bob", "Jones", "bob@alpha.example", [A]),
        ("Ann", "Jones", "ann@beta.example", [B]),
        ("Carl", "Smith", "carl@beta.example", [B, D]),
        ("Dan", "Gone", "dan@gamma.example", [C]),
    ]:
        contact = made(
            api.post(
                "/contacts",
                json={
                    "first_name": first,
                    "last_name": last,
                    "email": email,
                    "companies": [{"id": companies[name]["id"]} for name in works_at],
                },
            )
        )
        ids[f"{first} {last}"] = contact["id"]
    # Archived records keep their links but no longer count.
    assert api.delete(f"/companies/{delta['id']}").status_code == 204
    assert api.delete(f"/contacts/{ids['Dan Gone']}").status_code == 204
    # Updated in the order Gamma, Beta, Alpha (created Alpha, Beta, Gamma).
    for name in (C, B, A):
        patched = api.patch(f"/companies/{companies[name]['id']}", json={"locale": "en"})
        assert patched.status_code == 200, patched.text
    ids.update({f"id_{name[0]}": body["id"] for name, body in companies.items()})
    created = {name: body["created_at"] for name, body in companies.items()}
    return Crm(space, ids, created)


FILTERS: list[tuple[str, set[str]]] = [
    ('company_name = "Beta GmbH"', {B}),
    ('company_name startswith "g"', {C}),
    ('tax_uid = "ATU1"', {A}),
    ('iban startswith "de"', {B}),
    ('bic endswith "WW"', {A}),
    ('phone contains "+49"', {B}),
    ("fax is null", {B, C}),
    ('email contains "b@beta"', {B}),
    ("email_general isnotnull", {A}),
    ('homepage like "%alpha%"', {A}),
    ('person_attention_to = "Ann"', {A}),
    ('vendor_identifier in ["V-1", "V-2"]', {A, B}),
    ('address_invoice_town = "Berlin"', {B}),
    ('address_invoice_zip != "1010"', {B, C}),
    ('address_invoice_zip nin ["1010", "10115"]', {C}),
    ("invoices_by_post = true", {A}),
    ("invoices_by_email = true", {B}),
    ("taxation_enabled = false", {B, C}),
    ('business_field.id = "{Retail}"', {A}),
    ("business_field.id is null", {C}),
    ('business_field.name = "Manufacturing"', {B}),
    ('business_field.name contains "ta"', {A}),
    ("business_field.name is null", {C}),
    ('address_invoice_country.code = "DE"', {B}),
    ('address_invoice_country.code in ["AT", "GB"]', {A, C}),
    ('client.id = "{client}"', {A}),
    ("client.id is null", {B, C}),
    ('contacts any (first_name = "Ann")', {A, B}),
    # The same related row: Beta has an Ann and a Smith, but no Ann Smith.
    ('contacts any (first_name = "Ann" and last_name = "Smith")', {A}),
    ('contacts any (first_name = "Ann" or last_name = "Smith")', {A, B}),
    ('contacts any (email endswith "@beta.example")', {B}),
    ('contacts none (last_name = "Smith")', {C}),
    ('contacts all (last_name = "Jones")', {C}),  # Gamma's only contact is archived
    ("contacts count >= 2", {A, B}),
    ('contacts any (first_name = "Dan")', set()),
    ('contacts count (last_name = "Smith") = 1', {A, B}),
    ('tags any (title = "hot")', {A, B}),
    ('tags any (title = "big")', {B}),
    ('tags none (title = "hot")', {C}),
    ("tags count = 0", {C}),
    ('tags all (title startswith "h")', {A, C}),
    ('custom_fields.region = "north"', {A}),
    ('custom_fields.region contains "O"', {A, B}),
    ("custom_fields.region is null", {C}),
    ("custom_fields.employees > 100", {B}),
    ("custom_fields.employees <= 10", {A}),
    ("custom_fields.employees in [10, 250.5]", {A, B}),
    ('custom_fields.founded < "2010-01-01"', {A}),
    ('custom_fields.founded >= "2015-01-01"', {B}),
    ("custom_fields.listed = true", {A}),
    ("custom_fields.listed = false", {B}),
    ('custom_fields.tier = "silver"', {B}),
    ('custom_fields.tier in ["gold", "silver"]', {A, B}),
    ('custom_fields.tier != "gold"', {B, C}),
    ('custom_fields.channels = "shop"', {A}),
    ('custom_fields.channels in ["phone", "shop"]', {A, B}),
    ('custom_fields.channels != "web"', {B, C}),
    ('archived eq "only"', {D}),
    ('archived eq "with" and tags any (title = "big")', {B, D}),
]


def test_every_filter_field(crm: Crm) -> None:
    wrong = {
        condition: (found, expected)
        for condition, expected in FILTERS
        if (found := crm.matching(condition)) != expected
    }
    assert not wrong, wrong


def test_datetime_filters(crm: Crm) -> None:
    created_b = crm.created[B]
    assert crm.matching(f'created_at >= "{created_b}"') == {B, C}
    assert crm.matching(f'created_at < "{created_b}"') == {A}
    locale_row = crm.space.api.get(f"/companies/{crm.ids['id_B']}").json()
    assert crm.matching(f'updated_at > "{locale_row["updated_at"]}"') == {A}
    assert crm.matching('created_at = "today"') == {A, B, C}


def test_relation_filter_in_json_form(crm: Crm) -> None:
    same_row = [
        {
            "field": "contacts",
            "op": "any",
            "value": [
                {"field": "first_name", "op": "eq", "value": "Ann"},
                {"field": "last_name", "op": "eq", "value": "Smith"},
            ],
        }
    ]
    assert set(crm.names(filter=json.dumps(same_row))) == {A}


def test_unknown_fields_and_operators_are_400(crm: Crm) -> None:
    for condition in (
        'name = "x"',
        'contacts any (phone = "1")',
        'tags any (name = "x")',
        'invoices_by_post contains "t"',
        'custom_fields.nope = "x"',
        'custom_fields.tier = "bronze"',
        'business_field.id = "not an id!"',
    ):
        response = crm.space.api.get("/companies", params={"filter": condition})
        assert response.status_code == 400, (condition, response.text)
        assert "filter" in response.json()["errors"]


def test_sorts(crm: Crm) -> None:
    assert crm.names() == [A, B, C]  # default: company_name
    assert crm.names(sort="-company_name") == [C, B, A]
    assert crm.names(sort="created_at") == [A, B, C]
    assert crm.names(sort="-created_at") == [C, B, A]
    assert crm.names(sort="updated_at") == [C, B, A]
    assert crm.names(sort="-updated_at") == [A, B, C]
    # Nulls last ascending, first descending.
    assert crm.names(sort="custom_fields.employees") == [A, B, C]
    assert crm.names(sort="-custom_fields.employees") == [C, B, A]
    assert crm.names(sort="custom_fields.founded,company_name") == [A, B, C]
    assert crm.names(sort="-custom_fields.region") == [C, B, A]
    walked = crm.space.api.walk(
        "/companies", {"sort": "-custom_fields.employees", "page[size]": "1"}
    )
    assert [row["company_name"] for row in walked] == [C, B, A]
    for bad in ("name", "tax_uid", "custom_fields.nope"):
        assert crm.space.api.get("/companies", params={"sort": bad}).status_code == 400


def test_list_includes(crm: Crm) -> None:
    rows = crm.space.api.get("/companies", params={"include": "contacts,tags"}).json()["data"]
    by_name = {row["company_name"]: row for row in rows}
    assert [t["title"] for t in by_name[B]["tags"]] == ["big", "hot"]
    assert {c["first_name"] + " " + c["last_name"] for c in by_name[A]["contacts"]} == {
        "Ann Smith",
        "Bob Jones",
    }
    assert all(c["contact_company"] == {"position": None} for c in by_name[A]["contacts"])
    assert by_name[C]["contacts"] == []  # the archived contact is not embedded
    plain = crm.space.api.get("/companies").json()["data"]
    assert all("contacts" not in row and "tags" not in row for row in plain)


# -- statement count ---------------------------------------------------------------------------


def _seed(world: World, space: Space, count: int) -> None:
    """`count` companies, each with every relation a rendering or include loads."""
    manager = space.add_user("manager@example.com")

    async def add(session: AsyncSession) -> None:
        client = Client(
            space_id=space.id, name="Client", shortcode="CL", primary_contact_id=manager
        )
        field = BusinessField(space_id=space.id, name="Retail")
        size = CompanySize(space_id=space.id, title="Small")
        revenue = CompanyRevenue(space_id=space.id, title="Low")
        tags = [Tag(space_id=space.id, title=f"tag{i}") for i in range(3)]
        session.add_all([client, field, size, revenue, *tags])
        await session.flush()
        for i in range(count):
            company = Company(
                space_id=space.id,
                company_name=f"Company {i:03d}",
                business_field_id=field.id,
                company_size_id=size.id,
                company_revenue_id=revenue.id,
                address_invoice_country_id="DE",
                address_delivery_country_id="AT",
                client_id=client.id,
                custom_fields={},
            )
            contact = Contact(
                space_id=space.id,
                first_name=f"Person {i}",
                address_country_id="FR",
                owner_id=manager,
                client_id=client.id,
                custom_fields={},
            )
            session.add_all([company, contact])
            await session.flush()
            session.add(ContactCompany(company_id=company.id, contact_id=contact.id))
            await session.execute(
                insert(company_tags),
                [{"company_id": company.id, "tag_id": tag.id} for tag in tags],
            )

    world.run(add)


def _statements(world: World, space: Space, path: str, size: int, include: str) -> int:
    with world.count_statements() as statements:
        response = space.api.get(path, params={"page[size]": size, "include": include})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert len(data) == size
    nested = "contacts" if path == "/companies" else "companies"
    assert all(len(row[nested]) == 1 for row in data)
    return len(statements)


@pytest.mark.parametrize(
    ("path", "include"), [("/companies", "contacts,tags"), ("/contacts", "companies")]
)
def test_statements_do_not_grow_with_page_size(
    world: World, space: Space, path: str, include: str
) -> None:
    _seed(world, space, 110)
    # The first read of a space also loads its custom field definitions, kept for later ones.
    _statements(world, space, path, 10, include)
    small = _statements(world, space, path, 10, include)
    large = _statements(world, space, path, 100, include)
    assert small == large
