"""`GET /efforts`: every filter field and sort on data with known answers."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from effort_work import add_epic, add_phase, add_task, client, effort, ids, made, project
from support import Space

# Four efforts: E1 owner's on Web, E2 Anna's on Shop, E3 the owner's admin effort, E4 Anna's
# on Web.
E1, E2, E3, E4 = "E1", "E2", "E3", "E4"


@dataclass
class Ledger:
    space: Space
    ids: dict[str, str]  # every named record's id
    names: dict[str, str]  # effort id → E1…

    def matching(self, condition: str) -> set[str]:
        rows = self.space.api.walk("/efforts", {"filter": condition.format(**self.ids)})
        return {self.names[row["id"]] for row in rows}

    def ordered(self, sort: str) -> list[str]:
        return [self.names[i] for i in ids(self.space.api.walk("/efforts", {"sort": sort}))]


@pytest.fixture
def ledger(space: Space) -> Ledger:
    api = space.api
    known: dict[str, str] = {"owner": space.owner_id}
    known["anna"] = space.add_user("anna@example.com")
    acme = client(api, "Acme", shortcode="ACME", external_id="C-1")
    beta = client(api, "Beta", shortcode="BETA", external_id="C-2")
    web = project(api, acme["id"], "Web", shortcode="WEB", external_id="P-1")
    shop = project(api, beta["id"], "Shop", shortcode="SHOP")
    known.update(acme=acme["id"], beta=beta["id"], web=web["id"], shop=shop["id"])
    known["task"] = add_task(space, web["id"])["id"]
    known["phase"] = add_phase(space, web["id"])
    known["epic"] = add_epic(space, web["id"])
    known["dev"] = made(api.post("/effort-types", json={"title": "Development"}))["id"]
    known["meeting"] = made(api.post("/effort-types", json={"title": "Meeting"}))["id"]
    bodies = {
        E1: {
            "user_id": known["owner"],
            "project_id": web["id"],
            "date": "2026-11-01",
            "hours": 1.5,
            "task_id": known["task"],
            "phase_id": known["phase"],
            "epic_id": known["epic"],
            "effort_type_id": known["dev"],
        },
        E2: {
            "user_id": known["anna"],
            "project_id": shop["id"],
            "date": "2026-11-02",
            "hours": 8,
            "is_billable": False,
            "effort_type_id": known["meeting"],
        },
        E3: {"user_id": known["owner"], "date": "2026-11-03", "hours": 0.25},
        E4: {"user_id": known["anna"], "project_id": web["id"], "date": "2026-10-30", "hours": 4},
    }
    names: dict[str, str] = {}
    for name, body in bodies.items():
        created = effort(api, **body)
        known[name] = created["id"]
        known[f"{name}_created_at"] = created["created_at"]
        names[created["id"]] = name
    return Ledger(space, known, names)


FILTERS: list[tuple[str, set[str]]] = [
    ('date >= "2026-11-01"', {E1, E2, E3}),
    ('date = "2026-10-30"', {E4}),
    ('type = "admin"', {E3}),
    ('type = "project"', {E1, E2, E4}),
    ('project.id = "{web}"', {E1, E4}),
    ("project.id is null", {E3}),
    ('project.external_id = "P-1"', {E1, E4}),
    ('project.shortcode = "SHOP"', {E2}),
    ('project.name contains "ho"', {E2}),
    ('project.name != "Web"', {E2, E3}),  # ne matches efforts without a project
    ('client.id = "{acme}"', {E1, E4}),
    ('client.id in ["{acme}", "{beta}"]', {E1, E2, E4}),
    ('client.external_id = "C-2"', {E2}),
    ('client.name = "Beta"', {E2}),
    ('client.shortcode startswith "AC"', {E1, E4}),
    ("client.id isnull", {E3}),
    ('user.id = "{anna}"', {E2, E4}),
    ("user.id = me.id", set()),  # the integration logs no time itself
    ('user.email = "anna@example.com"', {E2, E4}),
    ('epic.id = "{epic}"', {E1}),
    ('task.id = "{task}"', {E1}),
    ("task.id is null", {E2, E3, E4}),
    ('phase.id = "{phase}"', {E1}),
    ('effort_type.id = "{meeting}"', {E2}),
    ('effort_type.id in ["{dev}", "{meeting}"]', {E1, E2}),
    ("is_billable = false", {E2}),
    ("is_billable = true", {E1, E3, E4}),
    ("hours > 2", {E2, E4}),
    ("hours = 0.25", {E3}),
    ("hours in [1.5, 4]", {E1, E4}),
    ("hours <= 1.5", {E1, E3}),
    ('created_at >= "{E3_created_at}"', {E3, E4}),
    ('created_at < "{E2_created_at}"', {E1}),
    ('user.id = "{anna}" and not (project.id = "{shop}")', {E4}),
]


def test_every_filter_field(ledger: Ledger) -> None:
    wrong = {
        condition: (found, expected)
        for condition, expected in FILTERS
        if (found := ledger.matching(condition)) != expected
    }
    assert not wrong, wrong


def test_json_and_form_filters_work_too(ledger: Ledger) -> None:
    api = ledger.space.api
    json_filter = '{"field": "hours", "op": "gt", "value": 2}'
    by_json = api.get("/efforts", params={"filter": json_filter})
    assert by_json.status_code == 200, by_json.text
    assert {ledger.names[i] for i in ids(by_json.json()["data"])} == {E2, E4}
    form = api.get(
        "/efforts",
        params={"filter[0][field]": "type", "filter[0][op]": "eq", "filter[0][value]": "admin"},
    )
    assert form.status_code == 200, form.text
    assert ids(form.json()["data"]) == [ledger.ids[E3]]


def test_sorts(ledger: Ledger) -> None:
    assert ledger.ordered("date") == [E4, E1, E2, E3]
    assert ledger.ordered("-date") == [E3, E2, E1, E4]
    assert ledger.ordered("hours") == [E3, E1, E4, E2]
    assert ledger.ordered("-hours") == [E2, E4, E1, E3]
    assert ledger.ordered("created_at") == [E1, E2, E3, E4]
    # The default is by date; pages of one row walk the same order through their cursors.
    assert [ledger.names[i] for i in ids(ledger.space.api.walk("/efforts"))] == [E4, E1, E2, E3]
    paged = ledger.space.api.walk("/efforts", {"sort": "-hours", "page[size]": 1})
    assert [ledger.names[i] for i in ids(paged)] == [E2, E4, E1, E3]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"filter": 'nope = "x"'}, "filter"),
        ({"filter": 'hours = "many"'}, "filter"),
        ({"filter": 'type = "holiday"'}, "filter"),
        ({"filter": "is_billable contains true"}, "filter"),
        ({"sort": "title"}, "sort"),
        ({"include": "project"}, "include"),
    ],
)
def test_bad_list_parameters_are_400(
    ledger: Ledger, params: dict[str, str], parameter: str
) -> None:
    response = ledger.space.api.get("/efforts", params=params)
    assert response.status_code == 400, response.text
    assert parameter in response.json()["errors"]


def test_statements_do_not_grow_with_the_page(ledger: Ledger) -> None:
    api = ledger.space.api
    with ledger.space.world.count_statements() as one_row:
        assert len(api.get("/efforts", params={"page[size]": 1}).json()["data"]) == 1
    with ledger.space.world.count_statements() as four_rows:
        assert len(api.get("/efforts").json()["data"]) == 4
    assert len(four_rows) == len(one_row)
