"""`GET /efforts/summary`: grouping keys, rendering, exact sums, the list's filters, and a
property test against a plain-Python aggregation of the same visible rows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.auth.scopes import ALL_SCOPES
from kanbert.efforts.models import Effort, EffortKind

from effort_work import WITHOUT_EXTENDED, add_task, client, effort, made, project
from support import Api, Space


def _summary(api: Api, group_by: str, **params: str) -> list[dict[str, Any]]:
    response = api.get("/efforts/summary", params={"group_by": group_by, **params})
    assert response.status_code == 200, response.text
    groups: list[dict[str, Any]] = response.json()["data"]
    return groups


@pytest.mark.parametrize(
    "group_by",
    [None, "", " ", "user,", "nope", "user,user", "client,project,user,task", "Client"],
)
def test_bad_group_by_is_400(space: Space, group_by: str | None) -> None:
    params = {} if group_by is None else {"group_by": group_by}
    response = space.api.get("/efforts/summary", params=params)
    assert response.status_code == 400, response.text
    assert list(response.json()["errors"]) == ["group_by"]
    assert "group_by" in response.json()["message"]


def test_unknown_key_is_named(space: Space) -> None:
    response = space.api.get("/efforts/summary", params={"group_by": "client,weekday"})
    assert response.json()["message"] == (
        "group_by has unknown key 'weekday'; allowed: client, project, user, effort_type, task, "
        "date, week, month."
    )


def test_bad_filter_is_400_like_the_list(space: Space) -> None:
    response = space.api.get("/efforts/summary", params={"group_by": "user", "filter": "nope = 1"})
    assert response.status_code == 400 and "filter" in response.json()["errors"]


def test_groups_render_records_and_sum_exactly(space: Space) -> None:
    api = space.api
    acme = client(api, "Acme")
    web = project(api, acme["id"], "Web")
    task = add_task(space, web["id"], title="Shop")
    kind = made(api.post("/effort-types", json={"title": "Development"}))
    owner = space.owner_id
    for _ in range(3):  # 0.1 + 0.1 + 0.1 is 0.3 here, not 0.30000000000000004
        effort(api, user_id=owner, project_id=web["id"], hours=0.1, task_id=task["id"])
    effort(api, user_id=owner, project_id=web["id"], hours=2, is_billable=False)
    effort(api, user_id=owner, hours=1.25, effort_type_id=kind["id"])

    groups = _summary(api, "client,project")
    assert [
        (g["client"] and g["client"]["id"], g["project"] and g["project"]["id"]) for g in groups
    ] == [
        (acme["id"], web["id"]),
        (None, None),  # admin efforts: no client, no project; nulls come last
    ]
    first, admin = groups
    assert set(first) == {"client", "project", "hours", "billable_hours", "count"}
    assert first["client"]["name"] == "Acme" and first["project"]["title"] == "Web"
    assert first["project"]["client"]["id"] == acme["id"]
    assert (first["hours"], first["billable_hours"], first["count"]) == (2.3, 0.3, 4)
    assert (admin["hours"], admin["billable_hours"], admin["count"]) == (1.25, 1.25, 1)
    assert isinstance(admin["count"], int)

    by_user = _summary(api, "user,effort_type,task")
    assert [g["user"]["id"] for g in by_user] == [owner, owner, owner]
    assert by_user[0]["user"]["space"]["id"] == space.id
    types_and_tasks = [(g["effort_type"], g["task"]) for g in by_user]
    assert ({"id": kind["id"], "title": "Development"}, None) in types_and_tasks
    assert (None, task) in types_and_tasks
    only_billable = _summary(api, "project", filter="is_billable = true")
    assert [(g["hours"], g["count"]) for g in only_billable] == [(0.3, 3), (1.25, 1)]


def test_periods_are_iso_dates_weeks_and_months(space: Space) -> None:
    owner = space.owner_id
    days = {
        "2024-12-30": "2025-W01",  # a Monday in the first ISO week of 2025
        "2021-01-03": "2020-W53",  # a Sunday still in 2020's last week
        "2026-01-01": "2026-W01",  # a Thursday
        "2027-01-01": "2026-W53",  # a Friday
        "2026-11-24": "2026-W48",
    }
    for day in days:
        effort(space.api, user_id=owner, date=day, hours=1)
    by_date = _summary(space.api, "date,week,month")
    assert [(g["date"], g["week"], g["month"]) for g in by_date] == [
        (day, week, day[:7]) for day, week in sorted(days.items())
    ]
    weeks = _summary(space.api, "week")
    assert [g["week"] for g in weeks] == sorted(days.values())


def test_one_aggregate_query(space: Space) -> None:
    web = project(space.api, client(space.api)["id"])
    for hours in (1, 2, 3):
        effort(space.api, user_id=space.owner_id, project_id=web["id"], hours=hours)
    with space.world.count_statements() as statements:
        groups = _summary(space.api, "project,user,month")
    assert len(groups) == 1 and groups[0]["hours"] == 6
    assert len([s for s in statements if "GROUP BY" in s.upper()]) == 1
    assert not [s for s in statements if "FROM efforts" in s and "GROUP BY" not in s.upper()]


# -- the property test -----------------------------------------------------------------------


@dataclass
class Row:
    user_id: str
    project_id: str | None
    client_id: str | None
    task_id: str | None
    effort_type_id: str | None
    date: dt.date
    hours: Decimal
    is_billable: bool


@dataclass
class Setting:
    space: Space
    users: list[str]  # [the plain user, two others]
    projects: list[tuple[str, str, bool]]  # (project id, client id, private)
    tasks: dict[str, list[str]]  # project id → task ids
    effort_types: list[str]
    callers: dict[str, Api]


@pytest.fixture
def setting(space: Space) -> Setting:
    api = space.api
    users = [space.add_user(f"user{n}@example.com") for n in range(3)]
    acme, beta = client(api, "Acme")["id"], client(api, "Beta")["id"]
    projects = []
    for title, client_id, private in (("A", acme, False), ("B", beta, False), ("C", acme, True)):
        created = project(api, client_id, title, is_private=private)
        projects.append((created["id"], client_id, private))
    tasks = {pid: [add_task(space, pid)["id"] for _ in range(2)] for pid, _, _ in projects}
    types = [made(api.post("/effort-types", json={"title": t}))["id"] for t in ("Dev", "Ops")]
    callers = {
        "integration": api,
        "without_extended": space.token(WITHOUT_EXTENDED),
        "user": space.token(ALL_SCOPES, user_id=users[0]),
    }
    return Setting(space, users, projects, tasks, types, callers)


@st.composite
def rows(draw: st.DrawFn, setting: Setting) -> list[Row]:
    drawn = []
    for _ in range(draw(st.integers(0, 14))):
        on_project = draw(st.booleans())
        project_id, client_id, _private = draw(st.sampled_from(setting.projects))
        ticks = draw(st.integers(1, 240_000))
        drawn.append(
            Row(
                user_id=draw(st.sampled_from(setting.users)),
                project_id=project_id if on_project else None,
                client_id=client_id if on_project else None,
                task_id=draw(st.sampled_from([None, *setting.tasks[project_id]]))
                if on_project
                else None,
                effort_type_id=draw(st.sampled_from([None, *setting.effort_types])),
                date=dt.date(2024, 12, 20) + dt.timedelta(days=draw(st.integers(0, 800))),
                hours=Decimal(ticks) / 10_000,
                is_billable=draw(st.booleans()),
            )
        )
    return drawn


KEYS = ["client", "project", "user", "effort_type", "task", "date", "week", "month"]


def _key(row: Row, name: str) -> str | None:
    if name in ("date", "week", "month"):
        iso = row.date.isocalendar()
        return {
            "date": row.date.isoformat(),
            "week": f"{iso.year}-W{iso.week:02d}",
            "month": row.date.strftime("%Y-%m"),
        }[name]
    value: str | None = getattr(row, f"{name}_id")
    return value


def _filters(setting: Setting) -> st.SearchStrategy[tuple[str | None, Any]]:
    """A filter for the API and the same test in Python."""
    user = setting.users[1]
    acme = setting.projects[0][1]
    return st.sampled_from(
        [
            (None, lambda r: True),
            ("is_billable = true", lambda r: r.is_billable),
            ("hours > 12", lambda r: r.hours > 12),
            ('date >= "2025-06-01"', lambda r: r.date >= dt.date(2025, 6, 1)),
            ('type = "admin"', lambda r: r.project_id is None),
            (f'user.id = "{user}"', lambda r: r.user_id == user),
            (f'client.id = "{acme}"', lambda r: r.client_id == acme),
            ("project.id isnull", lambda r: r.project_id is None),
        ]
    )


def _visible(setting: Setting, caller: str, row: Row) -> bool:
    if caller == "integration":
        return True
    if caller == "without_extended":
        return row.project_id is not None
    private = {pid for pid, _, is_private in setting.projects if is_private}
    return row.user_id == setting.users[0] or (
        row.project_id is not None and row.project_id not in private
    )


def _hidden(setting: Setting, caller: str) -> set[str]:
    """Ids a caller's summary renders as null: a user's own efforts may sit on a private
    project they are not on, whose project and tasks they may not see."""
    if caller != "user":
        return set()
    private = {pid for pid, _, is_private in setting.projects if is_private}
    return private | {task for pid in private for task in setting.tasks[pid]}


def _expected(
    rows: list[Row],
    names: list[str],
    hidden: Collection[str] = (),
) -> list[tuple[Any, ...]]:
    sums: dict[tuple[str | None, ...], list[Any]] = defaultdict(lambda: [Decimal(0), Decimal(0), 0])
    for row in rows:
        totals = sums[tuple(_key(row, name) for name in names)]
        totals[0] += row.hours
        totals[1] += row.hours if row.is_billable else 0
        totals[2] += 1
    # Grouped and ordered by the stored keys; what the caller may not see is shown as null.
    ordered = sorted(sums, key=lambda keys: [(k is None, k or "") for k in keys])
    return [
        (
            *(None if key in hidden else key for key in keys),
            *(_exact(v) for v in sums[keys][:2]),
            sums[keys][2],
        )
        for keys in ordered
    ]


def _exact(value: Decimal | float) -> Decimal:
    return Decimal(repr(value) if isinstance(value, float) else value).normalize()


def _answered(groups: list[dict[str, Any]], names: list[str]) -> list[tuple[Any, ...]]:
    def key(group: dict[str, Any], name: str) -> Any:
        value = group[name]
        return value["id"] if isinstance(value, dict) else value

    return [
        (
            *(key(g, name) for name in names),
            _exact(g["hours"]),
            _exact(g["billable_hours"]),
            g["count"],
        )
        for g in groups
    ]


def _replace_efforts(setting: Setting, drawn: list[Row]) -> None:
    async def write(session: AsyncSession) -> None:
        await session.execute(delete(Effort).where(Effort.space_id == setting.space.id))
        for row in drawn:
            kind = EffortKind.project if row.project_id else EffortKind.admin
            session.add(Effort(space_id=setting.space.id, type=kind, **vars(row)))

    setting.space.world.run(write)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_summary_equals_a_python_aggregation(setting: Setting, data: st.DataObject) -> None:
    drawn = data.draw(rows(setting))
    names = data.draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=3, unique=True))
    condition, test = data.draw(_filters(setting))
    caller = data.draw(st.sampled_from(sorted(setting.callers)))
    _replace_efforts(setting, drawn)

    params = {} if condition is None else {"filter": condition}
    groups = _summary(setting.callers[caller], ",".join(names), **params)
    seen = [row for row in drawn if _visible(setting, caller, row) and test(row)]
    assert _answered(groups, names) == _expected(seen, names, _hidden(setting, caller))


def test_form_encoded_filters_and_long_group_by(space: Space) -> None:
    effort(space.api, user_id=space.owner_id, hours=1, is_billable=False)
    effort(space.api, user_id=space.owner_id, hours=2)
    params = {
        "group_by": "user",
        "filter[0][field]": "is_billable",
        "filter[0][op]": "eq",
        "filter[0][value]": "false",
    }
    response = space.api.get("/efforts/summary", params=params)
    assert response.status_code == 200, response.text
    assert [(g["hours"], g["count"]) for g in response.json()["data"]] == [(1, 1)]
    long = space.api.get("/efforts/summary", params={"group_by": "user," * 200})
    assert long.status_code == 400 and list(long.json()["errors"]) == ["group_by"]
