"""Phase, milestone and epic operations: bodies, rules, status codes, scopes and visibility."""

from __future__ import annotations

from typing import Any

import pytest

from kanbert.users.models import UserType

from structure import epic, made, milestone, phase, project
from support import Api, Space

PHASE_FIELDS = {
    "id", "title", "po_number", "phase_type", "group", "start_date", "end_date",
    "dependency_phase_id", "dependency_milestone_id", "project_id", "created_at",
}  # fmt: skip
MILESTONE_FIELDS = {
    "id", "title", "po_number", "group", "dependency_phase_id", "dependency_milestone_id",
    "date", "created_at",
}  # fmt: skip


def test_phase_create_show_update_delete(space: Space) -> None:
    api = space.api
    owner = project(api)
    kind = made(api.post("/phase-types", json={"title": "Build", "color": "#0a0"}))
    group = made(api.post("/phase-groups", json={"title": "Stage 1"}))
    created = phase(
        api,
        owner["id"],
        title="  Design  ",
        po_number="PO-1",
        phase_type_id=kind["id"],
        group_id=group["id"],
        start_date="2026-02-01",
        end_date="2026-02-28",
    )
    assert set(created) == PHASE_FIELDS
    assert created["title"] == "Design" and created["po_number"] == "PO-1"
    assert created["phase_type"] == {"id": kind["id"], "title": "Build", "color": "#0a0"}
    assert created["group"] == {"id": group["id"], "title": "Stage 1"}
    assert (created["start_date"], created["end_date"]) == ("2026-02-01", "2026-02-28")
    assert created["dependency_phase_id"] is None and created["dependency_milestone_id"] is None
    assert created["project_id"] == owner["id"] and created["created_at"].endswith("Z")

    path = f"/phases/{created['id']}"
    shown = api.get(path)
    assert shown.status_code == 200 and shown.json() == created
    assert api.get(path, params={"find_by": "shortcode"}).status_code == 400
    etag = shown.headers["ETag"]
    stale = api.patch(path, json={"title": "X"}, headers={"If-Match": '"old"'})
    assert stale.status_code == 412
    updated = api.patch(
        path,
        json={"title": "Design 2", "po_number": None, "phase_type_id": None, "end_date": None},
        headers={"If-Match": etag},
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert body["title"] == "Design 2" and body["po_number"] is None
    assert body["phase_type"] is None and body["group"]["id"] == group["id"]
    assert (body["start_date"], body["end_date"]) == ("2026-02-01", None)
    assert updated.headers["ETag"] != etag
    assert api.get(path).json() == body

    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404
    assert api.delete(path).status_code == 404
    assert api.get(f"/projects/{owner['id']}/phases").json()["data"] == []


def test_milestone_create_show_update_delete(space: Space) -> None:
    api = space.api
    owner = project(api)
    group = made(api.post("/phase-groups", json={"title": "Stage 1"}))
    created = milestone(api, owner["id"], date="2026-05-04", po_number="M-1", group_id=group["id"])
    assert set(created) == MILESTONE_FIELDS
    assert created["date"] == "2026-05-04" and created["po_number"] == "M-1"
    assert created["group"] == {"id": group["id"], "title": "Stage 1"}
    path = f"/milestones/{created['id']}"
    assert api.get(path).json() == created
    updated = api.patch(path, json={"date": "2026-05-11", "group_id": None})
    assert updated.status_code == 200
    assert updated.json()["date"] == "2026-05-11" and updated.json()["group"] is None
    for name in ("title", "date"):
        refused = api.patch(path, json={name: None})
        assert refused.status_code == 422 and name in refused.json()["errors"]
    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404


def test_epic_create_show_update_delete(space: Space) -> None:
    api = space.api
    owner = project(api)
    created = epic(api, owner["id"], po_number="E-1")
    assert created == {"id": created["id"], "title": "Checkout", "po_number": "E-1"}
    path = f"/epics/{created['id']}"
    assert api.get(path).json() == created
    updated = api.patch(path, json={"title": "Payments"})
    assert updated.status_code == 200 and updated.json()["title"] == "Payments"
    assert updated.json()["po_number"] == "E-1"
    assert api.patch(path, json={"title": None}).status_code == 422
    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404


def test_bodies_are_validated(space: Space, other_space: Space) -> None:
    api = space.api
    owner = project(api)
    base = f"/projects/{owner['id']}"
    foreign_type = made(other_space.api.post("/phase-types", json={"title": "Theirs"}))
    foreign_group = made(other_space.api.post("/phase-groups", json={"title": "Theirs"}))
    refusals: list[tuple[str, dict[str, Any], str]] = [
        ("phases", {}, "title"),
        ("phases", {"title": "   "}, "title"),
        ("phases", {"title": "x" * 256}, "title"),
        ("phases", {"title": "P", "start_date": "2026-03-02", "end_date": "2026-03-01"},
         "end_date"),
        ("phases", {"title": "P", "start_date": "yesterday"}, "start_date"),
        ("phases", {"title": "P", "phase_type_id": foreign_type["id"]}, "phase_type_id"),
        ("phases", {"title": "P", "group_id": foreign_group["id"]}, "group_id"),
        ("phases", {"title": "P", "group_id": "nope"}, "group_id"),
        ("milestones", {"title": "M"}, "date"),
        ("milestones", {"date": "2026-01-01"}, "title"),
        ("milestones", {"title": "M", "date": "2026-01-01", "group_id": "nope"}, "group_id"),
        ("epics", {"po_number": "x"}, "title"),
    ]  # fmt: skip
    for kind, body, field in refusals:
        response = api.post(f"{base}/{kind}", json=body)
        assert response.status_code == 422, (kind, body, response.text)
        errors = response.json()["errors"]
        assert any(field in key for key in errors), (kind, body, errors)
    # A phase's end date is checked against the stored start date on update.
    stored = phase(api, owner["id"], start_date="2026-03-02", end_date="2026-03-02")
    later = api.patch(f"/phases/{stored['id']}", json={"start_date": "2026-04-01"})
    assert later.status_code == 422 and "end_date" in later.json()["errors"]
    assert api.patch(f"/phases/{stored['id']}", json={"title": None}).status_code == 422
    assert api.get(f"/phases/{stored['id']}").json()["start_date"] == "2026-03-02"
    # Malformed JSON is a 4xx with a message, never a 500.
    broken = api.post(f"{base}/phases", content=b"{", headers={"Content-Type": "application/json"})
    assert 400 <= broken.status_code < 500 and broken.json()["message"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/projects/{project}/phases", {"title": "P"}),
        ("POST", "/projects/{project}/milestones", {"title": "M", "date": "2026-01-01"}),
        ("POST", "/projects/{project}/epics", {"title": "E"}),
        ("PATCH", "/phases/{phase}", {"title": "X"}),
        ("DELETE", "/phases/{phase}", None),
        ("PATCH", "/milestones/{milestone}", {"title": "X"}),
        ("DELETE", "/milestones/{milestone}", None),
        ("PATCH", "/epics/{epic}", {"title": "X"}),
        ("DELETE", "/epics/{epic}", None),
    ],
)
def test_writes_need_project_write(
    space: Space, method: str, path: str, body: dict[str, Any] | None
) -> None:
    owner = project(space.api)
    names = {
        "project": owner["id"],
        "phase": phase(space.api, owner["id"])["id"],
        "milestone": milestone(space.api, owner["id"])["id"],
        "epic": epic(space.api, owner["id"])["id"],
    }
    reader = space.token(["client:read", "settings:write"], name="reader")
    response = reader.request(method, path.format(**names), json=body)
    assert response.status_code == 403
    assert response.json() == {"message": "This action requires the scope project:write."}
    anonymous = Api(space.world.client, None)
    assert anonymous.request(method, path.format(**names), json=body).status_code == 401
    # Reading needs no scope at all, but a token.
    for read in (
        f"/projects/{owner['id']}/phases",
        f"/projects/{owner['id']}/milestones",
        f"/projects/{owner['id']}/epics",
        f"/phases/{names['phase']}",
        f"/milestones/{names['milestone']}",
        f"/epics/{names['epic']}",
    ):
        assert reader.get(read).status_code == 200, read
        assert anonymous.get(read).status_code == 401, read


