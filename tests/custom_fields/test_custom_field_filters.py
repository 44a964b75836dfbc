"""`custom_fields.<alias>` filters and sorts follow the field's type (on the users list)."""

from __future__ import annotations

from typing import Any

import pytest

from support import Space


@pytest.fixture
def people(space: Space) -> dict[str, str]:
    for body in [
        {
            "field_name": "skills",
            "type": "multiselect",
            "options": [
                {"value": "tax", "label": "Tax"},
                {"value": "audit", "label": "Audit"},
                {"value": "payroll", "label": "Payroll"},
            ],
        },
        {"field_name": "level", "type": "number"},
        {"field_name": "joined", "type": "date"},
        {"field_name": "remote", "type": "checkbox"},
        {
            "field_name": "team",
            "type": "select",
            "options": [{"value": "north", "label": "N"}, {"value": "south", "label": "S"}],
        },
        {"field_name": "nickname", "type": "input"},
        {"field_name": "bio", "type": "textarea"},
        {"field_name": "rate", "type": "currency"},
        {"field_name": "site", "type": "url"},
        {"field_name": "backup_email", "type": "email"},
        {"field_name": "mentor", "type": "user"},
    ]:
        response = space.api.post(
            "/custom-fields", json={"title": body["field_name"], "entity_type": "user", **body}
        )
        assert response.status_code == 201, response.text
    mentor = space.add_user("mentor@example.com", first_name="Mentor", last_name="M")
    values: dict[str, dict[str, Any]] = {
        "ann": {
            "skills": ["tax", "audit"],
            "level": 3,
            "joined": "2024-01-10",
            "remote": True,
            "team": "north",
            "nickname": "Annie",
            "bio": "Likes audits",
            "rate": 120.5,
            "site": "https://ann.example",
            "backup_email": "ann@backup.example",
            "mentor": mentor,
        },
        "ben": {
            "skills": ["payroll"],
            "level": 1.5,
            "joined": "2023-06-01",
            "remote": False,
            "team": "south",
            "nickname": "benny",
            "bio": "Payroll person",
            "rate": 80,
            "site": "https://ben.example/about",
        },
        "cat": {},
    }
    ids = {}
    for name, custom in values.items():
        response = space.api.post(
            "/users",
            json={
                "email": f"{name}@example.com",
                "first_name": name,
                "last_name": "X",
                "custom_fields": custom,
            },
        )
        assert response.status_code == 201, response.text
        ids[name] = response.json()["id"]
    return ids


def names(space: Space, **params: str) -> list[str]:
    params.setdefault("sort", "first_name")
    response = space.api.get("/users", params={"page[size]": "100", **params})
    assert response.status_code == 200, response.text
    return [row["first_name"] for row in response.json()["data"] if row["last_name"] == "X"]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('custom_fields.skills = "audit"', ["ann"]),
        ('custom_fields.skills in ["payroll", "audit"]', ["ann", "ben"]),
        ('custom_fields.skills nin ["tax"]', ["ben", "cat"]),
        ('custom_fields.skills != "payroll"', ["ann", "cat"]),
        ("custom_fields.skills is null", ["cat"]),
        ("custom_fields.level >= 1.5", ["ann", "ben"]),
        ("custom_fields.level > 2", ["ann"]),
        ('custom_fields.joined < "2024-01-01"', ["ben"]),
        ('custom_fields.joined = "2024-01-10"', ["ann"]),
        ("custom_fields.remote = true", ["ann"]),
        ("custom_fields.remote != true", ["ben", "cat"]),
        ('custom_fields.team in ["south"]', ["ben"]),
        ('custom_fields.nickname contains "ANN"', ["ann"]),
        ("custom_fields.nickname is not null", ["ann", "ben"]),
        ('custom_fields.bio contains "audit"', ["ann"]),
        ("custom_fields.rate > 100", ["ann"]),
        ("custom_fields.rate <= 120.5", ["ann", "ben"]),
        ('custom_fields.site endswith "/about"', ["ben"]),
        ('custom_fields.backup_email like "%@backup.%"', ["ann"]),
        ("custom_fields.mentor is null", ["ben", "cat"]),
    ],
)
def test_filters_by_type(
    space: Space, people: dict[str, str], expression: str, expected: list[str]
) -> None:
    assert names(space, filter=expression) == expected


def test_user_field_filters_by_id_and_me(space: Space, people: dict[str, str]) -> None:
    mentor = next(
        row["id"] for row in space.api.get("/users").json()["data"] if row["first_name"] == "Mentor"
    )
    assert names(space, filter=f'custom_fields.mentor = "{mentor}"') == ["ann"]
    assert names(space, filter="custom_fields.mentor = me.id") == []


def test_sorts_and_bad_values(space: Space, people: dict[str, str]) -> None:
    assert names(space, sort="custom_fields.level") == ["ben", "ann", "cat"]
    assert names(space, sort="-custom_fields.joined") == ["cat", "ann", "ben"]
    for expression in [
        'custom_fields.skills = "cooking"',
        'custom_fields.level = "high"',
        'custom_fields.joined > "soon"',
        'custom_fields.remote contains "x"',
        'custom_fields.unknown = "x"',
    ]:
        response = space.api.get("/users", params={"filter": expression})
        assert response.status_code == 400, expression
        assert response.json()["errors"]["filter"]
