"""Comment writes: threads, sanitised HTML, mentions that make watchers, deletion for good."""

from __future__ import annotations

import re

from sqlalchemy import delete, not_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.comments.models import Comment
from kanbert.comments.resource import comments
from kanbert.comments.schemas import CommentCreate, CommentFields
from kanbert.companies import common
from kanbert.files.cleanup import drop_files_of
from kanbert.kit.context import Caller
from kanbert.kit.errors import forbidden, invalid_field
from kanbert.kit.html import sanitize_html
from kanbert.kit.timefmt import utcnow
from kanbert.projects.service import lock_project
from kanbert.tasks.models import Task
from kanbert.tasks.resource import tasks
from kanbert.tasks.visibility import is_limited
from kanbert.tasks.watchers import add_watchers
from kanbert.users.models import User
from kanbert.users.resource import is_archived
from kanbert.webhooks.capture import deleting

# Replies nest at most this deep: responses are nested JSON, and a serialiser (like any
# reader) has a depth limit; a thread deeper than this is not a conversation anyone reads.
MAX_REPLY_DEPTH = 50

# `<mention data-id="…" />` as editors write it: an HTML parser does not close a custom
# element on `/>`, so it would swallow the rest of the comment. Closed explicitly first.
_SELF_CLOSING_MENTION = re.compile(r"<mention\b([^<>]*?)\s*/>", re.IGNORECASE)
# Mentions as the sanitiser writes them (attributes always double-quoted).
_MENTIONED_ID = re.compile(r'<mention\b[^>]*\bdata-id="([^"]*)"')


# -- writes ---------------------------------------------------------------------------------


async def create_comment(session: AsyncSession, caller: Caller, body: CommentCreate) -> Comment:
    task = await _visible_task(session, caller, body.task_id)
    is_public = _is_public(caller, body, default=True)
    if body.parent_comment_id is not None:
        await lock_project(session, task.project_id)
        parent = await _check_parent(session, caller, task, body.parent_comment_id)
        is_public = _within_parent(parent, body, is_public)
    comment = Comment(
        space_id=caller.space_id,
        task_id=task.id,
        parent_comment_id=body.parent_comment_id,
        author_id=caller.user_id,
        comment=_cleaned(body.comment),
        is_public=is_public,
    )
    await common.assign_external(session, caller, comment, body)
    session.add(comment)
    await common.flush(session)
    await _watch_mentioned(session, caller, task, comment.comment)
    return await _reloaded(session, caller, comment)


async def update_comment(
    session: AsyncSession, caller: Caller, comment: Comment, body: CommentFields
) -> Comment:
    """Only its author or an integration may change a comment (resources.md §6)."""
    if comment.author_id != caller.user_id and caller.user_type != "integration":
        raise forbidden("Only the author of a comment or an integration may change it.")
    given = body.model_fields_set
    if "is_public" in given:
        task = await session.get_one(Task, comment.task_id)
        await lock_project(session, task.project_id)
        comment.is_public = _is_public(caller, body, default=comment.is_public)
        if comment.parent_comment_id is not None:
            parent = await session.get_one(Comment, comment.parent_comment_id)
            comment.is_public = _within_parent(parent, body, comment.is_public)
        if not comment.is_public:
            await _hide_replies(session, comment)
    if "comment" in given:
        comment.comment = _cleaned(body.comment)
        task = await session.get_one(Task, comment.task_id)
        await _watch_mentioned(session, caller, task, comment.comment)
    common.touch(comment)
    await common.flush(session)
    return await _reloaded(session, caller, comment)


async def delete_comment(session: AsyncSession, caller: Caller, comment: Comment) -> list[str]:
    """Delete the comment and all replies under it for good, with their file rows; returns
    the ids of the files whose bytes are to go after the commit. Its author, owners and
    integrations may."""
    if comment.author_id != caller.user_id and not caller.sees_everything:
        raise forbidden("Only the author of a comment, an owner or an integration may delete it.")
    # Collected before the delete: afterwards nothing says which replies were under it.
    thread = [comment.id, *await _descendant_ids(session, comment)]
    await deleting(session, "comment", thread)
    files = await drop_files_of(session, caller.space_id, "comment", thread)
    # Replies would go by ON DELETE CASCADE; naming them all does not depend on the engine
    # enforcing foreign keys.
    await session.execute(
        delete(Comment).where(Comment.id.in_(thread)).execution_options(synchronize_session=False)
    )
    session.expunge(comment)
    await common.flush(session)
    return files


# -- rules ----------------------------------------------------------------------------------


