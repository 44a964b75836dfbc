"""`include=computed_fields` and `sort=computed_fields.<alias>` on projects: task totals that
count only the active tasks the caller sees, wherever a project is listed or embedded."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.tasks.models import Task, TaskStatus
from kanbert.users.models import UserType

from project_work import add_task
from support import Api, Space, World

ZERO = {"tasks_total": 0, "tasks_open": 0, "hours_logged": 0, "hours_estimated": 0.0}


@dataclass
class Setup:
    space: Space
    ids: dict[str, str]

    def totals(self, api: Api | None = None, **params: Any) -> dict[str, Any]:
        response = (api or self.space.api).get(
            "/projects", params={"include": "computed_fields", **params}
        )
        assert response.status_code == 200, response.text
        return {row["shortcode"]: row["computed_fields"] for row in response.json()["data"]}

    def order(self, sort: str, api: Api | None = None) -> list[str]:
        response = (api or self.space.api).get("/projects", params={"sort": sort})
        assert response.status_code == 200, response.text
        return [row["shortcode"] for row in response.json()["data"]]


def _made(response: Any) -> str:
    assert response.status_code == 201, response.text
    made: str = response.json()["id"]
    return made


@pytest.fixture
def setup(space: Space) -> Setup:
    """ALP: 4 live tasks (one not public) and an archived one; BRV (private): one task;
    CHA: none. The guest is a guest of ALP and BRV."""
    api, world = space.api, space.world
    ids = {"guest": space.add_user("guest@example.com", UserType.guest)}
    ids["client"] = _made(api.post("/clients", json={"name": "Acme"}))
    ids["group"] = _made(api.post("/portfolios", json={"title": "Digital"}))
    for code, extra in (
        ("ALP", {"guests": [ids["guest"]], "project_group_id": ids["group"]}),
        ("BRV", {"is_private": True, "guests": [ids["guest"]]}),
        ("CHA", {"project_group_id": ids["group"]}),
    ):
        body = {"title": code.title(), "shortcode": code, "client_id": ids["client"], **extra}
        ids[code] = _made(api.post("/projects", json=body))
    hours = Decimal
    add_task(world, ids["ALP"], status=TaskStatus.New, estimated_hours=hours("2.5"))
    add_task(world, ids["ALP"], status=TaskStatus.WIP, estimated_hours=hours("1"), is_public=False)
    add_task(world, ids["ALP"], status=TaskStatus.Completed, estimated_hours=hours("4"))
    add_task(world, ids["ALP"], status=TaskStatus.Closed)
    archived = add_task(world, ids["ALP"], status=TaskStatus.New, estimated_hours=hours("10"))
    add_task(world, ids["BRV"], status=TaskStatus.Backlog, estimated_hours=hours("7"))

    async def archive(session: AsyncSession) -> None:
        task = await session.get_one(Task, archived)
        task.deleted_at = task.created_at

    world.run(archive)
    # Efforts: the guest sees only their own hours (auth.md §4).
    for user, code, hours in ((space.owner_id, "ALP", 1.25), (ids["guest"], "ALP", 0.5),
                              (space.owner_id, "CHA", 3)):  # fmt: skip
        effort = {"date": "2026-11-02", "user_id": user, "project_id": ids[code], "hours": hours}
        assert api.post("/efforts", json=effort).status_code == 201
    return Setup(space, ids)


def test_totals_count_live_tasks(setup: Setup) -> None:
    assert setup.totals() == {
        "ALP": {"tasks_total": 4, "tasks_open": 2, "hours_logged": 1.75, "hours_estimated": 7.5},
        "BRV": {"tasks_total": 1, "tasks_open": 1, "hours_logged": 0, "hours_estimated": 7.0},
        "CHA": {**ZERO, "hours_logged": 3},
    }
    plain = setup.space.api.get("/projects").json()["data"]
    assert all("computed_fields" not in row for row in plain)


def test_show_takes_the_include(setup: Setup) -> None:
    api = setup.space.api
    shown = api.get(f"/projects/{setup.ids['ALP']}", params={"include": "computed_fields,team"})
    assert shown.status_code == 200, shown.text
    assert shown.json()["computed_fields"] == {
        "tasks_total": 4,
        "tasks_open": 2,
        "hours_logged": 1.75,
        "hours_estimated": 7.5,
    }
    assert "computed_fields" not in api.get(f"/projects/{setup.ids['ALP']}").json()


def test_a_guest_counts_only_public_tasks(setup: Setup) -> None:
    guest = setup.space.token(
        ["task-management:read", "efforts:read"], name="guest", user_id=setup.ids["guest"]
    )
    assert setup.totals(guest) == {
        "ALP": {"tasks_total": 3, "tasks_open": 1, "hours_logged": 0.5, "hours_estimated": 6.5},
        "BRV": {"tasks_total": 1, "tasks_open": 1, "hours_logged": 0, "hours_estimated": 7.0},
    }
    # Sorted by what each caller sees: ALP's hidden hour puts it behind BRV for the guest.
    assert setup.order("-computed_fields.hours_estimated") == ["ALP", "BRV", "CHA"]
    assert setup.order("-computed_fields.hours_estimated", guest) == ["BRV", "ALP"]
    assert setup.order("-computed_fields.hours_logged", guest) == ["ALP", "BRV"]


def test_sorts_by_every_total_and_pages(setup: Setup) -> None:
    assert setup.order("-computed_fields.tasks_total") == ["ALP", "BRV", "CHA"]
    assert setup.order("computed_fields.tasks_total") == ["CHA", "BRV", "ALP"]
    assert setup.order("computed_fields.tasks_open,title") == ["CHA", "BRV", "ALP"]
    assert setup.order("computed_fields.hours_estimated") == ["CHA", "BRV", "ALP"]
    assert setup.order("-computed_fields.hours_logged") == ["CHA", "ALP", "BRV"]
    api = setup.space.api
    seen: list[str] = []
    url: str | None = "/projects?sort=-computed_fields.hours_estimated&page[size]=1"
    while url:
        body = api.get(url).json()
        seen.extend(row["shortcode"] for row in body["data"])
        url = body["meta"]["next_cursor_url"]
    assert seen == ["ALP", "BRV", "CHA"]


def test_unknown_totals_are_refused(setup: Setup) -> None:
    api = setup.space.api
    for params in (
        {"sort": "computed_fields.nope"},
        {"sort": "computed_fields"},
        {"include": "computed_fields.tasks_total"},
        {"filter": "computed_fields.tasks_total > 1"},
    ):
        response = api.get("/projects", params=params)
        assert response.status_code == 400, (params, response.text)
        assert response.json()["message"]


def test_embedded_projects_take_the_include(setup: Setup) -> None:
    api = setup.space.api
    alp = {"tasks_total": 4, "tasks_open": 2, "hours_logged": 1.75, "hours_estimated": 7.5}
    portfolios = api.get("/portfolios", params={"include": "projects_assigned.computed_fields"})
    assert portfolios.status_code == 200, portfolios.text
    assigned = portfolios.json()["data"][0]["projects_assigned"]
    assert {p["shortcode"]: p["computed_fields"] for p in assigned} == {
        "ALP": alp,
        "CHA": {**ZERO, "hours_logged": 3},
    }
    clients = api.get("/clients/full", params={"include": "projects.computed_fields"})
    assert clients.status_code == 200, clients.text
    embedded = clients.json()["data"][0]["projects"]
    assert {p["shortcode"]: p["computed_fields"]["tasks_total"] for p in embedded} == {
        "ALP": 4,
        "BRV": 1,
        "CHA": 0,
    }


def test_another_space_sees_no_totals(setup: Setup, other_space: Space) -> None:
    assert setup.totals(other_space.api) == {}
    response = other_space.api.get(
        f"/projects/{setup.ids['ALP']}", params={"include": "computed_fields"}
    )
    assert response.status_code == 404


def test_totals_cost_no_extra_statements(world: World, setup: Setup) -> None:
    api = setup.space.api
    with world.count_statements() as plain:
        assert api.get("/projects").status_code == 200
    with world.count_statements() as totals:
        assert api.get("/projects", params={"include": "computed_fields"}).status_code == 200
    with world.count_statements() as sorted_totals:
        params = {"include": "computed_fields", "sort": "-computed_fields.tasks_total"}
        assert api.get("/projects", params=params).status_code == 200
    assert len(totals) == len(plain) == len(sorted_totals)


def test_a_tasks_project_takes_the_include(setup: Setup) -> None:
    guest = setup.space.token(
        ["task-management:read", "efforts:read"], name="guest", user_id=setup.ids["guest"]
    )
    response = guest.get("/tasks", params={"include": "project.computed_fields"})
    assert response.status_code == 200, response.text
    totals = {
        row["project"]["shortcode"]: row["project"]["computed_fields"]
        for row in response.json()["data"]
    }
    assert totals == {
        "ALP": {"tasks_total": 3, "tasks_open": 1, "hours_logged": 0.5, "hours_estimated": 6.5},
        "BRV": {"tasks_total": 1, "tasks_open": 1, "hours_logged": 0, "hours_estimated": 7.0},
    }


def test_totals_need_the_scopes_of_what_they_count(space: Space) -> None:
    """A token without task-management:read / efforts:read learns nothing about tasks or
    efforts through a project's totals: those totals are null."""
    client = _made(space.api.post("/clients", json={"name": "Scoped"}))
    project = _made(space.api.post("/projects", json={"title": "Scoped", "client_id": client}))
    add_task(space.world, project, estimated_hours=Decimal("3"))
    computed = {"include": "computed_fields"}
    full = space.api.get(f"/projects/{project}", params=computed).json()["computed_fields"]
    assert full["tasks_total"] == 1 and full["hours_estimated"] == 3.0
    bare = space.token([]).get(f"/projects/{project}", params=computed)
    assert bare.status_code == 200, bare.text
    assert bare.json()["computed_fields"] == {
        "tasks_total": None,
        "tasks_open": None,
        "hours_logged": None,
        "hours_estimated": None,
    }
    tasks_only = space.token(["task-management:read"]).get(f"/projects/{project}", params=computed)
    assert tasks_only.json()["computed_fields"]["tasks_total"] == 1
    assert tasks_only.json()["computed_fields"]["hours_logged"] is None


def test_projects_tied_on_a_fractional_total_are_each_listed_once(space: Space) -> None:
    client = _made(space.api.post("/clients", json={"name": "Acme"}))
    made = set()
    for n in range(4):
        body = {"title": f"P{n}", "shortcode": f"TIE{n}", "client_id": client}
        project = _made(space.api.post("/projects", json=body))
        made.add(project)
        for hours in ("0.1", "0.2"):  # 0.30000000000000004 summed as floats
            add_task(space.world, project, estimated_hours=Decimal(hours))
    for sort in ("computed_fields.hours_estimated", "-computed_fields.hours_estimated"):
        seen: list[str] = []
        params: dict[str, Any] = {"sort": sort, "page[size]": 1}
        for _ in range(len(made) + 2):  # bounded: a broken cursor must fail, not loop
            page = space.api.get("/projects", params=params).json()
            seen.extend(row["id"] for row in page["data"])
            if page["meta"]["next_cursor"] is None:
                break
            params["page[cursor]"] = page["meta"]["next_cursor"]
        assert sorted(seen) == sorted(made), sort
