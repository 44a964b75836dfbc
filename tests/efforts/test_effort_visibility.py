"""Who sees and writes which efforts: the `efforts:extended:read` rule for admin efforts, users,
guests and tax advisors (auth.md §4, resources.md §7)."""

from __future__ import annotations

from kanbert.auth.scopes import ALL_SCOPES
from kanbert.users.models import UserType

from effort_work import (
    WITHOUT_EXTENDED,
    add_epic,
    add_phase,
    add_task,
    client,
    effort,
    ids,
    made,
    project,
)
from support import Api, Space


def _summary_total(api: Api) -> tuple[float, int]:
    response = api.get("/efforts/summary", params={"group_by": "user"})
    assert response.status_code == 200, response.text
    groups = response.json()["data"]
    return sum(g["hours"] for g in groups), sum(g["count"] for g in groups)


def test_admin_efforts_need_extended_read(space: Space) -> None:
    web = project(space.api, client(space.api)["id"])
    admin = effort(space.api, user_id=space.owner_id, hours=3)
    work = effort(space.api, user_id=space.owner_id, hours=2, project_id=web["id"])
    limited = space.token(WITHOUT_EXTENDED)

    # Same date: ordered by id.
    assert ids(space.api.walk("/efforts")) == sorted([admin["id"], work["id"]])
    assert ids(limited.walk("/efforts")) == [work["id"]]
    assert limited.get(f"/efforts/{admin['id']}").status_code == 404
    assert limited.get(f"/efforts/{work['id']}").status_code == 200
    assert _summary_total(space.api) == (5, 2)
    assert _summary_total(limited) == (2, 1)
    # Filtering for them does not reveal them either.
    only_admin = limited.get("/efforts", params={"filter": 'type eq "admin"'})
    assert only_admin.status_code == 200 and only_admin.json()["data"] == []


def test_a_user_sees_own_efforts_and_those_of_projects_they_see(space: Space) -> None:
    anna = space.add_user("anna@example.com")
    bert = space.add_user("bert@example.com")
    anna_api = space.token(ALL_SCOPES, user_id=anna)
    acme = client(space.api)["id"]
    public = project(space.api, acme, title="Public")
    private = project(space.api, acme, title="Private", is_private=True)
    theirs_public = effort(space.api, user_id=bert, project_id=public["id"])
    theirs_private = effort(space.api, user_id=bert, project_id=private["id"])
    theirs_admin = effort(space.api, user_id=bert)
    mine_admin = effort(anna_api)
    assert mine_admin["user"]["id"] == anna and mine_admin["type"] == "admin"
    mine_public = effort(anna_api, project_id=public["id"])

    seen = set(ids(anna_api.walk("/efforts")))
    assert seen == {theirs_public["id"], mine_admin["id"], mine_public["id"]}
    assert anna_api.get(f"/efforts/{theirs_private['id']}").status_code == 404
    assert anna_api.get(f"/efforts/{theirs_admin['id']}").status_code == 404
    # On the team, the private project's efforts appear.
    assert space.api.put(f"/projects/{private['id']}/team/{anna}").status_code == 200
    assert anna_api.get(f"/efforts/{theirs_private['id']}").status_code == 200


def test_a_user_writes_only_their_own_efforts(space: Space) -> None:
    anna = space.add_user("anna@example.com")
    bert = space.add_user("bert@example.com")
    anna_api = space.token(ALL_SCOPES, user_id=anna)
    acme = client(space.api)["id"]
    public = project(space.api, acme, title="Public")
    private = project(space.api, acme, title="Private", is_private=True)
    theirs = effort(space.api, user_id=bert, project_id=public["id"])
    own_rule = {"message": "You may only write your own efforts."}

    for_bert = anna_api.post("/efforts", json={"date": "2026-11-02", "hours": 1, "user_id": bert})
    assert for_bert.status_code == 403 and for_bert.json() == own_rule
    patched = anna_api.patch(f"/efforts/{theirs['id']}", json={"hours": 5})
    assert patched.status_code == 403 and patched.json() == own_rule
    assert anna_api.delete(f"/efforts/{theirs['id']}").status_code == 403
    hidden = anna_api.post(
        "/efforts", json={"date": "2026-11-02", "hours": 1, "project_id": private["id"]}
    )
    assert hidden.status_code == 422 and "project_id" in hidden.json()["errors"]

    mine = effort(anna_api, user_id=anna, project_id=public["id"])
    given_away = anna_api.patch(f"/efforts/{mine['id']}", json={"user_id": bert})
    assert given_away.status_code == 403
    assert anna_api.patch(f"/efforts/{mine['id']}", json={"hours": 4}).json()["hours"] == 4
    assert anna_api.delete(f"/efforts/{mine['id']}").status_code == 204
    # Owners write anyone's.
    owner_api = space.token(ALL_SCOPES, user_id=space.owner_id)
    assert owner_api.patch(f"/efforts/{theirs['id']}", json={"hours": 6}).status_code == 200
    assert effort(owner_api, user_id=bert)["user"]["id"] == bert


