"""Countries and the four per-space lookups as callers see them: lists, writes, scopes, tenancy."""

from __future__ import annotations

from typing import Any

import pycountry
import pytest

from support import Space

# path, label column, response keys
KINDS = [
    ("business-fields", "name"),
    ("company-sizes", "title"),
    ("company-revenues", "title"),
    ("tags", "title"),
]
KIND_IDS = [path for path, _ in KINDS]


def add(space: Space, path: str, label: str, value: str) -> dict[str, Any]:
    response = space.api.post(f"/{path}", json={label: value})
    assert response.status_code == 201, response.text
    return response.json()


def labels(response: Any, label: str) -> list[str]:
    assert response.status_code == 200, response.text
    return [row[label] for row in response.json()["data"]]


# -- countries ---------------------------------------------------------------------------------


def test_countries_list_every_iso_country_without_a_scope(space: Space) -> None:
    nobody = space.token([], name="no-scopes")
    rows = nobody.walk("/countries", {"page[size]": "100"})
    assert len(rows) == len(pycountry.countries) == 249
    assert {row["code"] for row in rows} == {c.alpha_2 for c in pycountry.countries}
    assert all(set(row) == {"id", "name", "code"} and row["id"] == row["code"] for row in rows)
    names = [row["name"] for row in rows]
    assert names == sorted(names)  # default sort: name
    germany = next(row for row in rows if row["code"] == "DE")
    assert germany == {"id": "DE", "name": "Germany", "code": "DE"}


def test_countries_are_the_same_for_every_space(space: Space, other_space: Space) -> None:
    mine = space.api.walk("/countries", {"page[size]": "100"})
    theirs = other_space.api.walk("/countries", {"page[size]": "100"})
    assert mine == theirs


def test_countries_sort_and_filter(space: Space) -> None:
    api = space.api
    by_code = api.get("/countries", params={"sort": "-code", "page[size]": "3"})
    assert labels(by_code, "code") == ["ZW", "ZM", "ZA"]
    assert labels(api.get("/countries", params={"filter": 'code in ["FR", "AT"]'}), "code") == [
        "AT",
        "FR",
    ]
    starts = api.get("/countries", params={"filter": 'name startswith "united"', "sort": "code"})
    assert labels(starts, "code") == ["AE", "GB", "UM", "US"]
    assert api.get("/countries", params={"filter": 'id = "DE"'}).status_code == 400
    assert api.get("/countries", params={"sort": "id"}).status_code == 400