def test_another_space_sees_and_changes_nothing(space: Space, other_space: Space) -> None:
    owner = project(space.api)
    rows = {
        "phases": phase(space.api, owner["id"]),
        "milestones": milestone(space.api, owner["id"]),
        "epics": epic(space.api, owner["id"]),
    }
    other = other_space.api
    base = f"/projects/{owner['id']}"
    for kind, row in rows.items():
        assert other.get(f"{base}/{kind}").status_code == 404
        assert (
            other.post(f"{base}/{kind}", json={"title": "x", "date": "2026-01-01"}).status_code
            == 404
        )
        assert other.get(f"/{kind}/{row['id']}").status_code == 404
        assert other.patch(f"/{kind}/{row['id']}", json={"title": "x"}).status_code == 404
        assert other.delete(f"/{kind}/{row['id']}").status_code == 404
        assert space.api.get(f"/{kind}/{row['id']}").json() == row
    # Their own project cannot depend on this space's phases either.
    theirs = project(other, "Theirs")
    refused = other.post(
        f"/projects/{theirs['id']}/phases",
        json={"title": "P", "dependency_phase_id": rows["phases"]["id"]},
    )
    assert refused.status_code == 422 and "dependency_phase_id" in refused.json()["errors"]


def _person(space: Space, email: str, kind: UserType = UserType.user) -> tuple[str, Api]:
    user_id = space.add_user(email, kind)
    scopes = ["client:read", "project:write", "settings:write"]
    return user_id, space.token(scopes, name=email, user_id=user_id)


