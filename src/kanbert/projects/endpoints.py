"""HTTP edge of projects, project types and portfolios: parse, authorise, call the service,
render. No logic of its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from kanbert.auth.deps import CurrentCaller, requires
from kanbert.db.session import Session
from kanbert.kit.context import Caller
from kanbert.kit.records import with_etag
from kanbert.kit.resource import IncludeTree
from kanbert.kit.responses import JsonResponse
from kanbert.kit.routes import Shown, add_list_route, record_of, shown_record
from kanbert.kit.schemas import ERROR_RESPONSES
from kanbert.projects import service
from kanbert.projects.models import Portfolio, Project, ProjectType
from kanbert.projects.resource import (
    portfolio_data,
    portfolio_listing,
    portfolios,
    project_data,
    project_listing,
    project_type_data,
    project_type_listing,
    project_types,
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
types_router = APIRouter(prefix="/project-types", tags=["projects"], responses=ERROR_RESPONSES)
portfolios_router = APIRouter(prefix="/portfolios", tags=["projects"], responses=ERROR_RESPONSES)

ProjectRecord = Annotated[Project, record_of(projects, "project_id")]
TypeRecord = Annotated[ProjectType, record_of(project_types, "type_id")]
PortfolioRecord = Annotated[Portfolio, record_of(portfolios, "portfolio_id")]
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
    project: ProjectRecord, caller: CurrentCaller, session: Session
) -> Response:
    await service.force_delete_project(session, caller, project)
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


# -- project types ---------------------------------------------------------------------------

add_list_route(types_router, "", project_type_listing, ProjectTypeData, "List project types")


def _type_rendered(row: ProjectType, status: int = 200) -> JsonResponse:
    rendered = project_type_data(row)
    assert rendered is not None
    return with_etag(rendered, row, status)


@types_router.post(
    "",
    status_code=201,
    response_model=ProjectTypeData,
    summary="Create a project type",
    **requires(SETTINGS),
)
async def create_project_type(
    body: ProjectTypeCreate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _type_rendered(await service.create_project_type(session, caller, body), 201)


@types_router.patch(
    "/{type_id}",
    response_model=ProjectTypeData,
    summary="Update a project type",
    **requires(SETTINGS),
)
async def update_project_type(
    row: TypeRecord, body: ProjectTypeUpdate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _type_rendered(await service.update_project_type(session, caller, row, body))


@types_router.delete(
    "/{type_id}",
    status_code=204,
    summary="Delete a project type for good (its projects keep existing without one)",
    **requires(SETTINGS),
)
async def delete_project_type(row: TypeRecord, session: Session) -> Response:
    await service.delete_setting(session, row)
    return Response(status_code=204)


# -- portfolios ------------------------------------------------------------------------------

add_list_route(portfolios_router, "", portfolio_listing, PortfolioData, "List portfolios")


def _portfolio_rendered(row: Portfolio, status: int = 200) -> JsonResponse:
    rendered = portfolio_data(row)
    assert rendered is not None
    return with_etag(rendered, row, status)


@portfolios_router.post(
    "",
    status_code=201,
    response_model=PortfolioData,
    summary="Create a portfolio",
    **requires(SETTINGS),
)
async def create_portfolio(
    body: PortfolioBody, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _portfolio_rendered(await service.create_portfolio(session, caller, body), 201)


@portfolios_router.patch(
    "/{portfolio_id}",
    response_model=PortfolioData,
    summary="Rename a portfolio",
    **requires(SETTINGS),
)
async def update_portfolio(
    row: PortfolioRecord, body: PortfolioBody, session: Session
) -> JsonResponse:
    return _portfolio_rendered(await service.update_portfolio(session, row, body))


@portfolios_router.delete(
    "/{portfolio_id}",
    status_code=204,
    summary="Delete a portfolio for good (its projects stay, without one)",
    **requires(SETTINGS),
)
async def delete_portfolio(row: PortfolioRecord, session: Session) -> Response:
    await service.delete_setting(session, row)
    return Response(status_code=204)


routers: tuple[APIRouter, ...] = (router, types_router, portfolios_router)
