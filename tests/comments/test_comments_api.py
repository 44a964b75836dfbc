"""Comments: create (threads, sanitising, mentions → watchers), show, update, delete, scopes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.comments.service import MAX_REPLY_DEPTH
from kanbert.tasks.models import task_watchers

from commentkit import READ, WRITE, Board, made
from support import Space

# -- create ---------------------------------------------------------------------------------


def test_create_renders_comment_data(board: Board) -> None:
    body = board.comment(comment="<p>Looks <b>good</b></p>", external_id="c-1")
    assert set(body) == {
        "id", "external_id", "external_origin", "parent_comment_id", "sub_comments", "author",
        "comment", "attachements", "is_public", "created_at", "updated_at",
    }  # fmt: skip
    assert body["comment"] == "<p>Looks <b>good</b></p>"
    assert body["is_public"] is True
    assert body["parent_comment_id"] is None
    assert body["sub_comments"] == [] and body["attachements"] == []
    assert body["external_id"] == "c-1" and body["external_origin"]
    assert body["author"]["id"] == board.space.integration_id
    assert body["author"]["space"]["id"] == board.space.id
    assert body["created_at"] and body["updated_at"]


def test_create_needs_write_scope(board: Board) -> None:
    reader = board.space.token([READ])
    response = reader.post("/tasks/comments", json={"task_id": board.ids["task"]})
    assert response.status_code == 403
    assert WRITE in response.json()["message"]


def test_create_refuses_bad_bodies(board: Board, other_space: Space) -> None:
    api = board.space.api
    foreign_project = other_space.api.post(
        "/projects",
        json={
            "title": "Theirs",
            "client_id": made(other_space.api.post("/clients", json={"name": "B"}))["id"],
        },
    )
    foreign_task = made(
        other_space.api.post(
            "/tasks", json={"title": "x", "project_id": made(foreign_project)["id"]}
        )
    )["id"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "task_id"),
        ({"task_id": "nope"}, "task_id"),
        ({"task_id": foreign_task}, "task_id"),
        ({"task_id": board.ids["task"], "comment": "x" * 65_536}, "comment"),
        ({"task_id": board.ids["task"], "is_public": None}, "is_public"),
        ({"task_id": board.ids["task"], "external_id": "x" * 256}, "external_id"),
        ({"task_id": board.ids["task"], "parent_comment_id": "nope"}, "parent_comment_id"),
    ]
    for body, field in cases:
        response = api.post("/tasks/comments", json=body)
        assert response.status_code == 422, (body, response.text)
        assert field in response.json()["errors"], (body, response.json())


def test_external_id_is_unique_per_origin(board: Board) -> None:
    board.comment(external_id="dup")
    response = board.space.api.post(
        "/tasks/comments", json={"task_id": board.ids["task"], "external_id": "dup"}
    )
    assert response.status_code == 422
    assert "external_id" in response.json()["errors"]


def test_longest_comment_is_accepted(board: Board) -> None:
    assert len(board.comment(comment="x" * 65_535)["comment"]) == 65_535


def test_reply_must_be_on_the_same_task(board: Board) -> None:
    on_other_task = board.comment(task="hidden_task")
    response = board.space.api.post(
        "/tasks/comments",
        json={"task_id": board.ids["task"], "parent_comment_id": on_other_task["id"]},
    )
    assert response.status_code == 422
    assert "parent_comment_id" in response.json()["errors"]


def test_replies_to_replies_form_a_thread(board: Board) -> None:
    root = board.comment(comment="<p>root</p>")
    first = board.comment(parent_comment_id=root["id"], comment="<p>first</p>")
    second = board.comment(parent_comment_id=root["id"], comment="<p>second</p>")
    deep = board.comment(parent_comment_id=first["id"], comment="<p>deep</p>")
    assert first["parent_comment_id"] == root["id"]

    shown = made(board.space.api.get(f"/tasks/comments/{root['id']}"), 200)
    assert [reply["id"] for reply in shown["sub_comments"]] == [first["id"], second["id"]]
    assert [reply["id"] for reply in shown["sub_comments"][0]["sub_comments"]] == [deep["id"]]
    assert shown["sub_comments"][0]["sub_comments"][0]["comment"] == "<p>deep</p>"
    assert shown["sub_comments"][1]["sub_comments"] == []

    reply = made(board.space.api.get(f"/tasks/comments/{first['id']}"), 200)
    assert [r["id"] for r in reply["sub_comments"]] == [deep["id"]]


def test_threads_have_a_depth_limit(board: Board) -> None:
    parent = board.comment()
    for _ in range(MAX_REPLY_DEPTH - 1):
        parent = board.comment(parent_comment_id=parent["id"])
    response = board.space.api.post(
        "/tasks/comments",
        json={"task_id": board.ids["task"], "parent_comment_id": parent["id"]},
    )
    assert response.status_code == 422
    assert "parent_comment_id" in response.json()["errors"]


# -- sanitising and mentions ----------------------------------------------------------------


def test_comment_html_is_sanitised(board: Board) -> None:
    dirty = (
        '<p onclick="steal()">Hi</p><script>alert(1)</script>'
        '<img src="x" onerror="alert(1)"><a href="javascript:alert(1)">link</a>'
        '<a href="https://example.com">ok</a>'
    )
    clean = board.comment(comment=dirty)["comment"]
    for bad in ("<script", "alert(1)", "onerror", "onclick", "javascript:", "<img"):
        assert bad not in clean
    assert "<p>Hi</p>" in clean and 'href="https://example.com"' in clean


def test_mentions_survive_and_make_watchers(world: Any, board: Board) -> None:
    member, colleague = board.ids["member"], board.ids["colleague"]
    text = (
        f'<p>Ask <mention data-id="{member}" /> and <mention data-id="{colleague}"></mention>'
        f' and <mention data-id="{member}"/> and <mention data-id="nobody" /> please</p>'
    )
    body = board.comment(comment=text)
    assert f'<mention data-id="{member}"></mention> and' in body["comment"]
    assert f'<mention data-id="{colleague}"></mention>' in body["comment"]
    assert body["comment"].endswith(" please</p>")
    assert watchers(world, board) == {member, colleague}

    # Mentioning them again (or editing) adds no duplicates; a new mention is added.
    board.comment(comment=f'<mention data-id="{member}" />')
    guest = board.ids["guest"]
    edited = board.space.api.patch(
        f"/tasks/comments/{body['id']}", json={"comment": f'<mention data-id="{guest}" />'}
    )
    assert edited.status_code == 200, edited.text
    assert watchers(world, board) == {member, colleague, guest}


def test_mentioned_users_show_as_task_watchers(board: Board) -> None:
    member = board.ids["member"]
    board.comment(comment=f'<mention data-id="{member}" />')
    task = board.space.api.get(f"/tasks/{board.ids['task']}", params={"include": "watchers"})
    assert task.status_code == 200, task.text
    assert [user["id"] for user in task.json()["watchers"]] == [member]


def watchers(world: Any, board: Board) -> set[str]:
    async def read(session: AsyncSession) -> set[str]:
        rows = await session.scalars(
            select(task_watchers.c.user_id).where(task_watchers.c.task_id == board.ids["task"])
        )
        return set(rows.all())

    result: set[str] = world.run(read)
    return result


# -- show -----------------------------------------------------------------------------------


def test_show_scopes_and_missing(board: Board, other_space: Space) -> None:
    comment = board.comment()
    assert board.space.token([READ]).get(f"/tasks/comments/{comment['id']}").status_code == 200
    denied = board.space.token([WRITE]).get(f"/tasks/comments/{comment['id']}")
    assert denied.status_code == 403 and READ in denied.json()["message"]
    assert board.space.api.get("/tasks/comments/nope").status_code == 404
    assert other_space.api.get(f"/tasks/comments/{comment['id']}").status_code == 404


def test_show_by_external_id(board: Board) -> None:
    comment = board.comment(external_id="ext-7")
    found = board.space.api.get("/tasks/comments/ext-7", params={"find_by": "external_id"})
    assert found.status_code == 200 and found.json()["id"] == comment["id"]
    assert found.headers["etag"]


# -- update ---------------------------------------------------------------------------------


def test_author_and_integration_may_update(board: Board) -> None:
    member = board.as_user("member")
    own = board.comment(member)
    changed = member.patch(
        f"/tasks/comments/{own['id']}",
        json={"comment": "<p>new<script>x</script></p>", "is_public": False},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["comment"] == "<p>new</p>" and changed.json()["is_public"] is False
    assert changed.json()["author"]["id"] == board.ids["member"]

    by_integration = board.space.api.patch(f"/tasks/comments/{own['id']}", json={"is_public": True})
    assert by_integration.status_code == 200
    assert by_integration.json()["comment"] == "<p>new</p>"
    assert by_integration.json()["is_public"] is True


def test_others_may_not_update(board: Board) -> None:
    comment = board.comment(board.as_user("member"))
    owner = board.space.token(user_id=board.space.owner_id)
    for api in (board.as_user("colleague"), owner):
        response = api.patch(f"/tasks/comments/{comment['id']}", json={"comment": "<p>x</p>"})
        assert response.status_code == 403
    assert (
        board.space.token([READ])
        .patch(f"/tasks/comments/{comment['id']}", json={"comment": "x"})
        .status_code
        == 403
    )
    invalid = board.space.api.patch(f"/tasks/comments/{comment['id']}", json={"is_public": None})
    assert invalid.status_code == 422 and "is_public" in invalid.json()["errors"]


def test_update_respects_if_match(board: Board) -> None:
    comment = board.comment()
    stale = board.space.api.patch(
        f"/tasks/comments/{comment['id']}",
        json={"comment": "<p>x</p>"},
        headers={"If-Match": '"stale"'},
    )
    assert stale.status_code == 412


# -- delete ---------------------------------------------------------------------------------


def upload(board: Board, comment_id: str) -> str:
    response = board.space.api.post(
        "/files",
        data={"entity_type": "comment", "entity_id": comment_id},
        files={"file": ("notes.txt", b"notes", "text/plain")},
    )
    return str(made(response)["id"])


def test_delete_removes_replies_and_their_files(board: Board) -> None:
    api = board.space.api
    root = board.comment()
    reply = board.comment(parent_comment_id=root["id"])
    deep = board.comment(parent_comment_id=reply["id"])
    other = board.comment()
    files = [upload(board, c["id"]) for c in (root, reply, deep, other)]
    shown = made(api.get(f"/tasks/comments/{root['id']}"), 200)
    assert [f["id"] for f in shown["attachements"]] == [files[0]]
    assert shown["sub_comments"][0]["attachements"][0]["id"] == files[1]

    response = api.delete(f"/tasks/comments/{reply['id']}")
    assert response.status_code == 204 and response.content == b""
    for gone in (reply, deep):
        assert api.get(f"/tasks/comments/{gone['id']}").status_code == 404
    for gone_file in files[1:3]:
        assert api.get(f"/files/{gone_file}").status_code == 404
    assert made(api.get(f"/tasks/comments/{root['id']}"), 200)["sub_comments"] == []
    assert api.get(f"/files/{files[0]}").status_code == 200
    assert api.get(f"/files/{files[3]}/download").content == b"notes"

    assert api.delete(f"/tasks/comments/{root['id']}").status_code == 204
    assert api.get(f"/files/{files[0]}").status_code == 404
    assert api.get(f"/tasks/comments/{other['id']}").status_code == 200


def test_delete_permissions(board: Board, other_space: Space) -> None:
    member = board.as_user("member")
    mine, theirs, third = board.comment(member), board.comment(member), board.comment(member)
    assert board.as_user("colleague").delete(f"/tasks/comments/{mine['id']}").status_code == 403
    assert board.space.token([READ]).delete(f"/tasks/comments/{mine['id']}").status_code == 403
    assert other_space.api.delete(f"/tasks/comments/{mine['id']}").status_code == 404
    assert member.delete(f"/tasks/comments/{mine['id']}").status_code == 204
    owner = board.space.token(user_id=board.space.owner_id)
    assert owner.delete(f"/tasks/comments/{theirs['id']}").status_code == 204
    assert board.space.api.delete(f"/tasks/comments/{third['id']}").status_code == 204
    assert board.space.api.get(f"/tasks/{board.ids['task']}/comments").json()["data"] == []


def test_update_answers_with_the_whole_thread(board: Board) -> None:
    api = board.space.api
    root = board.comment()
    reply = board.comment(parent_comment_id=root["id"])
    deep = board.comment(parent_comment_id=reply["id"])

    changed_root = made(api.patch(f"/tasks/comments/{root['id']}", json={"comment": "a"}), 200)
    assert changed_root["comment"] == "a"
    assert [r["id"] for r in changed_root["sub_comments"]] == [reply["id"]]
    changed_reply = made(api.patch(f"/tasks/comments/{reply['id']}", json={"comment": "b"}), 200)
    assert changed_reply["comment"] == "b" and changed_reply["parent_comment_id"] == root["id"]
    assert [r["id"] for r in changed_reply["sub_comments"]] == [deep["id"]]
    shown = made(api.get(f"/tasks/comments/{root['id']}"), 200)
    assert shown["sub_comments"][0]["comment"] == "b"
    assert shown["sub_comments"][0]["updated_at"] >= shown["sub_comments"][0]["created_at"]


def test_replies_are_never_more_public_than_what_they_answer(board: Board) -> None:
    api = board.space.api
    hidden = board.comment(comment="<p>team only</p>", is_public=False)
    # Not asked for: inherited. Asked for public under a non-public comment: refused.
    reply = board.comment(parent_comment_id=hidden["id"], comment="<p>re</p>")
    assert reply["is_public"] is False
    loud = api.post(
        "/tasks/comments",
        json={"task_id": board.ids["task"], "parent_comment_id": hidden["id"], "is_public": True},
    )
    assert loud.status_code == 422 and "is_public" in loud.json()["errors"]
    # Hiding a comment hides its whole thread.
    top = board.comment(comment="<p>open</p>")
    child = board.comment(parent_comment_id=top["id"], comment="<p>child</p>")
    grandchild = board.comment(parent_comment_id=child["id"], comment="<p>grandchild</p>")
    assert made(api.patch(f"/tasks/comments/{top['id']}", json={"is_public": False}), 200)
    for row in (child, grandchild):
        assert made(api.get(f"/tasks/comments/{row['id']}"), 200)["is_public"] is False
