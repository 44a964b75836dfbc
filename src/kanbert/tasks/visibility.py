"""Which tasks a caller sees (auth.md §4): the one rule tasks, comments, files and includes use."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_

from kanbert.kit.context import Caller
from kanbert.projects.resource import in_visible_project
from kanbert.tasks.models import Task
from kanbert.users.resource import LIMITED_TYPES


def is_limited(caller: Caller) -> bool:
    """Guests and tax advisors: they see only public tasks and comments of their projects."""
    return caller.user_type in LIMITED_TYPES


def task_visible(caller: Caller) -> ColumnElement[bool] | None:
    """Tasks of projects the caller sees; for guests and tax advisors, only public ones.

    None means "no rule beyond the space" (owners and integrations). Written as
    `project_id IN (visible projects)` so the planner runs the project rule once, not per task.
    """
    seen = in_visible_project(Task.project_id, caller)
    if seen is None:
        return None
    return and_(seen, Task.is_public.is_(True)) if is_limited(caller) else seen


def tasks_of(caller: Caller) -> ColumnElement[bool]:
    """Tasks another resource may embed for this caller: of the caller's space, not
    archived, visible."""
    own = and_(Task.space_id == caller.space_id, Task.deleted_at.is_(None))
    visible = task_visible(caller)
    return own if visible is None else and_(own, visible)
