"""Comments declared once: rendering with their reply trees, visibility and the task's list."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, select, true
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.strategy_options import _AbstractLoad

from kanbert.comments.models import Comment, Thread
from kanbert.files.render import file_data
from kanbert.kit.context import Caller
from kanbert.kit.query.fields import Field, FilterSpec, Kind
from kanbert.kit.resource import IncludeTree, Listing, Resource, by_column, by_external_id
from kanbert.kit.timefmt import format_datetime
from kanbert.tasks.models import Task
from kanbert.tasks.visibility import is_limited, task_visible
from kanbert.users.resource import user_data, with_space

# -- visibility -----------------------------------------------------------------------------


def comment_visible(caller: Caller) -> ColumnElement[bool] | None:
    """auth.md §4: a comment is visible when its task is; guests and tax advisors see only
    public comments. None means "no rule beyond the space" (owners and integrations)."""
    tasks = task_visible(caller)
    rule: ColumnElement[bool] | None = None
    if tasks is not None:
        rule = Comment.task_id.in_(select(Task.id).where(Task.space_id == caller.space_id, tasks))
    if is_limited(caller):
        rule = and_(rule if rule is not None else true(), Comment.is_public.is_(True))
    return rule


def _shown_to(caller: Caller, comment: Comment) -> bool:
    """The same rule in Python, for replies assembled from `thread.replies` (their task is
    the one of the comment already shown)."""
    return comment.is_public or not is_limited(caller)


# -- rendering ------------------------------------------------------------------------------


def _own_data(comment: Comment) -> dict[str, Any]:
    """CommentData without its replies; `author.space` and `attachements` must be loaded."""
    return {
        "id": comment.id,
        "external_id": comment.external_id,
        "external_origin": comment.external_origin,
        "parent_comment_id": comment.parent_comment_id,
        "sub_comments": [],
        "author": user_data(comment.author),
        "comment": comment.comment,
        "attachements": [file_data(file) for file in comment.attachements],
        "is_public": comment.is_public,
        "created_at": format_datetime(comment.created_at),
        "updated_at": format_datetime(comment.updated_at),
    }


def comment_data(comment: Comment, _tree: IncludeTree, caller: Caller) -> dict[str, Any]:
    """CommentData with its `sub_comments` tree (oldest first), built from the task's replies
    loaded once (`thread.replies`); replies the caller may not see are left out together with
    everything under them. Built without recursion, so deep threads cannot exhaust the stack."""
    children: defaultdict[str | None, list[Comment]] = defaultdict(list)
    for reply in comment.thread.replies:  # ordered by created_at, id
        if _shown_to(caller, reply):
            children[reply.parent_comment_id].append(reply)
    root = _own_data(comment)
    pending = [(comment.id, root)]
    while pending:
        parent_id, parent_data = pending.pop()
        for reply in children.get(parent_id, ()):
            reply_data = _own_data(reply)
            parent_data["sub_comments"].append(reply_data)
            pending.append((reply.id, reply_data))
    return root


def _eager() -> Sequence[_AbstractLoad]:
    own = (with_space(Comment.author), selectinload(Comment.attachements))
    replies = selectinload(Comment.thread).selectinload(Thread.replies).options(*own)
    return (*own, replies)


comments = Resource(
    name="comments",
    model=Comment,
    render=comment_data,
    eager=_eager,
    visible=comment_visible,
    lookups={"id": by_column(Comment.id), "external_id": by_external_id(Comment)},
)

# -- a task's comments ----------------------------------------------------------------------

_created_at = Field(Kind.datetime, Comment.created_at)
comment_listing = Listing(
    resource=comments,
    key="tasks.comments",
    filters=FilterSpec(
        fields={
            "author.id": Field(Kind.id, Comment.author_id),
            "is_public": Field(Kind.boolean, Comment.is_public),
            "created_at": _created_at,
        }
    ),
    sorts={"created_at": _created_at},
    default_sort=("created_at",),
    # Top-level comments only: replies come inside their parent's `sub_comments`.
    scope=lambda caller: comments.scoped(caller).where(Comment.parent_comment_id.is_(None)),
)
