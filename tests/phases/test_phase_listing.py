"""A project's phases, milestones and epics as lists: filters, sorts, pages and
`computed_fields` on data with known answers; deletes clear references on tasks and efforts."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kanbert.tasks.models import TaskStatus
from kanbert.users.models import UserType

from structure import (
    add_effort,
    add_task,
    effort_links,
    epic,
    made,
    milestone,
    phase,
    project,
    task_links,
)
from support import Api, Space, World


@dataclass
class Plan:
    """A project with four phases, three milestones and three epics, and a second project
    whose rows must never show up in the first one's lists."""

    space: Space
    project_id: str
    ids: dict[str, str]

    def titles(self, kind: str, api: Api | None = None, **params: str) -> list[str]:
        response = (api or self.space.api).get(f"/projects/{self.project_id}/{kind}", params=params)
        assert response.status_code == 200, response.text
        return [row["title"] for row in response.json()["data"]]

    def matching(self, kind: str, condition: str) -> set[str]:
        return set(self.titles(kind, filter=condition.format(**self.ids)))


@pytest.fixture
def plan(space: Space) -> Plan:
    api = space.api
    owner = project(api)
    other = project(api, "Other")
    ids: dict[str, str] = {
        "build": made(api.post("/phase-types", json={"title": "Build"}))["id"],
        "stage": made(api.post("/phase-groups", json={"title": "Stage"}))["id"],
    }
    for title, fields in (
        ("Design", {"start_date": "2026-01-05", "end_date": "2026-01-31", "po_number": "PO-1"}),
        ("Build", {"start_date": "2026-02-01", "phase_type_id": ids["build"]}),
        ("Audit", {"start_date": "2026-02-01", "end_date": "2026-03-15"}),
        ("Wishlist", {}),
    ):  # fmt: skip
        ids[title] = phase(api, owner["id"], title, **fields)["id"]
    grouped = api.patch(f"/phases/{ids['Build']}", json={"group_id": ids["stage"]})
    assert grouped.status_code == 200
    ids["Launch"] = milestone(api, owner["id"], "Launch", "2026-04-01", group_id=ids["stage"])["id"]
    ids["Kickoff"] = milestone(
        api, owner["id"], "Kickoff", "2026-01-02", dependency_phase_id=ids["Design"]
    )["id"]
    ids["Review"] = milestone(api, owner["id"], "Review", "2026-03-01", po_number="M-9")["id"]
    for title in ("Search", "Checkout", "Accounts"):
        ids[title] = epic(api, owner["id"], title, po_number=f"E-{title[0]}")["id"]
    phase(api, other["id"], "Foreign")
    milestone(api, other["id"], "Foreign")
    epic(api, other["id"], "Foreign")
    return Plan(space, owner["id"], ids)


PHASE_FILTERS: list[tuple[str, set[str]]] = [
    ('title = "Design"', {"Design"}),
    ('title contains "li"', {"Wishlist"}),
    ('id in ["{Design}", "{Audit}"]', {"Design", "Audit"}),
    ('po_number = "PO-1"', {"Design"}),
    ('start_date >= "2026-02-01"', {"Build", "Audit"}),
    ("start_date is null", {"Wishlist"}),
    ('end_date < "2026-02-01"', {"Design"}),
    ("end_date isnotnull", {"Design", "Audit"}),
    ('phase_type.id = "{build}"', {"Build"}),
    ("phase_type.id is null", {"Design", "Audit", "Wishlist"}),
    ('group.id = "{stage}"', {"Build"}),
    ('not (group.id = "{stage}")', {"Design", "Audit", "Wishlist"}),
]
MILESTONE_FILTERS: list[tuple[str, set[str]]] = [
    ('title startswith "L"', {"Launch"}),
    ('date < "2026-03-01"', {"Kickoff"}),
    ('date >= "2026-03-01"', {"Launch", "Review"}),
    ('group.id = "{stage}"', {"Launch"}),
    ('dependency_phase_id = "{Design}"', {"Kickoff"}),
    ("dependency_phase_id is null", {"Launch", "Review"}),
    ('po_number = "M-9"', {"Review"}),
    ('id = "{Review}"', {"Review"}),
]
EPIC_FILTERS: list[tuple[str, set[str]]] = [
    ('title endswith "s"', {"Accounts"}),
    ('title in ["Search", "Checkout"]', {"Search", "Checkout"}),
    ('po_number = "E-S"', {"Search"}),
    ('id != "{Search}"', {"Checkout", "Accounts"}),
]


@pytest.mark.parametrize(
    ("kind", "cases"),
    [("phases", PHASE_FILTERS), ("milestones", MILESTONE_FILTERS), ("epics", EPIC_FILTERS)],
)
def test_every_filter_field(plan: Plan, kind: str, cases: list[tuple[str, set[str]]]) -> None:
    wrong = {
        condition: (found, expected)
        for condition, expected in cases
        if (found := plan.matching(kind, condition)) != expected
    }
    assert not wrong, wrong