def test_guests_and_tax_advisors_see_and_write_only_their_own(space: Space) -> None:
    acme = client(space.api)["id"]
    invited = project(space.api, acme, title="Invited")
    elsewhere = project(space.api, acme, title="Elsewhere")
    for user_type in (UserType.guest, UserType.tax_advisor):
        guest = space.add_user(f"{user_type.value}@example.com", user_type)
        guest_api = space.token(ALL_SCOPES, user_id=guest)
        assert space.api.put(f"/projects/{invited['id']}/guests/{guest}").status_code == 200
        others = effort(space.api, user_id=space.owner_id, project_id=invited["id"])

        mine = made(
            guest_api.post(
                "/efforts", json={"date": "2026-11-02", "hours": 2, "project_id": invited["id"]}
            )
        )
        assert mine["user"]["id"] == guest
        assert ids(guest_api.walk("/efforts")) == [mine["id"]]
        assert guest_api.get(f"/efforts/{others['id']}").status_code == 404
        summary = guest_api.get("/efforts/summary", params={"group_by": "project"}).json()
        assert [(g["project"]["id"], g["count"]) for g in summary["data"]] == [(invited["id"], 1)]

        not_invited = guest_api.post(
            "/efforts", json={"date": "2026-11-02", "hours": 1, "project_id": elsewhere["id"]}
        )
        assert not_invited.status_code == 422 and "project_id" in not_invited.json()["errors"]
        admin = guest_api.post("/efforts", json={"date": "2026-11-02", "hours": 1})
        assert admin.status_code == 403
        assert "only on projects they are a guest of" in admin.json()["message"]
        assert guest_api.patch(f"/efforts/{mine['id']}", json={"hours": 3}).status_code == 200
        assert guest_api.delete(f"/efforts/{mine['id']}").status_code == 204


def test_own_efforts_do_not_reveal_what_their_author_no_longer_sees(space: Space) -> None:
    """Anna keeps her effort on a private project after leaving its team, but the project,
    its client's task and phase do not show through it — in the effort or in the summary."""
    anna = space.add_user("anna@example.com")
    anna_api = space.token(ALL_SCOPES, user_id=anna)
    private = project(space.api, client(space.api)["id"], title="Secret", is_private=True)
    assert space.api.put(f"/projects/{private['id']}/team/{anna}").status_code == 200
    task = add_task(space, private["id"], title="secret task")
    phase = add_phase(space, private["id"], "Secret phase")
    epic = add_epic(space, private["id"], "Secret epic")
    mine = effort(
        anna_api, project_id=private["id"], task_id=task["id"], phase_id=phase, epic_id=epic
    )
    assert mine["project"]["id"] == private["id"] and mine["task"]["title"] == "secret task"

    assert space.api.delete(f"/projects/{private['id']}/team/{anna}").status_code == 204
    assert anna_api.get(f"/projects/{private['id']}").status_code == 404
    shown = anna_api.get(f"/efforts/{mine['id']}").json()
    assert (shown["project"], shown["task"], shown["phase"], shown["epic"]) == (None,) * 4
    assert shown["hours"] == mine["hours"]  # still hers
    summary = anna_api.get("/efforts/summary", params={"group_by": "project,task"}).json()
    assert [(g["project"], g["task"]) for g in summary["data"]] == [(None, None)]
    # Those who see the project still see it all.
    full = space.api.get(f"/efforts/{mine['id']}").json()
    assert full["project"]["id"] == private["id"] and full["task"]["id"] == task["id"]


def test_a_moved_task_leaves_the_efforts_of_its_old_project(space: Space) -> None:
    acme = client(space.api)["id"]
    old, new = project(space.api, acme, title="Old"), project(space.api, acme, title="New")
    moving = made(space.api.post("/tasks", json={"title": "Moving", "project_id": old["id"]}))
    logged = effort(space.api, user_id=space.owner_id, project_id=old["id"], task_id=moving["id"])
    moved = space.api.patch(f"/tasks/{moving['id']}", json={"project_id": new["id"]})
    assert moved.status_code == 200, moved.text
    shown = space.api.get(f"/efforts/{logged['id']}").json()
    # The effort stays on the project it was logged on, without a task of another project.
    assert shown["project"]["id"] == old["id"] and shown["task"] is None
