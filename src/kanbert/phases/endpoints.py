"""HTTP edge of phases, milestones, epics, phase types and phase groups: parse, authorise,
call the service, render. No logic of its own."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response

from kanbert.auth.deps import CurrentCaller, requires
from kanbert.db.session import Session
from kanbert.kit.context import Caller
from kanbert.kit.records import with_etag
from kanbert.kit.resource import IncludeTree, Resource
from kanbert.kit.responses import JsonResponse
from kanbert.kit.routes import (
    Shown,
    add_nested_list_route,
    record_of,
    shown_record,
)
from kanbert.kit.schemas import ERROR_RESPONSES
from kanbert.kit.settings import Setting, setting_router
from kanbert.phases import service
from kanbert.phases.models import Epic, Milestone, Phase
from kanbert.phases.render import phase_group_data, phase_type_data
from kanbert.phases.resource import (
    epic_listing,
    epics,
    milestone_listing,
    milestones,
    phase_group_listing,
    phase_listing,
    phase_type_listing,
    phases,
)
from kanbert.phases.schemas import (
    EpicCreate,
    EpicData,
    EpicFields,
    MilestoneCreate,
    MilestoneData,
    MilestoneFields,
    PhaseCreate,
    PhaseData,
    PhaseFields,
    PhaseGroupBody,
    PhaseGroupData,
    PhaseTypeCreate,
    PhaseTypeData,
    PhaseTypeUpdate,
)
from kanbert.projects.models import Project
from kanbert.projects.resource import projects

WRITE = "project:write"
SETTINGS = "settings:write"

project_router = APIRouter(prefix="/projects", tags=["phases"], responses=ERROR_RESPONSES)
phases_router = APIRouter(prefix="/phases", tags=["phases"], responses=ERROR_RESPONSES)
milestones_router = APIRouter(prefix="/milestones", tags=["phases"], responses=ERROR_RESPONSES)
epics_router = APIRouter(prefix="/epics", tags=["phases"], responses=ERROR_RESPONSES)

ProjectRecord = Annotated[Project, record_of(projects, "project_id")]
PhaseRecord = Annotated[Phase, record_of(phases, "phase_id")]
MilestoneRecord = Annotated[Milestone, record_of(milestones, "milestone_id")]
EpicRecord = Annotated[Epic, record_of(epics, "epic_id")]
ShownPhase = Annotated[Shown, shown_record(phases, phase_listing, "phase_id")]
ShownMilestone = Annotated[Shown, shown_record(milestones, milestone_listing, "milestone_id")]
ShownEpic = Annotated[Shown, shown_record(epics, epic_listing, "epic_id")]


def _rendered(
    resource: Resource,
    row: Any,
    caller: Caller,
    status: int = 200,
    tree: IncludeTree | None = None,
) -> JsonResponse:
    return with_etag(resource.render(row, tree or {}, caller), row, status)


# -- a project's phases, milestones and epics -----------------------------------------------

add_nested_list_route(
    project_router,
    "/{project_id}/phases",
    phase_listing,
    projects,
    "project_id",
    lambda project: Phase.project_id == project.id,
    PhaseData,
    "List a project's phases",
)
add_nested_list_route(
    project_router,
    "/{project_id}/milestones",
    milestone_listing,
    projects,
    "project_id",
    lambda project: Milestone.project_id == project.id,
    MilestoneData,
    "List a project's milestones",
)
add_nested_list_route(
    project_router,
    "/{project_id}/epics",
    epic_listing,
    projects,
    "project_id",
    lambda project: Epic.project_id == project.id,
    EpicData,
    "List a project's epics",
)


@project_router.post(
    "/{project_id}/phases",
    status_code=201,
    response_model=PhaseData,
    summary="Create a phase in a project",
    **requires(WRITE),
)
async def create_phase(
    project: ProjectRecord, body: PhaseCreate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    phase = await service.create_phase(session, caller, project, body)
    return _rendered(phases, phase, caller, 201)


@project_router.post(
    "/{project_id}/milestones",
    status_code=201,
    response_model=MilestoneData,
    summary="Create a milestone in a project",
    **requires(WRITE),
)
async def create_milestone(
    project: ProjectRecord, body: MilestoneCreate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    milestone = await service.create_milestone(session, caller, project, body)
    return _rendered(milestones, milestone, caller, 201)


@project_router.post(
    "/{project_id}/epics",
    status_code=201,
    response_model=EpicData,
    summary="Create an epic in a project",
    **requires(WRITE),
)
async def create_epic(
    project: ProjectRecord, body: EpicCreate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    epic = await service.create_epic(session, caller, project, body)
    return _rendered(epics, epic, caller, 201)


# -- phases ---------------------------------------------------------------------------------


@phases_router.get("/{phase_id}", response_model=PhaseData, summary="Show a phase")
async def show_phase(shown: ShownPhase, caller: CurrentCaller) -> JsonResponse:
    return _rendered(phases, shown.record, caller, tree=shown.tree)


@phases_router.patch(
    "/{phase_id}", response_model=PhaseData, summary="Update a phase", **requires(WRITE)
)
async def update_phase(
    phase: PhaseRecord, body: PhaseFields, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _rendered(phases, await service.update_phase(session, caller, phase, body), caller)


@phases_router.delete(
    "/{phase_id}",
    status_code=204,
    summary="Delete a phase for good (tasks and dependants lose it)",
    **requires(WRITE),
)
async def delete_phase(phase: PhaseRecord, caller: CurrentCaller, session: Session) -> Response:
    await service.delete_structure(session, caller, phase)
    return Response(status_code=204)


# -- milestones -----------------------------------------------------------------------------


@milestones_router.get("/{milestone_id}", response_model=MilestoneData, summary="Show a milestone")
async def show_milestone(shown: ShownMilestone, caller: CurrentCaller) -> JsonResponse:
    return _rendered(milestones, shown.record, caller, tree=shown.tree)


@milestones_router.patch(
    "/{milestone_id}",
    response_model=MilestoneData,
    summary="Update a milestone",
    **requires(WRITE),
)
async def update_milestone(
    milestone: MilestoneRecord, body: MilestoneFields, caller: CurrentCaller, session: Session
) -> JsonResponse:
    updated = await service.update_milestone(session, caller, milestone, body)
    return _rendered(milestones, updated, caller)


@milestones_router.delete(
    "/{milestone_id}",
    status_code=204,
    summary="Delete a milestone for good (tasks and dependants lose it)",
    **requires(WRITE),
)
async def delete_milestone(
    milestone: MilestoneRecord, caller: CurrentCaller, session: Session
) -> Response:
    await service.delete_structure(session, caller, milestone)
    return Response(status_code=204)


# -- epics ----------------------------------------------------------------------------------


@epics_router.get("/{epic_id}", response_model=EpicData, summary="Show an epic")
async def show_epic(shown: ShownEpic, caller: CurrentCaller) -> JsonResponse:
    return _rendered(epics, shown.record, caller, tree=shown.tree)


@epics_router.patch(
    "/{epic_id}", response_model=EpicData, summary="Update an epic", **requires(WRITE)
)
async def update_epic(
    epic: EpicRecord, body: EpicFields, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _rendered(epics, await service.update_epic(session, caller, epic, body), caller)


@epics_router.delete(
    "/{epic_id}",
    status_code=204,
    summary="Delete an epic for good (its tasks lose it)",
    **requires(WRITE),
)
async def delete_epic(epic: EpicRecord, caller: CurrentCaller, session: Session) -> Response:
    await service.delete_structure(session, caller, epic)
    return Response(status_code=204)


# -- phase types and groups -----------------------------------------------------------------

PHASE_TYPES = Setting(
    path="/phase-types",
    noun="phase type",
    tag="phases",
    listing=phase_type_listing,
    render=phase_type_data,
    data=PhaseTypeData,
    create_body=PhaseTypeCreate,
    update_body=PhaseTypeUpdate,
    fields=("title", "color"),
    deleted_note="its phases keep existing without one",
)
PHASE_GROUPS = Setting(
    path="/phase-groups",
    noun="phase group",
    tag="phases",
    listing=phase_group_listing,
    render=phase_group_data,
    data=PhaseGroupData,
    create_body=PhaseGroupBody,
    update_body=PhaseGroupBody,
    fields=("title",),
    deleted_note="its phases and milestones stay, without one",
)

routers: tuple[APIRouter, ...] = (
    project_router,
    phases_router,
    milestones_router,
    epics_router,
    setting_router(PHASE_TYPES),
    setting_router(PHASE_GROUPS),
)