def test_created_at_filters_and_sorts(plan: Plan) -> None:
    rows = plan.space.api.get(f"/projects/{plan.project_id}/phases").json()["data"]
    audit = next(row for row in rows if row["title"] == "Audit")
    assert plan.matching("phases", f'created_at >= "{audit["created_at"]}"') == {
        "Audit",
        "Wishlist",
    }
    assert plan.titles("phases", sort="created_at") == ["Design", "Build", "Audit", "Wishlist"]
    assert plan.titles("epics", sort="-created_at") == ["Accounts", "Checkout", "Search"]
    assert plan.titles("milestones", sort="created_at") == ["Launch", "Kickoff", "Review"]


def test_sorts(plan: Plan) -> None:
    # Defaults: phases by start date (then title; undated last), milestones by date, epics by title.
    assert plan.titles("phases") == ["Design", "Audit", "Build", "Wishlist"]
    assert plan.titles("phases", sort="-start_date,title") == [
        "Wishlist",
        "Audit",
        "Build",
        "Design",
    ]
    assert plan.titles("phases", sort="title") == ["Audit", "Build", "Design", "Wishlist"]
    assert plan.titles("phases", sort="end_date,title") == ["Design", "Audit", "Build", "Wishlist"]
    assert plan.titles("milestones") == ["Kickoff", "Review", "Launch"]
    assert plan.titles("milestones", sort="-date") == ["Launch", "Review", "Kickoff"]
    assert plan.titles("milestones", sort="title") == ["Kickoff", "Launch", "Review"]
    assert plan.titles("epics") == ["Accounts", "Checkout", "Search"]
    assert plan.titles("epics", sort="-title") == ["Search", "Checkout", "Accounts"]


def test_pages_follow_the_sort(plan: Plan) -> None:
    api = plan.space.api
    path = f"/projects/{plan.project_id}/phases"
    for sort in ("start_date,title", "-start_date,title", "title"):
        walked = [row["title"] for row in api.walk(path, {"sort": sort, "page[size]": 1})]
        assert walked == plan.titles("phases", sort=sort), sort
    first = api.get(path, params={"page[size]": 2}).json()
    assert len(first["data"]) == 2 and first["meta"]["next_cursor"]
    # A cursor is bound to its project: replayed under another project it is refused.
    other = project(api, "Third")
    replayed = api.get(
        f"/projects/{other['id']}/phases",
        params={"page[size]": 2, "page[cursor]": first["meta"]["next_cursor"]},
    )
    assert replayed.status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"filter": 'nope = "x"'},
        {"filter": 'date = "2026-01-01"'},  # a milestone field, not a phase's
        {"filter": 'start_date = "soon"'},
        {"filter": "title = "},
        {"sort": "date"},
        {"include": "project"},
        {"include": "computed_fields.tasks"},
        {"page[size]": "0"},
    ],
)
def test_bad_list_parameters_are_4xx(plan: Plan, params: dict[str, str]) -> None:
    response = plan.space.api.get(f"/projects/{plan.project_id}/phases", params=params)
    assert response.status_code in (400, 422), response.text
    assert response.json()["message"]


def test_unknown_project_is_404(space: Space) -> None:
    for kind in ("phases", "milestones", "epics"):
        assert space.api.get(f"/projects/nope/{kind}").status_code == 404


# -- computed_fields ------------------------------------------------------------------------


