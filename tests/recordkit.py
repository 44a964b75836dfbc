"""One space with a real record of every kind a path parameter can name, for tests that call
every operation of the served document (the security sweep, the schemathesis run)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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


def _settings_records(data: Records) -> None:
    api = data.space.api
    for name, path, body in (
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
    ):
        data.add(name, api.post(path, json=body))


def _project_records(data: Records, suffix: str, private: bool) -> None:
    """A project with a phase, milestone, epic, public task and comment, and a task file."""
    api, ids = data.space.api, data.ids
    project = f"project{suffix}"
    body = {"title": project, "client_id": ids["client"], "is_private": private}
    if not private:
        body["guests"] = [ids["guest"]]
    data.add(project, api.post("/projects", json=body))
    structure = {"phase": {"title": "P"}, "milestone": {"title": "M", "date": "2026-06-01"}}
    structure["epic"] = {"title": "E"}
    for kind, fields in structure.items():
        data.add(f"{kind}{suffix}", api.post(f"/projects/{ids[project]}/{kind}s", json=fields))
    task = {"title": "Task", "project_id": ids[project], "is_public": True}
    data.add(f"task{suffix}", api.post("/tasks", json=task))
    comment = {"task_id": ids[f"task{suffix}"], "comment": "<p>Hi</p>", "is_public": True}
    data.add(f"comment{suffix}", api.post("/tasks/comments", json=comment))
    data.upload(f"file{suffix}", "task", f"task{suffix}")


def build_records(world: World) -> Records:
    data = Records(world.new_space("Sweep"), world.new_space("Sweep elsewhere"))
    api, ids = data.space.api, data.ids
    ids["space"] = data.space.id
    ids["user"] = data.space.add_user("member@example.com")
    ids["guest"] = data.space.add_user("guest@example.com", UserType.guest)
    _settings_records(data)
    _project_records(data, "", private=False)
    _project_records(data, "_private", private=True)
    hidden_task = {"title": "Hidden", "project_id": ids["project"], "is_public": False}
    data.add("task_hidden", api.post("/tasks", json=hidden_task))
    hidden = {"task_id": ids["task"], "comment": "<p>Internal</p>", "is_public": False}
    data.add("comment_hidden", api.post("/tasks/comments", json=hidden))
    effort = {
        "date": "2026-11-02",
        "hours": 1,
        "user_id": ids["user"],
        "project_id": ids["project"],
    }
    data.add("effort", api.post("/efforts", json=effort))
    # Nothing listens on port 9: the ping fails at once, and leaves a delivery in the log.
    hook = {"url": "http://127.0.0.1:9/sweep", "events": ["client:*"]}
    data.add("webhook", api.post("/webhooks", json=hook))
    ping = api.post(f"/webhooks/{ids['webhook']}/ping")
    assert ping.status_code == 200, ping.text
    ids["delivery"] = ping.json()["delivery_id"]
    return data


def record_kind(template: str, parameter: str) -> str | None:
    """The kind of record whose id fills `{parameter}` in the path `template` (relative to
    /api/v1), or None when no mapping says."""
    if parameter == "row_id":
        return LOOKUP_KINDS.get(template.split("/")[1])
    return PARAMETER_KINDS.get(parameter)
