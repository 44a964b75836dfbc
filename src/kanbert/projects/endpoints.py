"""HTTP edge of projects, project types and portfolios: parse, authorise, call the service,
render. No logic of its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from kanbert.auth.deps import CurrentCaller, requires
from kanbert.db.session import Session
from kanbert.files.cleanup import LeftoverFiles
from kanbert.kit.context import Caller
from kanbert.kit.records import with_etag
from kanbert.kit.resource import IncludeTree
from kanbert.kit.responses import JsonResponse
from kanbert.kit.routes import Shown, add_list_route, record_of, shown_record
from kanbert.kit.schemas import ERROR_RESPONSES
from kanbert.kit.settings import Setting, setting_router
from kanbert.projects import service
from kanbert.projects.models import Project
from kanbert.projects.resource import (
    portfolio_data,
    portfolio_listing,
    project_data,
    project_listing,
    project_type_data,
    project_type_listing,
    projects,
)
from kanbert.projects.schemas import (
    PortfolioBody,
    PortfolioData,
    ProjectCreate,
    ProjectData,
    ProjectFields,
    ProjectTypeCreate,
    ProjectTypeData,
    ProjectTypeUpdate,
)

WRITE = "project:write"
SETTINGS = "settings:write"

router = APIRouter(prefix="/projects", tags=["projects"], responses=ERROR_RESPONSES)

ProjectRecord = Annotated[Project, record_of(projects, "project_id")]
ShownProject = Annotated[Shown, shown_record(projects, project_listing, "project_id")]


def _rendered(
    project: Project, caller: Caller, status: int = 200, tree: IncludeTree | None = None
) -> JsonResponse:
    return with_etag(project_data(project, tree or {}, caller), project, status)


add_list_route(router, "", project_listing, ProjectData, "List projects")


@router.post(
    "", status_code=201, response_model=ProjectData, summary="Create a project", **requires(WRITE)
)
async def create_project(
    body: ProjectCreate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _rendered(await service.create_project(session, caller, body), caller, 201)


@router.get("/{project_id}", response_model=ProjectData, summary="Show a project")
async def show_project(shown: ShownProject, caller: CurrentCaller) -> JsonResponse:
    return _rendered(shown.record, caller, tree=shown.tree)


@router.patch(
    "/{project_id}", response_model=ProjectData, summary="Update a project", **requires(WRITE)
)
async def update_project(
    project: ProjectRecord, body: ProjectFields, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _rendered(await service.update_project(session, caller, project, body), caller)


@router.delete("/{project_id}", status_code=204, summary="Archive a project", **requires(WRITE))
async def archive_project(
    project: ProjectRecord, caller: CurrentCaller, session: Session
) -> Response:
    await service.archive_project(session, caller, project)
    return Response(status_code=204)


@router.post(
    "/{project_id}/restore",
    response_model=ProjectData,
    summary="Restore a project",
    **requires(WRITE),
)
async def restore_project(
    project: ProjectRecord, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _rendered(await service.restore_project(session, caller, project), caller)


@router.delete(
    "/{project_id}/force",
    status_code=204,
    summary="Delete a project for good",
    **requires(WRITE),
)
async def force_delete_project(
    project: ProjectRecord, caller: CurrentCaller, session: Session, leftovers: LeftoverFiles
) -> Response:
    leftovers.remove(await service.force_delete_project(session, caller, project))
    return Response(status_code=204)


@router.put(
    "/{project_id}/team/{user_id}",
    response_model=ProjectData,
    summary="Put a user on a project's team (the project is returned with its team)",
    **requires(WRITE),
)
async def add_team_member(
    project: ProjectRecord, user_id: str, caller: CurrentCaller, session: Session
) -> JsonResponse:
    project = await service.add_team_member(session, caller, project, user_id)
    return _rendered(project, caller, tree=service.WITH_TEAM)


@router.delete(
    "/{project_id}/team/{user_id}",
    status_code=204,
    summary="Take a user off a project's team",
    **requires(WRITE),
)
async def remove_team_member(
    project: ProjectRecord, user_id: str, caller: CurrentCaller, session: Session
) -> Response:
    await service.remove_team_member(session, caller, project, user_id)
    return Response(status_code=204)


@router.put(
    "/{project_id}/guests/{user_id}",
    response_model=ProjectData,
    summary="Invite a guest or tax advisor to a project (returned with its guests)",
    **requires(WRITE),
)
async def add_guest(
    project: ProjectRecord, user_id: str, caller: CurrentCaller, session: Session
) -> JsonResponse:
    project = await service.add_guest(session, caller, project, user_id)
    return _rendered(project, caller, tree=service.WITH_GUESTS)


@router.delete(
    "/{project_id}/guests/{user_id}",
    status_code=204,
    summary="Remove a guest from a project",
    **requires(WRITE),
)
async def remove_guest(
    project: ProjectRecord, user_id: str, caller: CurrentCaller, session: Session
) -> Response:
    await service.remove_guest(session, caller, project, user_id)
    return Response(status_code=204)


# -- project types and portfolios -----------------------------------------------------------

PROJECT_TYPES = Setting(
    path="/project-types",
    noun="project type",
    tag="projects",
    listing=project_type_listing,
    render=project_type_data,
    data=ProjectTypeData,
    create_body=ProjectTypeCreate,
    update_body=ProjectTypeUpdate,
    fields=("title", "shortcode", "color", "order", "is_default"),
    required=("title", "order", "is_default"),
    after_write=service.single_default,
    deleted_note="its projects keep existing without one",
)
PORTFOLIOS = Setting(
    path="/portfolios",
    noun="portfolio",
    tag="projects",
    listing=portfolio_listing,
    render=portfolio_data,
    data=PortfolioData,
    create_body=PortfolioBody,
    update_body=PortfolioBody,
    fields=("title",),
    deleted_note="its projects stay, without one",
)

routers: tuple[APIRouter, ...] = (router, setting_router(PROJECT_TYPES), setting_router(PORTFOLIOS))