async def _visible_task(session: AsyncSession, caller: Caller, task_id: str) -> Task:
    """The task named in the body, if the caller sees it (auth.md §4: guests too), else 422."""
    task = await session.scalar(tasks.scoped(caller).where(Task.id == task_id))
    if task is None:
        raise invalid_field("task_id", "The selected task does not exist.")
    return task


def _within_parent(parent: Comment, body: CommentFields, is_public: bool) -> bool:
    """A reply is never more public than what it answers (D): a guest must not be able to
    read a public reply that names a hidden comment as its parent."""
    if parent.is_public or not is_public:
        return is_public
    if "is_public" in body.model_fields_set:
        raise invalid_field("is_public", "A reply to a non-public comment cannot be public.")
    return False


async def _hide_replies(session: AsyncSession, comment: Comment) -> None:
    replies = await _descendant_ids(session, comment)
    if replies:
        await session.execute(
            update(Comment)
            .where(Comment.id.in_(replies), Comment.is_public.is_(True))
            .values(is_public=False, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )


async def _check_parent(
    session: AsyncSession, caller: Caller, task: Task, parent_id: str
) -> Comment:
    """A reply answers a comment of the same task that the caller sees, and stays within
    `MAX_REPLY_DEPTH` levels."""
    links = await _thread_links(session, task.id)
    parent = await session.scalar(comments.scoped(caller).where(Comment.id == parent_id))
    if parent is None or parent.task_id != task.id:
        raise invalid_field("parent_comment_id", "The selected parent comment is not on the task.")
    depth, current = 1, links.get(parent_id)
    while current is not None:
        depth, current = depth + 1, links.get(current)
    if depth >= MAX_REPLY_DEPTH:
        raise invalid_field(
            "parent_comment_id", f"Replies may nest at most {MAX_REPLY_DEPTH} levels deep."
        )
    found: Comment = parent
    return found


def _is_public(caller: Caller, body: CommentFields, default: bool) -> bool:
    """Guests and tax advisors see only public comments, so they may not write others: their
    own comment would vanish from their view (auth.md §4)."""
    if "is_public" not in body.model_fields_set:
        return default
    if body.is_public is None:
        raise invalid_field("is_public", "The is public field may not be null.")
    if not body.is_public and is_limited(caller):
        raise invalid_field("is_public", "Guests and tax advisors may write public comments only.")
    return body.is_public


def _cleaned(html: str | None) -> str | None:
    if html is None:
        return None
    return sanitize_html(_SELF_CLOSING_MENTION.sub(r"<mention\1></mention>", html))


async def _watch_mentioned(
    session: AsyncSession, caller: Caller, task: Task, html: str | None
) -> None:
    """Every active user of the space mentioned in the comment becomes a watcher of its task;
    ids naming no such user are ignored, like a mention of someone since removed."""
    mentioned = set(_MENTIONED_ID.findall(html or ""))
    if not mentioned:
        return
    users = set(
        (
            await session.scalars(
                select(User.id).where(
                    User.id.in_(mentioned),
                    User.space_id == caller.space_id,
                    not_(is_archived(caller)),
                )
            )
        ).all()
    )
    await add_watchers(session, task.id, sorted(users))  # those watching already stay


# -- threads --------------------------------------------------------------------------------


async def _thread_links(session: AsyncSession, task_id: str) -> dict[str, str | None]:
    """Every comment of the task with its parent, read in one statement."""
    rows = await session.execute(
        select(Comment.id, Comment.parent_comment_id).where(Comment.task_id == task_id)
    )
    return {comment_id: parent_id for comment_id, parent_id in rows.tuples()}


async def _descendant_ids(session: AsyncSession, comment: Comment) -> list[str]:
    children: dict[str | None, list[str]] = {}
    for comment_id, parent_id in (await _thread_links(session, comment.task_id)).items():
        children.setdefault(parent_id, []).append(comment_id)
    found: list[str] = []
    pending = list(children.get(comment.id, ()))
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(children.get(current, ()))
    return found


async def _reloaded(session: AsyncSession, caller: Caller, comment: Comment) -> Comment:
    """The comment as its response renders it, read afresh after a write.

    Not `common.reloaded`: its `populate_existing` would load a reply a second time as one of
    its task's replies and drop the `thread` just loaded for it. Expiring the comment refreshes
    it just the same.
    """
    comment_id = comment.id
    session.expire(comment)
    query = (
        comments.scoped(caller)
        .where(Comment.id == comment_id)
        .options(*comments.load_options({}, caller))
    )
    reloaded: Comment = (await session.scalars(query)).unique().one()
    return reloaded