# -- per-space lookups -------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "label"), KINDS, ids=KIND_IDS)
def test_lookup_crud(space: Space, path: str, label: str) -> None:
    created = add(space, path, label, "  Retail  ")
    assert set(created) == {"id", label}
    assert created[label] == "Retail"  # surrounding blanks are trimmed
    assert labels(space.api.get(f"/{path}"), label) == ["Retail"]

    renamed = space.api.patch(f"/{path}/{created['id']}", json={label: "Wholesale"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json() == {"id": created["id"], label: "Wholesale"}
    assert renamed.headers["etag"]

    assert space.api.delete(f"/{path}/{created['id']}").status_code == 204
    assert labels(space.api.get(f"/{path}"), label) == []
    assert space.api.delete(f"/{path}/{created['id']}").status_code == 404
    gone = space.api.patch(f"/{path}/{created['id']}", json={label: "X"})
    assert gone.status_code == 404


@pytest.mark.parametrize(("path", "label"), KINDS, ids=KIND_IDS)
def test_lookup_validation(space: Space, path: str, label: str) -> None:
    for body in ({}, {label: ""}, {label: "   "}, {label: None}, {label: 7}, {label: "x" * 256}):
        response = space.api.post(f"/{path}", json=body)
        assert response.status_code == 422, (body, response.text)
        assert label in response.json()["errors"], (body, response.json())
    row = add(space, path, label, "Kept")
    null = space.api.patch(f"/{path}/{row['id']}", json={label: None})
    assert null.status_code == 422
    assert labels(space.api.get(f"/{path}"), label) == ["Kept"]


@pytest.mark.parametrize(("path", "label"), KINDS, ids=KIND_IDS)
def test_lookup_list_sorts_and_filters(space: Space, path: str, label: str) -> None:
    for value in ("Beta", "alpha", "Gamma", "Alpine"):
        add(space, path, label, value)
    api = space.api
    assert labels(api.get(f"/{path}"), label) == ["Alpine", "Beta", "Gamma", "alpha"]
    assert labels(api.get(f"/{path}", params={"sort": f"-{label}"}), label) == [
        "alpha",
        "Gamma",
        "Beta",
        "Alpine",
    ]
    starts = api.get(f"/{path}", params={"filter": f'{label} startswith "al"'})
    assert labels(starts, label) == ["Alpine", "alpha"]
    exact = api.get(f"/{path}", params={"filter": f'{label} = "Beta"'})
    assert labels(exact, label) == ["Beta"]
    paged = api.walk(f"/{path}", {"page[size]": "1"})
    assert [row[label] for row in paged] == ["Alpine", "Beta", "Gamma", "alpha"]
    other = "name" if label == "title" else "title"
    assert api.get(f"/{path}", params={"sort": other}).status_code == 400
    assert api.get(f"/{path}", params={"filter": f'{other} = "x"'}).status_code == 400


@pytest.mark.parametrize(("path", "label"), KINDS, ids=KIND_IDS)
def test_lookup_scopes(space: Space, path: str, label: str) -> None:
    row = add(space, path, label, "Kept")
    nobody = space.token([], name="no-scopes")
    assert labels(nobody.get(f"/{path}"), label) == ["Kept"]
    crm_writer = space.token(["contact-data:read", "contact-data:write"], name="crm")
    for api in (nobody, crm_writer):
        for method, url, body in [
            ("POST", f"/{path}", {label: "New"}),
            ("PATCH", f"/{path}/{row['id']}", {label: "New"}),
            ("DELETE", f"/{path}/{row['id']}", None),
        ]:
            response = api.request(method, url, json=body)
            assert response.status_code == 403, (method, url, response.text)
            assert response.json() == {"message": "This action requires the scope settings:write."}
    settings = space.token(["settings:write"], name="settings")
    assert settings.post(f"/{path}", json={label: "New"}).status_code == 201
    assert labels(space.api.get(f"/{path}"), label) == ["Kept", "New"]


@pytest.mark.parametrize(("path", "label"), KINDS, ids=KIND_IDS)
def test_lookups_belong_to_their_space(
    space: Space, other_space: Space, path: str, label: str
) -> None:
    row = add(space, path, label, "Mine")
    stranger = other_space.api
    assert labels(stranger.get(f"/{path}"), label) == []
    assert stranger.get(f"/{path}", params={"filter": f'{label} = "Mine"'}).json()["data"] == []
    for method, body in [("PATCH", {label: "Theirs"}), ("DELETE", None)]:
        response = stranger.request(method, f"/{path}/{row['id']}", json=body)
        assert response.status_code == 404, (method, response.text)
        assert response.json() == {"message": "Not found."}
    assert labels(space.api.get(f"/{path}"), label) == ["Mine"]


def test_lookup_if_match(space: Space) -> None:
    row = add(space, "tags", "title", "Hot")
    etag = space.api.patch(f"/tags/{row['id']}", json={"title": "Warm"}).headers["etag"]
    ok = space.api.patch(f"/tags/{row['id']}", json={"title": "Cool"}, headers={"If-Match": etag})
    assert ok.status_code == 200
    stale = space.api.delete(f"/tags/{row['id']}", headers={"If-Match": etag})
    assert stale.status_code == 412
    fresh = ok.headers["etag"]
    assert space.api.delete(f"/tags/{row['id']}", headers={"If-Match": fresh}).status_code == 204


def test_deleting_lookups_clears_them_from_companies(space: Space) -> None:
    field = add(space, "business-fields", "name", "Retail")
    size = add(space, "company-sizes", "title", "Small")
    revenue = add(space, "company-revenues", "title", "< 1M")
    hot, cold = add(space, "tags", "title", "hot"), add(space, "tags", "title", "cold")
    created = space.api.post(
        "/companies",
        json={
            "company_name": "Acme",
            "business_field_id": field["id"],
            "company_size_id": size["id"],
            "company_revenue_id": revenue["id"],
            "tag_ids": [hot["id"], cold["id"]],
        },
    )
    assert created.status_code == 201, created.text
    company = created.json()
    assert company["business_field"] == field
    assert company["company_size"] == size and company["company_revenue"] == revenue
    for path, row in [
        ("business-fields", field),
        ("company-sizes", size),
        ("company-revenues", revenue),
        ("tags", hot),
    ]:
        assert space.api.delete(f"/{path}/{row['id']}").status_code == 204
    shown = space.api.get(f"/companies/{company['id']}", params={"include": "tags"}).json()
    assert shown["business_field"] is None
    assert shown["company_size"] is None and shown["company_revenue"] is None
    assert shown["tags"] == [cold]
