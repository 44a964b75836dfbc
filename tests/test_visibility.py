"""The visibility sweep (auth.md §4): every endpoint that returns projects, tasks, comments,
phases or files, asked by every kind of caller, shows exactly what that caller may see.

One space holds a public project P (the outsider on its team, the guest and the tax advisor
its guests), a private project Q (the member on its team, the tax advisor its guest) and a
public project R, with public and non-public
tasks, sub-tasks, comments, replies, phases and files. For each (endpoint, caller) the ids the
endpoint reveals must equal what the rule below says the caller sees: 404 by id, absent from
lists and includes. Filters naming a hidden record match nothing. Adding an endpoint to the
sweep is one line in CASES (or PROBES for a filter).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from kanbert.users.models import UserType

from support import Api, Space, World

# -- the data -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    kind: str  # project, task, comment, phase, file
    project: str  # P, Q or R
    # False for what a guest may never see: a non-public task or comment, a comment of a
    # non-public task, a file of any of them.
    public: bool = True
    parent: str | None = None  # parent task / parent comment / the file's owner
    task: str | None = None  # a comment's task


PROJECTS = {
    "P": {"shortcode": "PPP", "client": "acme", "team": ["outsider"],
          "guests": ["guest", "advisor"]},
    "Q": {"shortcode": "QQQ", "client": "quiet", "private": True, "team": ["member"],
          "guests": ["advisor"]},
    "R": {"shortcode": "RRR", "client": "acme"},
}  # fmt: skip
TASKS = {  # name: (project, is_public, parent)
    "p_pub": ("P", True, None),
    "p_hidden": ("P", False, None),
    "p_sub": ("P", True, "p_pub"),
    "p_sub_hidden": ("P", False, "p_pub"),
    # Under a non-public task a sub-task is non-public too (no public task names a hidden one).
    "p_orphan": ("P", False, "p_hidden"),
    "q_pub": ("Q", True, None),
    "q_hidden": ("Q", False, None),
    "q_sub": ("Q", True, "q_pub"),
    "r_pub": ("R", True, None),
}
COMMENTS = {  # name: (task, is_public, parent comment)
    "c_pub": ("p_pub", True, None),
    "c_hidden": ("p_pub", False, None),
    "c_reply": ("p_pub", True, "c_pub"),
    "c_on_hidden": ("p_hidden", True, None),
    "cq_pub": ("q_pub", True, None),
    "cq_hidden": ("q_pub", False, None),
    "cr_pub": ("r_pub", True, None),
}
FILE_OWNERS = ("P", "Q", "R", "p_pub", "p_hidden", "q_pub", "q_hidden", "r_pub", "c_pub",
               "c_hidden", "c_on_hidden", "cq_pub", "cq_hidden")  # fmt: skip


def _records() -> dict[str, Record]:
    records = {name: Record("project", name) for name in PROJECTS}
    for name, (project, public, parent) in TASKS.items():
        records[name] = Record("task", project, public, parent)
    for name, (task, public, parent) in COMMENTS.items():
        owner = records[task]
        records[name] = Record("comment", owner.project, public and owner.public, parent, task)
    for project in PROJECTS:
        records[f"phase_{project}"] = Record("phase", project)
    for owner in FILE_OWNERS:
        of = records[owner]
        records[f"file_{owner}"] = Record("file", of.project, of.public, owner)
    return records


RECORDS = _records()
VIEWERS = ("owner", "integration", "member", "outsider", "guest", "advisor", "other_space")
GUEST_OF = {"guest": ("P",), "advisor": ("P", "Q")}
USERS = ("member", "outsider", "guest", "advisor")


def sees(viewer: str, name: str) -> bool:
    """auth.md §4 written out for this data set."""
    if name in USERS:
        # Guests and tax advisors see no user but themselves.
        return viewer != "other_space" and (viewer not in GUEST_OF or viewer == name)
    record = RECORDS[name]
    if viewer == "other_space":
        return False
    if viewer in ("owner", "integration", "member"):
        return True
    if viewer == "outsider":
        return record.project != "Q"
    return record.project in GUEST_OF[viewer] and record.public


def of_kind(kind: str) -> list[str]:
    return [name for name, record in RECORDS.items() if record.kind == kind]


@dataclass
class Data:
    space: Space
    other_space: Space
    ids: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # id → name
    uris: dict[str, str] = field(default_factory=dict)  # task name → its key, e.g. PPP-1

    def api(self, viewer: str) -> Api:
        # A fresh token per test keeps each well inside the per-token rate limit.
        if viewer == "other_space":
            return self.other_space.token(name="sweep")
        if viewer == "integration":
            return self.space.token(name="sweep")
        user = self.space.owner_id if viewer == "owner" else self.ids[viewer]
        return self.space.token(name=viewer, user_id=user)

    def add(self, name: str, response: httpx.Response) -> dict[str, Any]:
        assert response.status_code == 201, (name, response.text)
        body: dict[str, Any] = response.json()
        self.ids[name] = body["id"]
        self.names[body["id"]] = name
        return body

    def named(self, ids: Iterable[str]) -> set[str]:
        """The names of the sweep's records among these ids (others, e.g. the integration's
        own user, are not part of the sweep)."""
        return {self.names[i] for i in ids if i in self.names}


def _build(world: World) -> Data:
    data = Data(world.new_space("Visibility"), world.new_space("Elsewhere"))
    space, api = data.space, data.space.api
    for name, kind in (
        ("member", UserType.user),
        ("outsider", UserType.user),
        ("guest", UserType.guest),
        ("advisor", UserType.tax_advisor),
    ):
        data.ids[name] = space.add_user(f"{name}@example.com", kind)
    for client in ("acme", "quiet"):
        data.add(client, api.post("/clients", json={"name": client.title()}))
    data.add("portfolio", api.post("/portfolios", json={"title": "Everything"}))
    for name, spec in PROJECTS.items():
        body = {
            "title": f"Project {name}",
            "shortcode": spec["shortcode"],
            "client_id": data.ids[str(spec["client"])],
            "is_private": bool(spec.get("private")),
            "project_group_id": data.ids["portfolio"],
            "team": [data.ids[u] for u in spec.get("team", [])],
            "guests": [data.ids[u] for u in spec.get("guests", [])],
        }
        data.add(name, api.post("/projects", json=body))
        phase = {"title": f"Phase of {name}"}
        data.add(f"phase_{name}", api.post(f"/projects/{data.ids[name]}/phases", json=phase))
    for name, (project, public, parent) in TASKS.items():
        task = {"title": name, "project_id": data.ids[project], "is_public": public}
        if parent:
            task["parent_task_id"] = data.ids[parent]
        data.uris[name] = data.add(name, api.post("/tasks", json=task))["uri"]
    for name, (task, public, parent) in COMMENTS.items():
        comment = {"task_id": data.ids[task], "comment": f"<p>{name}</p>", "is_public": public}
        if parent:
            comment["parent_comment_id"] = data.ids[parent]
        data.add(name, api.post("/tasks/comments", json=comment))
    for owner in FILE_OWNERS:
        kind = RECORDS[owner].kind
        upload = api.post(
            "/files",
            data={"entity_type": kind, "entity_id": data.ids[owner]},
            files={"file": (f"{owner}.txt", owner.encode(), "text/plain")},
        )
        data.add(f"file_{owner}", upload)
    return data


@pytest.fixture(scope="module")
def data(world: World) -> Data:
    return _build(world)


# -- how endpoints reveal records -----------------------------------------------------------

Rows = list[dict[str, Any]]
Reveal = Callable[[Data, Api], set[str]]
Expect = Callable[[str], set[str]]


def listed(path: str, pick: Callable[[Rows], Iterable[str]], **params: str) -> Reveal:
    """Names revealed by every page of a list."""

    def reveal(data: Data, api: Api) -> set[str]:
        return data.named(pick(api.walk(path, params)))

    return reveal


def one_by_one(path: str, kind: str, pick: Callable[[Any], Iterable[str]] | None = None,
               key: Callable[[Data, str], str] | None = None, **params: str) -> Reveal:  # fmt: skip
    """Names revealed by asking for each record of `kind` by id (`path` takes it as `{}`, or
    what `key` gives): the record itself when 200 (or what `pick` finds in the body); a 404
    reveals nothing."""

    def reveal(data: Data, api: Api) -> set[str]:
        revealed: set[str] = set()
        for name in of_kind(kind):
            named = key(data, name) if key else data.ids[name]
            response = api.get(path.format(named), params=params)
            assert response.status_code in (200, 404), (name, response.text)
            if response.status_code == 404:
                assert response.headers["content-type"].startswith("application/json")
                assert response.json()["message"]
                continue
            if pick is None:
                revealed.add(name)
            else:
                revealed |= data.named(pick(response.json()))
        return revealed

    return reveal


def nested_pages(path: str, kind: str, pick: Callable[[Rows], Iterable[str]]) -> Reveal:
    """A list under each record of `kind` (e.g. a task's comments); 404 under hidden ones."""

    def reveal(data: Data, api: Api) -> set[str]:
        revealed: set[str] = set()
        for name in of_kind(kind):
            url = path.format(data.ids[name])
            response = api.get(url)
            assert response.status_code in (200, 404), (name, response.text)
            if response.status_code == 200:
                revealed |= data.named(pick(api.walk(url)))
        return revealed

    return reveal


def clients_shown_with_projects(data: Data, api: Api) -> set[str]:
    revealed: set[str] = set()
    for client in ("acme", "quiet"):
        response = api.get(f"/clients/{data.ids[client]}", params={"include": "projects"})
        assert response.status_code in (200, 404), response.text
        if response.status_code == 200:
            revealed |= data.named(each("projects")([response.json()]))
    return revealed


def ids(rows: Rows) -> list[str]:
    return [row["id"] for row in rows]


def each(key: str) -> Callable[[Rows], list[str]]:
    """The ids of the records listed under `key` in every row (an include)."""
    return lambda rows: [item["id"] for row in rows for item in row.get(key) or []]


def one(key: str) -> Callable[[Rows], list[str]]:
    """The id of the record under `key` of every row, where there is one."""
    return lambda rows: [row[key]["id"] for row in rows if row.get(key)]


def comment_tree(rows: Rows) -> list[str]:
    found: list[str] = []
    pending = list(rows)
    while pending:
        row = pending.pop()
        found.append(row["id"])
        pending.extend(row.get("sub_comments") or [])
    return found


def attachements(rows: Rows) -> list[str]:
    found: list[str] = []
    pending = list(rows)
    while pending:
        row = pending.pop()
        found.extend(file["id"] for file in row["attachements"])
        pending.extend(row.get("sub_comments") or [])
    return found


# -- what each endpoint should reveal -------------------------------------------------------


def everything(kind: str) -> Callable[[str], set[str]]:
    return lambda viewer: {n for n in of_kind(kind) if sees(viewer, n)}


def linked(kind: str, then: Callable[[str, Record], str | None]) -> Callable[[str], set[str]]:
    """Records reached from a visible record of `kind` through a link that must itself be
    visible (a sub-task under its parent, a parent task over its child …)."""

    def expect(viewer: str) -> set[str]:
        found = set()
        for name in of_kind(kind):
            target = then(name, RECORDS[name])
            if target and sees(viewer, name) and sees(viewer, target):
                found.add(target)
        return found

    return expect


def files_of(kinds: tuple[str, ...]) -> Callable[[str], set[str]]:
    return lambda viewer: {
        n
        for n in of_kind("file")
        if RECORDS[str(RECORDS[n].parent)].kind in kinds and sees(viewer, n)
    }


def reachable_comments(viewer: str) -> set[str]:
    # Replies show inside their parent's tree, so only under a visible parent.
    return {
        n
        for n in of_kind("comment")
        if sees(viewer, n) and (RECORDS[n].parent is None or sees(viewer, str(RECORDS[n].parent)))
    }


def not_for_guests(expect: Callable[[str], set[str]]) -> Callable[[str], set[str]]:
    # Guests see no clients (auth.md §4), so nothing embedded in one either.
    return lambda viewer: set() if viewer == "guest" else expect(viewer)


@dataclass(frozen=True)
class Case:
    name: str
    reveal: Reveal
    expect: Callable[[str], set[str]]


parent_of = linked("task", lambda name, r: r.parent)


def sub_task_of(viewer: str) -> set[str]:
    # Sub-tasks show under their parent, so only under a visible one.
    return {
        name
        for name, record in RECORDS.items()
        if record.kind == "task"
        and record.parent
        and sees(viewer, name)
        and sees(viewer, record.parent)
    }


CASES = [
    Case("GET /projects", listed("/projects", ids), everything("project")),
    Case("GET /projects archived=with", listed("/projects", ids, filter='archived eq "with"'),
         everything("project")),
    Case("GET /projects/{id}", one_by_one("/projects/{}", "project"), everything("project")),
    Case("GET /projects/{id}?find_by=shortcode", one_by_one("/projects/{}", "project",
         key=lambda d, name: str(PROJECTS[name]["shortcode"]), find_by="shortcode"),
         everything("project")),
    Case("GET /tasks/{id}?find_by=uri", one_by_one("/tasks/{}", "task",
         key=lambda d, name: d.uris[name], find_by="uri"), everything("task")),
    Case("GET /clients/full?include=projects", listed("/clients/full", each("projects"),
         include="projects"), not_for_guests(everything("project"))),
    Case("GET /clients/{id}?include=projects", clients_shown_with_projects,
         not_for_guests(everything("project"))),
    Case("GET /portfolios?include=projects_assigned", listed("/portfolios",
         each("projects_assigned"), include="projects_assigned"), everything("project")),
    Case("GET /tasks", listed("/tasks", ids), everything("task")),
    Case("GET /tasks sub_tasks_in_list=without", listed("/tasks", ids,
         filter='sub_tasks_in_list eq "without"'),
         lambda v: {n for n in everything("task")(v) if not RECORDS[n].parent}),
    Case("GET /tasks/{id}", one_by_one("/tasks/{}", "task"), everything("task")),
    Case("GET /tasks?include=project", listed("/tasks", one("project"), include="project"),
         linked("task", lambda name, r: r.project)),
    Case("GET /tasks?include=sub_tasks", listed("/tasks", each("sub_tasks"),
         include="sub_tasks"), sub_task_of),
    Case("GET /tasks?include=parent_task", listed("/tasks", one("parent_task"),
         include="parent_task"), parent_of),
    Case("GET /tasks/{id}?include=sub_tasks", one_by_one("/tasks/{}", "task",
         lambda body: each("sub_tasks")([body]), include="sub_tasks"), sub_task_of),
    Case("GET /tasks/{id}?include=parent_task", one_by_one("/tasks/{}", "task",
         lambda body: one("parent_task")([body]), include="parent_task"), parent_of),
    Case("GET /tasks/{id}?include=project", one_by_one("/tasks/{}", "task",
         lambda body: one("project")([body]), include="project"),
         linked("task", lambda name, r: r.project)),
    Case("GET /tasks/{id}/comments", nested_pages("/tasks/{}/comments", "task", comment_tree),
         reachable_comments),
    Case("GET /tasks/comments/{id}", one_by_one("/tasks/comments/{}", "comment"),
         everything("comment")),
    Case("GET /tasks/comments/{id} sub_comments", one_by_one("/tasks/comments/{}", "comment",
         lambda body: comment_tree(body["sub_comments"])),
         lambda v: {n for n in reachable_comments(v) if RECORDS[n].parent}),
    Case("GET /projects/{id}/phases", nested_pages("/projects/{}/phases", "project", ids),
         everything("phase")),
    Case("GET /phases/{id}", one_by_one("/phases/{}", "phase"), everything("phase")),
    Case("GET /files/{id}", one_by_one("/files/{}", "file"), everything("file")),
    Case("GET /files/{id}/download", one_by_one("/files/{}/download", "file"),
         everything("file")),
    Case("GET /tasks attachements", listed("/tasks", attachements), files_of(("task",))),
    Case("GET /tasks/{id}/comments attachements",
         nested_pages("/tasks/{}/comments", "task", attachements),
         lambda v: {n for n in files_of(("comment",))(v)
                    if str(RECORDS[n].parent) in reachable_comments(v)}),
]  # fmt: skip


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_caller_sees_exactly_what_they_may(data: Data, case: Case, viewer: str) -> None:
    revealed = case.reveal(data, data.api(viewer))
    expected = case.expect(viewer)
    assert revealed == expected, {
        "leaked": sorted(revealed - expected),
        "missing": sorted(expected - revealed),
    }


def test_the_sweep_covers_every_record(data: Data) -> None:
    """The full view reveals every record, so no case passes for lack of data."""
    full: set[str] = set()
    api = data.api("integration")
    for case in CASES:
        full |= case.reveal(data, api)
    assert full == set(RECORDS)


# -- filters that name a hidden record match nothing ----------------------------------------


@dataclass(frozen=True)
class Probe:
    path: str  # may name records as {P}, {member} …
    filter: str
    target: str  # the record or user it names; hidden from a viewer, it finds nothing


PROBES = [
    Probe("/projects", 'shortcode = "QQQ"', "Q"),
    Probe("/projects", 'team any (id = "{member}")', "Q"),
    Probe("/projects", 'team any (email = "member@example.com")', "Q"),
    Probe("/projects", 'team any (email = "outsider@example.com")', "outsider"),
    Probe("/projects", 'team any (id = "{outsider}")', "outsider"),
    Probe("/projects", 'guests any (id = "{guest}")', "guest"),
    Probe("/projects", 'guests any (email = "advisor@example.com")', "advisor"),
    Probe("/projects", "guests count >= 2", "guest"),
    Probe("/tasks", 'project.id = "{Q}"', "Q"),
    Probe("/tasks", 'project.shortcode = "QQQ"', "Q"),
    Probe("/tasks", 'project.name = "Project Q"', "Q"),
    Probe("/tasks", 'client.id = "{quiet}"', "Q"),
    Probe("/tasks", 'uri startswith "QQQ"', "Q"),
    Probe("/tasks", 'parent_task.id = "{q_pub}"', "q_pub"),
    Probe("/tasks", 'parent_task.id = "{p_hidden}"', "p_hidden"),
    Probe("/tasks", 'sub_tasks any (title = "p_sub_hidden")', "p_sub_hidden"),
    Probe("/tasks", 'title = "p_hidden"', "p_hidden"),
    Probe("/tasks", "is_public = false", "p_hidden"),
    Probe("/clients/full", 'projects any (shortcode = "QQQ")', "Q"),
    Probe("/tasks/{p_pub}/comments", "is_public = false", "c_hidden"),
    Probe("/projects/{Q}/phases", 'title = "Phase of Q"', "Q"),
]


def _probed(data: Data, api: Api, probe: Probe) -> list[str] | None:
    """The ids the filtered list returns, or None when its parent record is a 404."""
    path = probe.path.format(**data.ids)
    response = api.get(path, params={"filter": probe.filter.format(**data.ids)})
    if response.status_code == 404 and "{" in probe.path:
        return None
    assert response.status_code == 200, response.text
    return ids(api.walk(path, {"filter": probe.filter.format(**data.ids)}))


@pytest.mark.parametrize("probe", PROBES, ids=[f"{p.path} {p.filter}" for p in PROBES])
def test_filters_naming_hidden_records_match_nothing(data: Data, probe: Probe) -> None:
    found = _probed(data, data.api("integration"), probe)
    assert found, "the probe must match something for a caller who sees its target"
    for viewer in VIEWERS:
        if sees(viewer, probe.target):
            continue
        found = _probed(data, data.api(viewer), probe)
        assert not found, (viewer, data.named(found or []))


# -- totals count only what the caller sees -------------------------------------------------


@pytest.mark.parametrize("viewer", VIEWERS)
def test_project_totals_count_visible_tasks(data: Data, viewer: str) -> None:
    api = data.api(viewer)
    rows = api.walk("/projects", {"include": "computed_fields"})
    totals = {data.names[row["id"]]: row["computed_fields"]["tasks_total"] for row in rows}
    expected = {
        project: sum(
            1 for t in of_kind("task") if RECORDS[t].project == project and sees(viewer, t)
        )
        for project in PROJECTS
        if sees(viewer, project)
    }
    assert totals == expected
