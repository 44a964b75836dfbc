"""One space with a real record of every kind a path parameter can name, for tests that call
every operation of the served document (the security sweep, the schemathesis run)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from kanbert.users.models import UserType

from support import Space, World

PLACEHOLDER = re.compile(r"\{([^}]+)\}")

# A path parameter's name → the kind of record whose id fills it.
PARAMETER_KINDS = {
    "client_id": "client",
    "project_id": "project",
    "task_id": "task",
    "comment_id": "comment",
    "phase_id": "phase",
    "milestone_id": "milestone",
    "epic_id": "epic",
    "effort_id": "effort",
    "user_id": "user",
    "file_id": "file",
    "project_type_id": "project_type",
    "portfolio_id": "portfolio",
    "phase_type_id": "phase_type",
    "phase_group_id": "phase_group",
    "priority_option_id": "priority_option",
    "effort_type_id": "effort_type",
    "field_id": "custom_field",
    "group_id": "user_group",
    "company_id": "company",
    "contact_id": "contact",
    "token_id": "token",
    "space_id": "space",
    "webhook_id": "webhook",
    "delivery_id": "delivery",
}
# `row_id` names a row of a lookup list; the list is the path's first segment.
LOOKUP_KINDS = {
    "tags": "tag",
    "business-fields": "business_field",
    "company-sizes": "company_size",
    "company-revenues": "company_revenue",
}


@dataclass
class Records:
    space: Space
    other_space: Space
    ids: dict[str, str] = field(default_factory=dict)  # record name → id
    generation: int = 0  # how many times spent records were made again (rebuild)

    def add(self, name: str, response: httpx.Response) -> str:
        assert response.status_code == 201, (name, response.text)
        self.ids[name] = response.json()["id"]
        return self.ids[name]

    def upload(self, name: str, entity_type: str, owner: str) -> None:
        response = self.space.api.post(
            "/files",
            data={"entity_type": entity_type, "entity_id": self.ids[owner]},
            files={"file": (f"{name}.txt", name.encode(), "text/plain")},
        )
        self.add(name, response)

    def unique(self, text: str) -> str:
        """`text` as is at first, numbered when made again: a deleted record may keep its
        unique name (e-mail, custom field alias) in the space."""
        return f"{text}{self.generation}" if self.generation else text

    def path(self, template: str, chosen: dict[str, str] | None = None) -> str:
        """The path (relative to /api/v1) with every parameter filled by a real record's id;
        `chosen` names the record for some kinds (default: the record named like the kind)."""
        return PLACEHOLDER.sub(
            lambda match: self.ids[self.record_for(template, match.group(1), chosen)], template
        )

    def record_for(
        self, template: str, parameter: str, chosen: dict[str, str] | None = None
    ) -> str:
        kind = record_kind(template, parameter)
        assert kind is not None, f"{template}: map {{{parameter}}} in tests/recordkit.py"
        return (chosen or {}).get(kind, kind)


@dataclass(frozen=True)
class Step:
    """How one record is made; `needs` names the records it is made with or under, so
    deleting one of those spends this record too."""

    name: str
    build: Callable[[Records], None]
    needs: tuple[str, ...] = ()


# Records made over the API with one POST: name, path, body (its first value made unique).
SETTINGS_RECORDS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("project_type", "/project-types", {"title": "Retainer"}),
    ("portfolio", "/portfolios", {"title": "Everything"}),
    ("phase_type", "/phase-types", {"title": "Build"}),
    ("phase_group", "/phase-groups", {"title": "Stage 1"}),
    ("priority_option", "/priority-options", {"title": "High"}),
    ("effort_type", "/effort-types", {"title": "Development"}),
    ("user_group", "/user-group", {"name": "Design"}),
    ("tag", "/tags", {"title": "hot"}),
    ("business_field", "/business-fields", {"name": "Retail"}),
    ("company_size", "/company-sizes", {"title": "50-250"}),
    ("company_revenue", "/company-revenues", {"title": "1M-10M"}),
    ("company", "/companies", {"company_name": "Globex"}),
    ("contact", "/contacts", {"first_name": "Ann", "last_name": "Example"}),
    ("client", "/clients", {"name": "Acme"}),
    (
        "custom_field",
        "/custom-fields",
        {"field_name": "tier", "title": "Tier", "type": "input", "entity_type": "client"},
    ),
    ("token", "/tokens", {"name": "sweep", "scopes": ["task-management:read"]}),
)


def _posted(name: str, path: str, body: dict[str, Any]) -> Step:
    def build(data: Records) -> None:
        first = next(iter(body))
        data.add(name, data.space.api.post(path, json={**body, first: data.unique(body[first])}))

    return Step(name, build)


def _user(name: str, mailbox: str, user_type: UserType) -> Step:
    def build(data: Records) -> None:
        email = f"{data.unique(mailbox)}@example.com"
        data.ids[name] = data.space.add_user(email, user_type)

    return Step(name, build)


def _project_steps(suffix: str, private: bool) -> list[Step]:
    """A project with a phase, milestone, epic, public task and comment, and a task file."""
    project, task = f"project{suffix}", f"task{suffix}"

    def make_project(data: Records) -> None:
        body: dict[str, Any] = {"title": data.unique(project), "client_id": data.ids["client"]}
        body["is_private"] = private
        if not private:
            body["guests"] = [data.ids["guest"]]
        data.add(project, data.space.api.post("/projects", json=body))

    def structure(kind: str, fields: dict[str, str]) -> Step:
        def build(data: Records) -> None:
            url = f"/projects/{data.ids[project]}/{kind}s"
            data.add(f"{kind}{suffix}", data.space.api.post(url, json=fields))

        return Step(f"{kind}{suffix}", build, (project,))

    def make_task(data: Records) -> None:
        body = {"title": "Task", "project_id": data.ids[project], "is_public": True}
        data.add(task, data.space.api.post("/tasks", json=body))

    def make_comment(data: Records) -> None:
        body = {"task_id": data.ids[task], "comment": "<p>Hi</p>", "is_public": True}
        data.add(f"comment{suffix}", data.space.api.post("/tasks/comments", json=body))

    return [
        Step(project, make_project, ("client", "guest") if not private else ("client",)),
        structure("phase", {"title": "P"}),
        structure("milestone", {"title": "M", "date": "2026-06-01"}),
        structure("epic", {"title": "E"}),
        Step(task, make_task, (project,)),
        Step(f"comment{suffix}", make_comment, (task,)),
        Step(f"file{suffix}", lambda data: data.upload(f"file{suffix}", "task", task), (task,)),
    ]


def _hidden_task(data: Records) -> None:
    body = {"title": "Hidden", "project_id": data.ids["project"], "is_public": False}
    data.add("task_hidden", data.space.api.post("/tasks", json=body))


def _hidden_comment(data: Records) -> None:
    body = {"task_id": data.ids["task"], "comment": "<p>Internal</p>", "is_public": False}
    data.add("comment_hidden", data.space.api.post("/tasks/comments", json=body))


def _effort(data: Records) -> None:
    ids = data.ids
    body = {"date": "2026-11-02", "hours": 1, "user_id": ids["user"], "project_id": ids["project"]}
    data.add("effort", data.space.api.post("/efforts", json=body))


def _webhook(data: Records) -> None:
    # Nothing listens on port 9: the ping fails at once, and leaves a delivery in the log.
    hook = {"url": "http://127.0.0.1:9/sweep", "events": ["client:*"]}
    data.add("webhook", data.space.api.post("/webhooks", json=hook))


def _delivery(data: Records) -> None:
    ping = data.space.api.post(f"/webhooks/{data.ids['webhook']}/ping")
    assert ping.status_code == 200, ping.text
    data.ids["delivery"] = ping.json()["delivery_id"]


# Every record of a space, in the order they are made (a record after those it needs).
STEPS: tuple[Step, ...] = (
    _user("user", "member", UserType.user),
    _user("guest", "guest", UserType.guest),
    *(_posted(name, path, body) for name, path, body in SETTINGS_RECORDS),
    *_project_steps("", private=False),
    *_project_steps("_private", private=True),
    Step("task_hidden", _hidden_task, ("project",)),
    Step("comment_hidden", _hidden_comment, ("task",)),
    Step("effort", _effort, ("user", "project")),
    Step("webhook", _webhook),
    Step("delivery", _delivery, ("webhook",)),
)


def build_records(world: World) -> Records:
    data = Records(world.new_space("Sweep"), world.new_space("Sweep elsewhere"))
    data.ids["space"] = data.space.id
    for step in STEPS:
        step.build(data)
    return data


def spent_with(names: set[str]) -> set[str]:
    """`names` and every record made with or under one of them (STEPS is in making order)."""
    spent = set(names)
    for step in STEPS:
        if spent.intersection(step.needs):
            spent.add(step.name)
    return spent


def rebuild(data: Records, names: set[str]) -> None:
    """Make again, in the same spaces, the records `names` and those made with or under them
    (an operation deleted them); every other record is left as it is."""
    spent = spent_with(names)
    data.generation += 1
    for step in STEPS:
        if step.name in spent:
            step.build(data)


def record_kind(template: str, parameter: str) -> str | None:
    """The kind of record whose id fills `{parameter}` in the path `template` (relative to
    /api/v1), or None when no mapping says."""
    if parameter == "row_id":
        return LOOKUP_KINDS.get(template.split("/")[1])
    return PARAMETER_KINDS.get(parameter)
