"""Effort and effort type writes. Endpoints call these; the request's transaction commits them.

Effort writes check, in this order: the body's own consistency, who may write whose efforts
(403 naming the rule), and that every referenced record exists for the caller (422).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.companies import common
from kanbert.efforts.models import Effort, EffortKind, EffortType
from kanbert.efforts.resource import efforts
from kanbert.efforts.schemas import EffortCreate, EffortFields
from kanbert.kit.context import Caller
from kanbert.kit.errors import forbidden, invalid_field
from kanbert.kit.records import refuse_nulls
from kanbert.kit.resource import prepare_rendering
from kanbert.kit.settings import setting_of_space
from kanbert.phases.models import Epic, Phase
from kanbert.projects.service import active_project
from kanbert.tasks.models import Task
from kanbert.tasks.visibility import tasks_of
from kanbert.users.models import User, UserType
from kanbert.users.resource import LIMITED_TYPES
from kanbert.webhooks.capture import deleting

_PLAIN = ("date", "hours", "description", "is_billable")
# Columns a PATCH may not clear: EffortData renders them as non-null.
_NOT_NULL = ("date", "hours", "is_billable", "user_id")
# The parts of a project an effort may point at, each checked against the effort's project.
_PARTS: tuple[tuple[str, Any, str], ...] = (
    ("task_id", Task, "task"),
    ("phase_id", Phase, "phase"),
    ("epic_id", Epic, "epic"),
)


# -- efforts --------------------------------------------------------------------------------


async def create_effort(session: AsyncSession, caller: Caller, body: EffortCreate) -> Effort:
    effort = Effort(space_id=caller.space_id, is_billable=True)
    if body.user_id is None:
        if caller.user_type == UserType.integration.value:
            raise invalid_field("user_id", "An integration must name the user_id of the effort.")
        effort.user_id = caller.user_id
    await _apply(session, caller, effort, body)
    session.add(effort)
    await common.flush(session)
    return await reloaded(session, caller, effort.id)


async def update_effort(
    session: AsyncSession, caller: Caller, effort: Effort, body: EffortFields
) -> Effort:
    refuse_nulls(body, _NOT_NULL)
    ensure_own(caller, effort.user_id)
    await _apply(session, caller, effort, body)
    common.touch(effort)
    await common.flush(session)
    return await reloaded(session, caller, effort.id)


async def delete_effort(session: AsyncSession, caller: Caller, effort: Effort) -> None:
    ensure_own(caller, effort.user_id)
    await deleting(session, "effort", [effort.id])
    await session.delete(effort)
    await common.flush(session)


def ensure_own(caller: Caller, user_id: str | None) -> None:
    """auth.md §4: only owners and integrations write other users' efforts."""
    if not caller.sees_everything and user_id != caller.user_id:
        raise forbidden("You may only write your own efforts.")


async def _apply(session: AsyncSession, caller: Caller, effort: Effort, body: EffortFields) -> None:
    given = body.model_fields_set
    common.assign_plain(effort, body, _PLAIN)
    if "user_id" in given and body.user_id is not None:
        ensure_own(caller, body.user_id)
        if body.user_id != effort.user_id:
            effort.user_id = await _user_id(session, caller, body.user_id)
    project_changed = "project_id" in given and body.project_id != effort.project_id
    if project_changed:
        await _assign_project(session, caller, effort, body.project_id)
    effort.type = _kind(effort.project_id, body)
    if effort.type is EffortKind.admin and caller.user_type in LIMITED_TYPES:
        raise forbidden("Guests and tax advisors log time only on projects they are a guest of.")
    for field, model, noun in _PARTS:
        if field in given or project_changed:
            value = getattr(body, field) if field in given else getattr(effort, field)
            await _assign_part(session, caller, effort, field, model, noun, value)
    if "effort_type_id" in given:
        effort.effort_type_id = await setting_of_space(
            session, caller, EffortType, body.effort_type_id, "effort_type_id", "effort type"
        )
    await common.assign_external(session, caller, effort, body)


def _kind(project_id: str | None, body: EffortFields) -> EffortKind:
    """A project effort has a project, an admin effort none; a sent `type` must agree."""
    kind = EffortKind.project if project_id is not None else EffortKind.admin
    if "type" in body.model_fields_set and body.type is not None and body.type is not kind:
        if body.type is EffortKind.project:
            raise invalid_field("project_id", "A project effort needs a project_id.")
        raise invalid_field("project_id", "An admin effort has no project; leave project_id out.")
    return kind


async def _user_id(session: AsyncSession, caller: Caller, user_id: str) -> str:
    found = await session.scalar(
        select(User.id).where(
            User.id == user_id,
            User.space_id == caller.space_id,
            User.deleted_at.is_(None),
            User.type != UserType.integration,
        )
    )
    if found is None:
        raise invalid_field("user_id", "The selected user does not exist.")
    return found


async def _assign_project(
    session: AsyncSession, caller: Caller, effort: Effort, project_id: str | None
) -> None:
    """A new project must be an active one the caller sees; the client follows it."""
    if project_id is None:
        effort.project_id = effort.client_id = None
        return
    project = await active_project(session, caller, project_id)
    effort.project_id, effort.client_id = project.id, project.client_id


async def _assign_part(
    session: AsyncSession,
    caller: Caller,
    effort: Effort,
    field: str,
    model: Any,
    noun: str,
    value: str | None,
) -> None:
    """Set `effort.<field>` to a task, phase or epic of the effort's (final) project."""
    if value is not None:
        if effort.project_id is None:
            raise invalid_field(field, f"An admin effort has no {noun}.")
        condition: ColumnElement[bool] = and_(
            model.id == value, model.project_id == effort.project_id
        )
        if model is Task:
            # Only tasks the caller sees (public ones for guests), and not archived ones.
            condition = and_(condition, tasks_of(caller))
        if await session.scalar(select(model.id).where(condition)) is None:
            raise invalid_field(field, f"The selected {noun} is not one of the effort's project.")
    setattr(effort, field, value)


async def reloaded(session: AsyncSession, caller: Caller, effort_id: str) -> Effort:
    """The written effort as its response renders it.

    Read within the space only, not through `efforts.scoped`: the writer is answered with what
    they wrote even when their token may not read it back (an admin effort written without
    `efforts:extended:read`).
    """
    query = (
        select(Effort)
        .where(Effort.id == effort_id, Effort.space_id == caller.space_id)
        .options(*efforts.load_options({}, caller))
        .execution_options(populate_existing=True)
    )
    effort = (await session.scalars(query)).unique().one()
    await prepare_rendering(efforts, {}, session, caller)
    return effort


# -- effort types ---------------------------------------------------------------------------
