"""Custom field definitions and their values on clients."""

from __future__ import annotations

from typing import Any

import pytest

from support import Space

FIELD_KEYS = {
    "id",
    "title",
    "field_name",
    "type",
    "entity_type",
    "options",
    "is_required",
    "created_at",
    "updated_at",
    "deleted_at",
}


def define(space: Space, **body: Any) -> dict[str, Any]:
    body.setdefault("title", body["field_name"].title())
    body.setdefault("entity_type", "client")
    response = space.api.post("/custom-fields", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def new_client(space: Space, **body: Any) -> Any:
    return space.api.post("/clients", json={"name": "Acme", **body})


def test_define_show_list_update(space: Space) -> None:
    field = define(
        space,
        field_name="tier",
        type="select",
        options=[{"value": "gold", "label": "Gold"}, {"value": "silver", "label": "Silver"}],
    )
    assert set(field) == FIELD_KEYS
    assert field["is_required"] is False and field["deleted_at"] is None
    assert space.api.get(f"/custom-fields/{field['id']}").json() == field
    listed = space.api.get("/custom-fields", params={"filter": 'entity_type = "client"'})
    assert [row["id"] for row in listed.json()["data"]] == [field["id"]]
    changed = space.api.patch(f"/custom-fields/{field['id']}", json={"title": "Tier level"})
    assert changed.status_code == 200 and changed.json()["title"] == "Tier level"
    by_type = space.api.get(
        "/custom-fields", params={"filter": 'type = "select"', "sort": "-created_at"}
    )
    assert [row["id"] for row in by_type.json()["data"]] == [field["id"]]


def test_definition_validation(space: Space) -> None:
    define(space, field_name="code", type="input")
    bad: list[tuple[dict[str, Any], str]] = [
        (
            {"title": "X", "field_name": "code", "type": "input", "entity_type": "client"},
            "field_name",
        ),
        (
            {"title": "X", "field_name": "Bad Alias", "type": "input", "entity_type": "client"},
            "field_name",
        ),
        (
            {"title": "X", "field_name": "pick", "type": "select", "entity_type": "client"},
            "options",
        ),
        (
            {
                "title": "X",
                "field_name": "num",
                "type": "number",
                "entity_type": "client",
                "options": [{"value": "a", "label": "A"}],
            },
            "options",
        ),
        (
            {
                "title": "X",
                "field_name": "pick",
                "type": "select",
                "entity_type": "client",
                "options": [{"value": "a", "label": "A"}, {"value": "A", "label": "Again"}],
            },
            "options",
        ),
        ({"title": "X", "field_name": "kind", "type": "colour", "entity_type": "client"}, "type"),
        (
            {"title": "X", "field_name": "kind", "type": "input", "entity_type": "invoice"},
            "entity_type",
        ),
    ]
    for body, field in bad:
        response = space.api.post("/custom-fields", json=body)
        assert response.status_code == 422, (body, response.text)
        assert field in response.json()["errors"], (body, response.json())
    # The same alias on another entity type is fine.
    define(space, field_name="code", type="input", entity_type="company")


def test_writes_need_settings_write(space: Space) -> None:
    field = define(space, field_name="code", type="input")
    reader = space.token(["client:read"], name="reader")
    for method, path, body in [
        (
            "POST",
            "/custom-fields",
            {"title": "X", "field_name": "x", "type": "input", "entity_type": "client"},
        ),
        ("PATCH", f"/custom-fields/{field['id']}", {"title": "Y"}),
        ("DELETE", f"/custom-fields/{field['id']}", None),
        ("POST", f"/custom-fields/{field['id']}/restore", None),
    ]:
        response = reader.request(method, path, json=body)
        assert response.status_code == 403
        assert response.json() == {"message": "This action requires the scope settings:write."}
    assert reader.get(f"/custom-fields/{field['id']}").status_code == 200


@pytest.mark.parametrize(
    ("definition", "good", "bad"),
    [
        ({"type": "input"}, "text", 12),
        ({"type": "textarea"}, "long text", ["x"]),
        ({"type": "number"}, 12.5, "12"),
        ({"type": "currency"}, 99.99, 1.234),
        ({"type": "date"}, "2024-05-01", "2024-13-01"),
        ({"type": "checkbox"}, True, "yes"),
        ({"type": "select", "options": [{"value": "a", "label": "A"}]}, "a", "b"),
        (
            {
                "type": "multiselect",
                "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}],
            },
            ["a", "b"],
            ["c"],
        ),
        ({"type": "url"}, "https://example.com/x", "ftp://nope"),
        ({"type": "email"}, "a@example.com", "not-an-email"),
    ],
)
def test_values_are_validated_by_type(
    space: Space, definition: dict[str, Any], good: Any, bad: Any
) -> None:
    define(space, field_name="extra", **definition)
    created = new_client(space, custom_fields={"extra": good})
    assert created.status_code == 201, created.text
    assert created.json()["custom_fields"] == {"extra": good}
    refused = new_client(space, custom_fields={"extra": bad})
    assert refused.status_code == 422
    assert "custom_fields.extra" in refused.json()["errors"]


def test_user_values_must_be_users_of_the_space(space: Space, other_space: Space) -> None:
    define(space, field_name="advisor", type="user")
    mine = space.add_user("advisor@example.com")
    stranger = other_space.add_user("stranger@example.com")
    assert new_client(space, custom_fields={"advisor": mine}).status_code == 201
    refused = new_client(space, custom_fields={"advisor": stranger})
    assert refused.status_code == 422
    assert "custom_fields.advisor" in refused.json()["errors"]


def test_unknown_key_and_required_fields(space: Space) -> None:
    define(space, field_name="vat", type="input", is_required=True)
    unknown = new_client(space, custom_fields={"vat": "DE1", "nope": 1})
    assert unknown.status_code == 422
    assert "custom_fields.nope" in unknown.json()["errors"]
    missing = new_client(space)
    assert missing.status_code == 422
    assert "custom_fields.vat" in missing.json()["errors"]
    client = new_client(space, custom_fields={"vat": "DE1"}).json()
    # An update that does not touch the field keeps it; clearing a required one is refused.
    assert space.api.patch(f"/clients/{client['id']}", json={"name": "B"}).status_code == 200
    cleared = space.api.patch(f"/clients/{client['id']}", json={"custom_fields": {"vat": None}})
    assert cleared.status_code == 422
    assert "custom_fields.vat" in cleared.json()["errors"]


def test_every_active_field_is_listed_and_archiving_keeps_values(space: Space) -> None:
    kept = define(space, field_name="kept", type="input")
    archived = define(space, field_name="gone", type="number")
    client = new_client(space, custom_fields={"kept": "k", "gone": 7}).json()
    other = new_client(space).json()
    assert other["custom_fields"] == {"kept": None, "gone": None}
    assert space.api.delete(f"/custom-fields/{archived['id']}").status_code == 204
    shown = space.api.get(f"/clients/{client['id']}").json()
    assert shown["custom_fields"] == {"kept": "k"}
    listed = space.api.get("/clients/full").json()["data"]
    assert all(set(row["custom_fields"]) == {"kept"} for row in listed)
    assert space.api.get("/custom-fields").json()["data"][0]["id"] == kept["id"]
    restored = space.api.post(f"/custom-fields/{archived['id']}/restore")
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None
    again = space.api.get(f"/clients/{client['id']}").json()
    assert again["custom_fields"] == {"kept": "k", "gone": 7}


def test_renaming_an_alias_keeps_values(space: Space) -> None:
    field = define(space, field_name="old_name", type="input")
    client = new_client(space, custom_fields={"old_name": "v"}).json()
    assert (
        space.api.patch(
            f"/custom-fields/{field['id']}", json={"field_name": "new_name"}
        ).status_code
        == 200
    )
    shown = space.api.get(f"/clients/{client['id']}").json()
    assert shown["custom_fields"] == {"new_name": "v"}


def test_definitions_of_another_space_are_invisible(space: Space, other_space: Space) -> None:
    field = define(other_space, field_name="secret", type="input")
    assert space.api.get(f"/custom-fields/{field['id']}").status_code == 404
    assert space.api.get("/custom-fields").json()["data"] == []
    refused = new_client(space, custom_fields={"secret": "x"})
    assert refused.status_code == 422
