"""GET /tasks: every filter field, sort and include on data whose answer is known; visibility
for guests; statement counts that do not grow with the page size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kanbert.auth.scopes import ALL_SCOPES
from kanbert.users.models import UserType

from support import Api, Space, World
from taskkit import client, made, project, structure, task


@dataclass
class Board:
    space: Space
    tasks: dict[str, str]  # title -> id
    users: dict[str, str]  # name -> id
    refs: dict[str, str]  # other ids: projects, clients, structure, option

    def titles(self, api: Api | None = None, **params: Any) -> list[str]:
        response = (api or self.space.api).get("/tasks", params=params)
        assert response.status_code == 200, response.text
        return [row["title"] for row in response.json()["data"]]

    def matching(self, condition: str, api: Api | None = None) -> set[str]:
        return set(self.titles(api, filter=condition))


def _in_days(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


@pytest.fixture
def board(world: World, space: Space) -> Board:
    """Alpha (WEB, New, ann, watched by bob) has sub-tasks Beta (WIP, bob, not public) and
    Delta (New), and an archived one Omega; Gamma (APP, Completed) stands alone."""
    api = space.api
    acme = client(api, "Acme")
    globex = made(api.post("/clients", json={"name": "Globex", "external_id": "C-G"}))["id"]
    web = project(api, acme, "WEB", external_id="P-W")
    app = project(api, globex, "APP", title="App")
    made(api.patch(f"/projects/{app['id']}", json={"status": "closed"}), 200)
    parts = structure(world, space, web["id"])
    ann = space.add_user("ann@example.com")
    bob = space.add_user("bob@example.com")
    option = made(api.post("/priority-options", json={"title": "High"}))
    made(
        api.post(
            "/custom-fields",
            json={"entity_type": "task", "field_name": "effort", "title": "E", "type": "number"},
        )
    )
    alpha = task(
        api,
        web["id"],
        "Alpha",
        assignee_id=ann,
        due_date=_in_days(3),
        watcher_ids=[bob],
        is_onhold=True,
        estimated_hours=2,
        type="bug",
        external_id="E1",
        priority_option_id=option["id"],
        phase_id=parts["phase"],
        milestone_id=parts["milestone"],
        epic_id=parts["epic"],
        custom_fields={"effort": 5},
        list_sorting=1,
    )
    beta = task(
        api,
        web["id"],
        "Beta",
        status="WIP",
        parent_task_id=alpha["id"],
        assignee_id=bob,
        due_date=_in_days(30),
        is_public=False,
        list_sorting=2,
    )
    gamma = task(api, app["id"], "Gamma", status="Completed", estimated_hours=5, list_sorting=0)
    delta = task(api, web["id"], "Delta", parent_task_id=alpha["id"], list_sorting=3)
    omega = task(api, app["id"], "Omega", status="Backlog", parent_task_id=gamma["id"])
    assert api.delete(f"/tasks/{omega['id']}").status_code == 204
    return Board(
        space=space,
        tasks={row["title"]: row["id"] for row in (alpha, beta, gamma, delta, omega)},
        users={"ann": ann, "bob": bob},
        refs={
            "web": web["id"],
            "app": app["id"],
            "acme": acme,
            "globex": globex,
            "option": option["id"],
            **parts,
        },
    )


LIVE = {"Alpha", "Beta", "Gamma", "Delta"}


def test_every_filter_field(board: Board) -> None:
    refs, users, tasks = board.refs, board.users, board.tasks
    expectations = {
        'title contains "alp"': {"Alpha"},
        'uri = "WEB-1"': {"Alpha"},
        "due_date < today+7d": {"Alpha"},
        "due_date is null": {"Gamma", "Delta"},
        'status = "WIP"': {"Beta"},
        'status in ["New", "Completed"]': {"Alpha", "Gamma", "Delta"},
        f'project.id = "{refs["app"]}"': {"Gamma"},
        'project.external_id = "P-W"': {"Alpha", "Beta", "Delta"},
        'project.shortcode = "APP"': {"Gamma"},
        'project.name = "App"': {"Gamma"},
        'project.status = "closed"': {"Gamma"},
        f'client.id = "{refs["acme"]}"': {"Alpha", "Beta", "Delta"},
        'client.external_id = "C-G"': {"Gamma"},
        'client.name = "Globex"': {"Gamma"},
        'client.shortcode startswith "A"': {"Alpha", "Beta", "Delta"},
        f'assignee.id = "{users["ann"]}"': {"Alpha"},
        'assignee.email = "bob@example.com"': {"Beta"},
        "assignee.id is null": {"Gamma", "Delta"},
        'type = "bug"': {"Alpha"},
        'external_id = "E1"': {"Alpha"},
        "is_onhold = true": {"Alpha"},
        "is_public = false": {"Beta"},
        "estimated_hours > 3": {"Gamma"},
        f'priority_option.id = "{refs["option"]}"': {"Alpha"},
        f'phase.id = "{refs["phase"]}"': {"Alpha"},
        f'milestone.id = "{refs["milestone"]}"': {"Alpha"},
        f'epic.id = "{refs["epic"]}"': {"Alpha"},
        f'parent_task.id = "{tasks["Alpha"]}"': {"Beta", "Delta"},
        'created_at >= "2020-01-01"': LIVE,
        'updated_at < "2020-01-01"': set(),
        "completed_at is not null": {"Gamma"},
        "closed_at is null": LIVE,
        'watchers any (email = "bob@example.com")': {"Alpha"},
        f'watchers any (id = "{users["ann"]}")': set(),
        "watchers count > 0": {"Alpha"},
        'sub_tasks any (status = "WIP")': {"Alpha"},
        'sub_tasks none (status = "WIP")': {"Beta", "Gamma", "Delta"},
        'sub_tasks any (title = "Delta")': {"Alpha"},
        f'sub_tasks any (assignee.id = "{users["bob"]}")': {"Alpha"},
        # Omega is archived: it is no sub-task to match.
        'sub_tasks any (status = "Backlog")': set(),
        'sub_tasks_in_list = "only"': {"Beta", "Delta"},
        'sub_tasks_in_list = "without"': {"Alpha", "Gamma"},
        'sub_tasks_in_list = "with"': LIVE,
        'archived = "with"': LIVE | {"Omega"},
        'archived = "only"': {"Omega"},
        "custom_fields.effort >= 5": {"Alpha"},
    }
    for condition, expected in expectations.items():
        assert board.matching(condition) == expected, condition


def test_json_and_form_filters(board: Board) -> None:
    json_filter = '[{"field": "project.name", "op": "eq", "value": "Website"}]'
    assert set(board.titles(filter=json_filter)) == {"Alpha", "Beta", "Delta"}
    response = board.space.api.get(
        "/tasks",
        params={
            "filter[0][field]": "client.name",
            "filter[0][op]": "eq",
            "filter[0][value]": "Acme",
        },
    )
    assert {row["title"] for row in response.json()["data"]} == {"Alpha", "Beta", "Delta"}


def test_bad_filters_sorts_and_includes_are_400(board: Board) -> None:
    api = board.space.api
    for params in (
        {"filter": 'titel = "x"'},
        {"filter": 'status = "Done"'},
        {"filter": 'sub_tasks_in_list = "some"'},
        {"filter": 'sub_tasks any (uri = "x")'},
        {"sort": "priority"},
        {"include": "comments"},
    ):
        response = api.get("/tasks", params=params)
        assert response.status_code == 400, params
        assert response.json()["message"]


def test_sorts(board: Board) -> None:
    assert board.titles() == ["Gamma", "Alpha", "Beta", "Delta"]  # list_sorting by default
    assert board.titles(sort="title") == ["Alpha", "Beta", "Delta", "Gamma"]
    assert board.titles(sort="-title") == ["Gamma", "Delta", "Beta", "Alpha"]
    assert board.titles(sort="uri") == ["Gamma", "Alpha", "Beta", "Delta"]  # APP-1 < WEB-…
    # (D) Status sorts in workflow order: New, WIP, Completed.
    assert board.titles(sort="status,title") == ["Alpha", "Delta", "Beta", "Gamma"]
    assert board.titles(sort="-status,title") == ["Gamma", "Beta", "Alpha", "Delta"]
    by_status = board.space.api.walk("/tasks", {"sort": "status", "page[size]": 1})
    assert [row["status"] for row in by_status] == ["New", "New", "WIP", "Completed"]
    assert board.titles(sort="due_date,title") == ["Alpha", "Beta", "Delta", "Gamma"]
    assert board.titles(sort="-list_sorting") == ["Delta", "Beta", "Alpha", "Gamma"]
    assert board.titles(sort="created_at") == ["Alpha", "Beta", "Gamma", "Delta"]
    assert len(board.titles(sort="-updated_at")) == 4
    assert board.titles(sort="custom_fields.effort,title")[0] == "Alpha"


def test_pagination_walks_every_task(board: Board) -> None:
    rows = board.space.api.walk("/tasks", {"page[size]": 1, "sort": "title"})
    assert [row["title"] for row in rows] == ["Alpha", "Beta", "Delta", "Gamma"]


def test_includes(board: Board) -> None:
    api = board.space.api
    response = api.get(
        "/tasks",
        params={"include": "project,watchers,client,parent_task,sub_tasks", "sort": "title"},
    )
    assert response.status_code == 200, response.text
    rows = {row["title"]: row for row in response.json()["data"]}
    alpha, beta, gamma = rows["Alpha"], rows["Beta"], rows["Gamma"]
    assert alpha["project"]["id"] == board.refs["web"] and alpha["client"]["name"] == "Acme"
    assert [user["id"] for user in alpha["watchers"]] == [board.users["bob"]]
    assert alpha["parent_task"] is None
    assert [sub["title"] for sub in alpha["sub_tasks"]] == ["Beta", "Delta"]
    assert beta["parent_task"]["id"] == alpha["id"] and beta["watchers"] == []
    # Omega, archived, is not among Gamma's sub-tasks.
    assert gamma["sub_tasks"] == [] and gamma["client"]["name"] == "Globex"
    nested = api.get(f"/tasks/{beta['id']}", params={"include": "parent_task.sub_tasks"})
    assert nested.status_code == 200, nested.text
    assert [s["title"] for s in nested.json()["parent_task"]["sub_tasks"]] == ["Beta", "Delta"]


@pytest.mark.parametrize("kind", [UserType.guest, UserType.tax_advisor])
def test_guests_see_only_public_tasks_of_their_projects(board: Board, kind: UserType) -> None:
    space, api = board.space, board.space.api
    guest = space.add_user(f"{kind.value}@example.com", kind)
    assert api.put(f"/projects/{board.refs['web']}/guests/{guest}").status_code == 200
    made(api.put(f"/tasks/{board.tasks['Alpha']}/watchers/{guest}"), 200)
    limited = space.token(ALL_SCOPES, user_id=guest)
    assert set(board.titles(limited)) == {"Alpha", "Delta"}
    assert limited.get(f"/tasks/{board.tasks['Beta']}").status_code == 404
    assert limited.get(f"/tasks/{board.tasks['Gamma']}").status_code == 404
    # A hidden sub-task matches no relation filter and shows in no include.
    assert board.matching('sub_tasks any (status = "WIP")', limited) == set()
    assert board.matching('sub_tasks any (status = "New")', limited) == {"Alpha"}
    shown = limited.get(
        f"/tasks/{board.tasks['Alpha']}", params={"include": "sub_tasks,watchers"}
    ).json()
    assert [sub["title"] for sub in shown["sub_tasks"]] == ["Delta"]
    # Guests see no user records but their own, also among watchers and in their filters.
    assert [user["id"] for user in shown["watchers"]] == [guest]
    assert board.matching(f'watchers any (id = "{board.users["bob"]}")', limited) == set()
    assert board.matching('watchers any (email startswith "bob")', limited) == set()
    assert board.matching(f'watchers any (id = "{guest}")', limited) == {"Alpha"}
    assert board.matching(f'watchers any (id = "{board.users["bob"]}")') == {"Alpha"}
    # A parent hidden from guests takes its sub-tasks along: they inherit `is_public`.
    made(api.patch(f"/tasks/{board.tasks['Alpha']}", json={"is_public": False}), 200)
    assert limited.get(f"/tasks/{board.tasks['Delta']}").status_code == 404
    assert board.titles(limited) == []


def test_private_projects_hide_their_tasks_from_users_not_on_them(board: Board) -> None:
    space, api = board.space, board.space.api
    made(api.patch(f"/projects/{board.refs['app']}", json={"is_private": True}), 200)
    outsider = space.token(ALL_SCOPES, user_id=board.users["ann"])
    assert set(board.titles(outsider)) == {"Alpha", "Beta", "Delta"}
    assert outsider.get(f"/tasks/{board.tasks['Gamma']}").status_code == 404
    assert (
        outsider.post("/tasks", json={"title": "x", "project_id": board.refs["app"]}).status_code
        == 422
    )


def _seed_tasks(world: World, space: Space, count: int) -> None:
    api = space.api
    proj = project(api, client(api))
    parent = task(api, proj["id"], "Parent")
    watcher = space.add_user("watcher@example.com")
    for i in range(count):
        task(api, proj["id"], f"T{i:03d}", parent_task_id=parent["id"], watcher_ids=[watcher])


def _statements(world: World, space: Space, size: int) -> int:
    params = {"include": "project,watchers,client,parent_task,sub_tasks", "page[size]": size}
    with world.count_statements() as statements:
        response = space.api.get("/tasks", params=params)
    assert response.status_code == 200, response.text
    assert len(response.json()["data"]) == size
    return len(statements)


def test_statements_do_not_grow_with_page_size(world: World, space: Space) -> None:
    _seed_tasks(world, space, 60)
    assert _statements(world, space, 5) == _statements(world, space, 50)