@pytest.mark.parametrize("kind", [UserType.guest, UserType.tax_advisor])
def test_guests_read_their_projects_structure_and_never_write(space: Space, kind: UserType) -> None:
    api = space.api
    guest_id, guest = _person(space, "guest@example.com", kind)
    theirs = project(api, "Theirs", guests=[guest_id])
    hidden = project(api, "Hidden")
    rows = {
        "phases": phase(api, theirs["id"]),
        "milestones": milestone(api, theirs["id"]),
        "epics": epic(api, theirs["id"]),
    }
    hidden_rows = {
        "phases": phase(api, hidden["id"]),
        "milestones": milestone(api, hidden["id"]),
        "epics": epic(api, hidden["id"]),
    }
    for name, row in rows.items():
        listed = guest.get(f"/projects/{theirs['id']}/{name}")
        assert listed.status_code == 200 and listed.json()["data"] == [row]
        assert guest.get(f"/{name}/{row['id']}").json() == row
        refused = guest.patch(f"/{name}/{row['id']}", json={"title": "x"})
        assert refused.status_code == 403 and refused.json()["message"]
        assert guest.delete(f"/{name}/{row['id']}").status_code == 403
        created = guest.post(
            f"/projects/{theirs['id']}/{name}", json={"title": "x", "date": "2026-01-01"}
        )
        assert created.status_code == 403
    for name, row in hidden_rows.items():
        assert guest.get(f"/projects/{hidden['id']}/{name}").status_code == 404
        assert guest.get(f"/{name}/{row['id']}").status_code == 404
        assert guest.patch(f"/{name}/{row['id']}", json={"title": "x"}).status_code == 404
        created = guest.post(
            f"/projects/{hidden['id']}/{name}", json={"title": "x", "date": "2026-01-01"}
        )
        assert created.status_code == 404
    # Phase types and groups are read, never written, by them.
    assert guest.get("/phase-types").status_code == 200
    assert guest.post("/phase-types", json={"title": "T"}).status_code == 403
    assert guest.post("/phase-groups", json={"title": "G"}).status_code == 403


def test_private_projects_structure_is_hidden_from_users_not_on_them(space: Space) -> None:
    api = space.api
    alice_id, alice = _person(space, "alice@example.com")
    _bob_id, bob = _person(space, "bob@example.com")
    private = project(api, "Secret", is_private=True, team=[alice_id])
    row = phase(api, private["id"])
    assert alice.get(f"/phases/{row['id']}").status_code == 200
    assert bob.get(f"/phases/{row['id']}").status_code == 404
    assert bob.get(f"/projects/{private['id']}/phases").status_code == 404
    assert bob.patch(f"/phases/{row['id']}", json={"title": "x"}).status_code == 404
    # Users on the team write the structure of their project.
    renamed = alice.patch(f"/phases/{row['id']}", json={"title": "Ours"})
    assert renamed.status_code == 200 and renamed.json()["title"] == "Ours"
    made(alice.post(f"/projects/{private['id']}/epics", json={"title": "E"}))


def test_archived_project_keeps_its_structure_readable(space: Space) -> None:
    api = space.api
    owner = project(api)
    row = phase(api, owner["id"])
    assert api.delete(f"/projects/{owner['id']}").status_code == 204
    assert api.get(f"/phases/{row['id']}").json() == row
    assert api.get(f"/projects/{owner['id']}/phases").json()["data"] == [row]
    # Deleted for good, the project takes its phases with it.
    assert api.delete(f"/projects/{owner['id']}/force").status_code == 204
    assert api.get(f"/phases/{row['id']}").status_code == 404