def test_computed_fields_count_visible_live_tasks(space: Space) -> None:
    api = space.api
    owner = project(api)
    design, empty = phase(api, owner["id"]), phase(api, owner["id"], "Empty")
    launch = milestone(api, owner["id"])
    search = epic(api, owner["id"])
    add_task(space, owner["id"], TaskStatus.New, "2.5", phase_id=design["id"], epic_id=search["id"])
    add_task(space, owner["id"], TaskStatus.WIP, "1.25", phase_id=design["id"])
    backlog = add_task(
        space,
        owner["id"],
        TaskStatus.Backlog,
        None,
        phase_id=design["id"],
        milestone_id=launch["id"],
    )
    add_task(space, owner["id"], TaskStatus.Completed, "4", phase_id=design["id"], is_public=False)
    add_task(
        space, owner["id"], TaskStatus.Closed, "3", milestone_id=launch["id"], epic_id=search["id"]
    )
    # Archived tasks do not count.
    add_task(space, owner["id"], TaskStatus.New, "100", deleted=True, phase_id=design["id"])
    # 1.5 h each: on the phase, on the epic, and on a task of the milestone (efforts name no
    # milestone; its hours are those on its tasks).
    add_effort(space, owner["id"], phase_id=design["id"])
    add_effort(space, owner["id"], epic_id=search["id"])
    add_effort(space, owner["id"], task_id=backlog)

    computed = {"include": "computed_fields"}
    shown = api.get(f"/phases/{design['id']}", params=computed).json()
    assert shown["computed_fields"] == {
        "tasks_total": 4,
        "tasks_open": 3,
        "hours_logged": 1.5,
        "hours_estimated": 7.75,
    }
    listed = api.get(f"/projects/{owner['id']}/phases", params=computed).json()["data"]
    assert {row["title"]: row["computed_fields"] for row in listed} == {
        "Design": {"tasks_total": 4, "tasks_open": 3, "hours_logged": 1.5, "hours_estimated": 7.75},
        "Empty": {"tasks_total": 0, "tasks_open": 0, "hours_logged": 0, "hours_estimated": 0.0},
    }
    assert empty["id"] in {row["id"] for row in listed}
    milestone_totals = api.get(f"/milestones/{launch['id']}", params=computed).json()
    assert milestone_totals["computed_fields"] == {
        "tasks_total": 2,
        "tasks_open": 1,
        "hours_logged": 1.5,
        "hours_estimated": 3.0,
    }
    epic_rows = api.get(f"/projects/{owner['id']}/epics", params=computed).json()["data"]
    assert epic_rows[0]["computed_fields"] == {
        "tasks_total": 2,
        "tasks_open": 1,
        "hours_logged": 1.5,
        "hours_estimated": 5.5,
    }
    # The totals sort too (what the caller sees), page by page.
    by_open = {"sort": "-computed_fields.tasks_open,title", "page[size]": "1"}
    walked = api.walk(f"/projects/{owner['id']}/phases", by_open)
    assert [row["title"] for row in walked] == ["Design", "Empty"]
    by_hours = {"sort": "computed_fields.hours_estimated"}
    epic(api, owner["id"], "Later")
    sorted_epics = api.get(f"/projects/{owner['id']}/epics", params=by_hours).json()["data"]
    assert [row["title"] for row in sorted_epics] == ["Later", "Checkout"]
    by_total = {"sort": "-computed_fields.tasks_total"}
    sorted_milestones = api.get(f"/projects/{owner['id']}/milestones", params=by_total)
    assert [row["id"] for row in sorted_milestones.json()["data"]] == [launch["id"]]
    # Without the include there is no `computed_fields` key at all.
    assert "computed_fields" not in api.get(f"/phases/{design['id']}").json()
    assert "computed_fields" not in api.get(f"/projects/{owner['id']}/epics").json()["data"][0]

    # A guest counts only the public tasks (and their own efforts) they may see.
    guest_id = space.add_user("guest@example.com", UserType.guest)
    assert api.put(f"/projects/{owner['id']}/guests/{guest_id}").status_code == 200
    guest = space.token(["task-management:read", "efforts:read"], name="guest", user_id=guest_id)
    seen = guest.get(f"/phases/{design['id']}", params=computed).json()
    assert seen["computed_fields"] == {
        "tasks_total": 3,
        "tasks_open": 3,
        "hours_logged": 0,
        "hours_estimated": 3.75,
    }


def test_statements_do_not_grow_with_page_size(world: World, space: Space) -> None:
    api = space.api
    owner = project(api)
    kind = made(api.post("/phase-types", json={"title": "T"}))["id"]
    group = made(api.post("/phase-groups", json={"title": "G"}))["id"]
    for number in range(12):
        phase(api, owner["id"], f"P{number:02}", phase_type_id=kind, group_id=group)

    def statements(size: int) -> int:
        with world.count_statements() as seen:
            response = api.get(
                f"/projects/{owner['id']}/phases",
                params={"page[size]": size, "include": "computed_fields"},
            )
        assert response.status_code == 200
        data = response.json()["data"]
        assert len(data) == size and all(row["phase_type"]["id"] == kind for row in data)
        return len(seen)

    assert statements(2) == statements(12)


# -- deletes clear references on tasks and efforts ------------------------------------------


def test_deleting_clears_it_on_tasks(space: Space) -> None:
    api = space.api
    owner = project(api)
    design, launch, search = (
        phase(api, owner["id"]),
        milestone(api, owner["id"]),
        epic(api, owner["id"]),
    )
    links = {"phase_id": design["id"], "milestone_id": launch["id"], "epic_id": search["id"]}
    task = add_task(space, owner["id"], **links)
    untouched = add_task(space, owner["id"], phase_id=phase(api, owner["id"], "Keep")["id"])
    keep = task_links(space, untouched)
    assert task_links(space, task) == links

    assert api.delete(f"/phases/{design['id']}").status_code == 204
    assert task_links(space, task) == {**links, "phase_id": None}
    assert api.delete(f"/milestones/{launch['id']}").status_code == 204
    assert task_links(space, task) == {
        "phase_id": None,
        "milestone_id": None,
        "epic_id": search["id"],
    }
    assert api.delete(f"/epics/{search['id']}").status_code == 204
    assert task_links(space, task) == {"phase_id": None, "milestone_id": None, "epic_id": None}
    assert task_links(space, untouched) == keep


def test_deleting_clears_it_on_efforts(space: Space) -> None:
    api = space.api
    owner = project(api)
    design, search = phase(api, owner["id"]), epic(api, owner["id"])
    logged = add_effort(space, owner["id"], phase_id=design["id"], epic_id=search["id"])
    assert api.delete(f"/phases/{design['id']}").status_code == 204
    assert effort_links(space, logged) == {"phase_id": None, "epic_id": search["id"]}
    assert api.delete(f"/epics/{search['id']}").status_code == 204
    assert effort_links(space, logged) == {"phase_id": None, "epic_id": None}
