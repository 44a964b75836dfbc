"""Writes of phases, milestones, epics, phase types and phase groups. Endpoints call these; the
request's transaction commits them. Writes return the record read back as rendered."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.companies import common
from kanbert.kit.context import Caller
from kanbert.kit.errors import invalid_field
from kanbert.kit.ids import new_id
from kanbert.kit.records import refuse_nulls
from kanbert.kit.resource import Resource
from kanbert.kit.settings import setting_of_space
from kanbert.phases.models import Epic, Milestone, Phase, PhaseGroup, PhaseType
from kanbert.phases.resource import epics, milestones, phases
from kanbert.phases.schemas import (
    EpicFields,
    MilestoneFields,
    PhaseFields,
)
from kanbert.projects.models import Project
from kanbert.projects.service import ensure_may_write, lock_project

# A node of a project's dependency graph: ("phase" | "milestone", id).
Node = tuple[str, str]
_DEPENDENCIES = (("dependency_phase_id", "phase"), ("dependency_milestone_id", "milestone"))

# -- phases ---------------------------------------------------------------------------------


async def create_phase(
    session: AsyncSession, caller: Caller, project: Project, body: PhaseFields
) -> Phase:
    ensure_may_write(caller)
    phase = Phase(id=new_id(), space_id=caller.space_id, project_id=project.id)
    await _apply_phase(session, caller, phase, body)
    session.add(phase)
    await common.flush(session)
    return await _reloaded(session, caller, phases, phase)


async def update_phase(
    session: AsyncSession, caller: Caller, phase: Phase, body: PhaseFields
) -> Phase:
    ensure_may_write(caller)
    refuse_nulls(body, ("title",))
    await _apply_phase(session, caller, phase, body)
    common.touch(phase)
    await common.flush(session)
    return await _reloaded(session, caller, phases, phase)


async def _apply_phase(
    session: AsyncSession, caller: Caller, phase: Phase, body: PhaseFields
) -> None:
    # Dependencies first: their check locks the project before anything else is written.
    await _assign_dependencies(session, ("phase", phase), body)
    common.assign_plain(phase, body, ("title", "po_number", "start_date", "end_date"))
    if phase.start_date and phase.end_date and phase.end_date < phase.start_date:
        raise invalid_field("end_date", "The end date must be on or after the start date.")
    given = body.model_fields_set
    if "phase_type_id" in given:
        phase.phase_type_id = await setting_of_space(
            session, caller, PhaseType, body.phase_type_id, "phase_type_id", "phase type"
        )
    if "group_id" in given:
        phase.group_id = await setting_of_space(
            session, caller, PhaseGroup, body.group_id, "group_id", "phase group"
        )


# -- milestones -----------------------------------------------------------------------------


async def create_milestone(
    session: AsyncSession, caller: Caller, project: Project, body: MilestoneFields
) -> Milestone:
    ensure_may_write(caller)
    milestone = Milestone(id=new_id(), space_id=caller.space_id, project_id=project.id)
    await _apply_milestone(session, caller, milestone, body)
    session.add(milestone)
    await common.flush(session)
    return await _reloaded(session, caller, milestones, milestone)


async def update_milestone(
    session: AsyncSession, caller: Caller, milestone: Milestone, body: MilestoneFields
) -> Milestone:
    ensure_may_write(caller)
    refuse_nulls(body, ("title", "date"))
    await _apply_milestone(session, caller, milestone, body)
    common.touch(milestone)
    await common.flush(session)
    return await _reloaded(session, caller, milestones, milestone)


async def _apply_milestone(
    session: AsyncSession, caller: Caller, milestone: Milestone, body: MilestoneFields
) -> None:
    await _assign_dependencies(session, ("milestone", milestone), body)
    common.assign_plain(milestone, body, ("title", "po_number", "date"))
    if "group_id" in body.model_fields_set:
        milestone.group_id = await setting_of_space(
            session, caller, PhaseGroup, body.group_id, "group_id", "phase group"
        )


# -- epics ----------------------------------------------------------------------------------


async def create_epic(
    session: AsyncSession, caller: Caller, project: Project, body: EpicFields
) -> Epic:
    ensure_may_write(caller)
    epic = Epic(space_id=caller.space_id, project_id=project.id)
    common.assign_plain(epic, body, ("title", "po_number"))
    session.add(epic)
    await common.flush(session)
    return await _reloaded(session, caller, epics, epic)


async def update_epic(session: AsyncSession, caller: Caller, epic: Epic, body: EpicFields) -> Epic:
    ensure_may_write(caller)
    refuse_nulls(body, ("title",))
    common.assign_plain(epic, body, ("title", "po_number"))
    common.touch(epic)
    await common.flush(session)
    return await _reloaded(session, caller, epics, epic)


async def delete_structure(
    session: AsyncSession, caller: Caller, row: Phase | Milestone | Epic
) -> None:
    """Deleted for good. Tasks, efforts and other phases or milestones that used it lose the
    reference: their foreign keys are ON DELETE SET NULL."""
    ensure_may_write(caller)
    await common.force_delete(session, row)


# -- shared rules ---------------------------------------------------------------------------


async def _assign_dependencies(
    session: AsyncSession,
    node: tuple[str, Phase | Milestone],
    body: PhaseFields | MilestoneFields,
) -> None:
    """Set the dependencies the body names: a phase or milestone of the same project that
    does not, directly or through others, depend on this one (422 naming the field)."""
    kind, row = node
    given = [(f, k) for f, k in _DEPENDENCIES if f in body.model_fields_set]
    if any(getattr(body, field) is not None for field, _kind in given):
        graph = await _dependency_graph(session, row.project_id)
        for field, target_kind in given:
            target = getattr(body, field)
            if target is not None:
                _check_dependency(graph, (kind, row.id), (target_kind, target), field)
    for field, _kind in given:
        setattr(row, field, getattr(body, field))


def _check_dependency(
    graph: dict[Node, tuple[Node, ...]], me: Node, target: Node, field: str
) -> None:
    noun = target[0]
    if target not in graph:
        raise invalid_field(field, f"The selected {noun} does not exist in this project.")
    if target == me:
        raise invalid_field(field, f"A {noun} may not depend on itself.")
    if _reaches(graph, target, me):
        raise invalid_field(
            field,
            f"The selected {noun} already depends on this {me[0]} (directly or through other "
            "phases and milestones); dependencies may not form a cycle.",
        )


def _reaches(graph: dict[Node, tuple[Node, ...]], start: Node, goal: Node) -> bool:
    """Whether following dependencies from `start` leads to `goal`."""
    seen: set[Node] = set()
    pending = [start]
    while pending:
        node = pending.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            pending.extend(graph.get(node, ()))
    return False


async def _dependency_graph(session: AsyncSession, project_id: str) -> dict[Node, tuple[Node, ...]]:
    """Every phase and milestone of the project with what it depends on.

    The project row is locked first (PostgreSQL), so two concurrent writes cannot each add
    half of a cycle; SQLite serialises writers anyway. `FOR NO KEY UPDATE` (key_share) leaves
    foreign-key checks of rows inserted into the project unblocked.
    """
    await lock_project(session, project_id)
    graph: dict[Node, tuple[Node, ...]] = {}
    for kind, model in (("phase", Phase), ("milestone", Milestone)):
        query = select(model.id, model.dependency_phase_id, model.dependency_milestone_id).where(
            model.project_id == project_id
        )
        for row_id, phase_id, milestone_id in (await session.execute(query)).all():
            edges = [("phase", phase_id), ("milestone", milestone_id)]
            graph[(kind, row_id)] = tuple((k, v) for k, v in edges if v is not None)
    return graph


async def _reloaded(session: AsyncSession, caller: Caller, resource: Resource, row: Any) -> Any:
    return await common.reloaded(session, caller, resource, row.id)
