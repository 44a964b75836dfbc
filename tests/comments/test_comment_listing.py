"""GET /tasks/{id}/comments: top-level comments with their reply trees, filters, sorts, pages,
statement counts; and who sees which comment (auth.md §4)."""

from __future__ import annotations

import json

from kanbert.users.models import UserType

from commentkit import READ, WRITE, Board, ids_in, made
from support import Space, World


def listed(board: Board, task: str = "task", **params: str) -> list[dict[str, object]]:
    return board.space.api.walk(f"/tasks/{board.ids[task]}/comments", params=params)


def test_lists_top_level_comments_with_their_trees(board: Board) -> None:
    first = board.comment(comment="<p>1</p>")
    second = board.comment(comment="<p>2</p>")
    reply = board.comment(parent_comment_id=first["id"])
    deeper = board.comment(parent_comment_id=reply["id"])
    later = board.comment(parent_comment_id=first["id"])
    board.comment(task="hidden_task")

    rows = listed(board)
    assert [row["id"] for row in rows] == [first["id"], second["id"]]
    assert ids_in(rows) == [first["id"], reply["id"], deeper["id"], later["id"], second["id"]]
    newest_first = listed(board, sort="-created_at")
    assert [row["id"] for row in newest_first] == [second["id"], first["id"]]


def test_pages_follow_cursors(board: Board) -> None:
    made_ids = [board.comment()["id"] for _ in range(5)]
    page = board.space.api.get(f"/tasks/{board.ids['task']}/comments", params={"page[size]": 2})
    assert page.status_code == 200
    assert [row["id"] for row in page.json()["data"]] == made_ids[:2]
    assert page.json()["meta"]["next_cursor"]
    assert [row["id"] for row in listed(board, **{"page[size]": "2"})] == made_ids


def test_filters(board: Board) -> None:
    member = board.as_user("member")
    mine = board.comment(member)
    private = board.comment(is_public=False)
    api = board.space.api
    path = f"/tasks/{board.ids['task']}/comments"

    by_author = api.get(path, params={"filter": f"author.id = '{board.ids['member']}'"})
    assert [row["id"] for row in by_author.json()["data"]] == [mine["id"]]
    not_public = api.get(
        path, params={"filter": json.dumps({"field": "is_public", "op": "eq", "value": False})}
    )
    assert not_public.status_code == 200, not_public.text
    assert [row["id"] for row in not_public.json()["data"]] == [private["id"]]
    recent = api.get(path, params={"filter": f"created_at >= '{private['created_at']}'"})
    assert [row["id"] for row in recent.json()["data"]] == [private["id"]]

    for params in (
        {"filter": "title = 'x'"},
        {"filter": "is_public = 'maybe'"},
        {"sort": "title"},
        {"include": "task"},
        {"page[cursor]": "forged"},
    ):
        response = api.get(path, params=params)
        assert response.status_code == 400, (params, response.text)


def test_list_scopes_and_parents(board: Board, other_space: Space) -> None:
    board.comment()
    path = f"/tasks/{board.ids['task']}/comments"
    assert board.space.token([READ]).get(path).status_code == 200
    denied = board.space.token([WRITE]).get(path)
    assert denied.status_code == 403 and READ in denied.json()["message"]
    assert board.space.api.get("/tasks/nope/comments").status_code == 404
    assert other_space.api.get(path).status_code == 404


def test_cursor_is_bound_to_its_task(board: Board) -> None:
    for _ in range(2):
        board.comment()
        board.comment(task="hidden_task")
    api = board.space.api
    first = api.get(f"/tasks/{board.ids['task']}/comments", params={"page[size]": 1}).json()
    elsewhere = api.get(
        f"/tasks/{board.ids['hidden_task']}/comments",
        params={"page[size]": 1, "page[cursor]": first["meta"]["next_cursor"]},
    )
    assert elsewhere.status_code == 400


def test_statements_do_not_grow_with_comments(world: World, board: Board) -> None:
    path = f"/tasks/{board.ids['task']}/comments"

    def statements() -> int:
        with world.count_statements() as seen:
            response = board.space.api.get(path)
        assert response.status_code == 200
        return len(seen)

    root = board.comment()
    board.comment(parent_comment_id=root["id"])
    few = statements()
    member = board.as_user("member")
    for _ in range(4):
        top = board.comment(member)
        reply = board.comment(parent_comment_id=top["id"])
        board.comment(member, parent_comment_id=reply["id"])
        board.comment(parent_comment_id=reply["id"])
    rows = listed(board)
    assert len(rows) == 5 and len(ids_in(rows)) == 18
    assert statements() == few


# -- visibility -----------------------------------------------------------------------------


def test_guests_see_only_public_comments(board: Board) -> None:
    public = board.comment(comment="<p>public</p>")
    hidden = board.comment(is_public=False)
    public_reply = board.comment(parent_comment_id=public["id"])
    hidden_reply = board.comment(parent_comment_id=public["id"], is_public=False)
    under_hidden = board.comment(parent_comment_id=hidden_reply["id"])
    board.comment(task="hidden_task")
    guest = board.as_user("guest")

    rows = guest.walk(f"/tasks/{board.ids['task']}/comments")
    assert ids_in(rows) == [public["id"], public_reply["id"]]
    shown = made(guest.get(f"/tasks/comments/{public['id']}"), 200)
    assert ids_in(shown["sub_comments"]) == [public_reply["id"]]
    # A reply under a non-public comment is non-public too: it names a hidden parent.
    assert under_hidden["is_public"] is False
    for invisible in (hidden, hidden_reply, under_hidden):
        assert guest.get(f"/tasks/comments/{invisible['id']}").status_code == 404
    assert guest.get(f"/tasks/{board.ids['hidden_task']}/comments").status_code == 404

    # The team sees everything.
    assert len(ids_in(listed(board))) == 5


def test_guests_comment_publicly_on_tasks_they_see(board: Board) -> None:
    guest = board.as_user("guest")
    own = board.comment(guest, comment="<p>from the guest</p>")
    assert own["author"]["id"] == board.ids["guest"] and own["is_public"] is True
    hidden = board.comment(is_public=False)
    api_path = "/tasks/comments"
    refused = [
        ({"task_id": board.ids["task"], "is_public": False}, "is_public"),
        ({"task_id": board.ids["hidden_task"]}, "task_id"),
        ({"task_id": board.ids["task"], "parent_comment_id": hidden["id"]}, "parent_comment_id"),
    ]
    for body, field in refused:
        response = guest.post(api_path, json=body)
        assert response.status_code == 422, (body, response.text)
        assert field in response.json()["errors"]
    changed = guest.patch(f"/tasks/comments/{own['id']}", json={"is_public": False})
    assert changed.status_code == 422
    assert guest.delete(f"/tasks/comments/{own['id']}").status_code == 204


def test_private_projects_hide_their_comments(board: Board, space: Space) -> None:
    api = space.api
    client = made(api.post("/clients", json={"name": "Quiet"}))["id"]
    project = made(
        api.post(
            "/projects",
            json={
                "title": "Secret",
                "client_id": client,
                "is_private": True,
                "team": [board.ids["member"]],
            },
        )
    )["id"]
    task = made(api.post("/tasks", json={"title": "t", "project_id": project}))["id"]
    comment = made(api.post("/tasks/comments", json={"task_id": task}))
    outsider = board.as_user("colleague")
    assert outsider.get(f"/tasks/comments/{comment['id']}").status_code == 404
    assert outsider.get(f"/tasks/{task}/comments").status_code == 404
    refused = outsider.post("/tasks/comments", json={"task_id": task})
    assert refused.status_code == 422
    member = board.as_user("member")
    assert ids_in(member.walk(f"/tasks/{task}/comments")) == [comment["id"]]


def test_tax_advisors_are_limited_like_guests(board: Board, space: Space) -> None:
    advisor_id = space.add_user("advisor@example.com", UserType.tax_advisor)
    board.ids["advisor"] = advisor_id
    made(
        space.api.patch(
            f"/projects/{board.ids['project']}",
            json={"guests": [board.ids["guest"], advisor_id]},
        ),
        200,
    )
    hidden = board.comment(is_public=False)
    public = board.comment()
    advisor = board.as_user("advisor")
    assert ids_in(advisor.walk(f"/tasks/{board.ids['task']}/comments")) == [public["id"]]
    assert advisor.get(f"/tasks/comments/{hidden['id']}").status_code == 404
