"""Projects' response shapes and request bodies."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from kanbert.clients.schemas import (
    ClientData,
    ClientFullData,
    External,
    IdRef,
    Name,
    Shortcode,
)
from kanbert.kit.schemas import Day, RequestBody
from kanbert.lookups.schemas import TagData
from kanbert.projects.models import ProjectStatus
from kanbert.users.schemas import UserData

Text = Annotated[str, StringConstraints(max_length=255)]
Color = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]
IdList = Annotated[list[IdRef], Field(max_length=500)]


class ProjectTypeData(BaseModel):
    id: str
    title: str
    shortcode: str | None
    color: str | None
    order: int
    is_default: bool


class ProjectGroupData(BaseModel):
    id: str
    title: str


class TeamMemberData(UserData):
    added_at: str


_NEEDS_TASKS = "Null when the token lacks task-management:read."


class ComputedFieldsData(BaseModel):
    """Totals over the active tasks and the efforts of a project, phase, milestone or epic
    that the caller sees (a milestone's efforts are those on its tasks)."""

    tasks_total: int | None = Field(description=_NEEDS_TASKS)
    tasks_open: int | None = Field(description="Tasks in Backlog, New or WIP. " + _NEEDS_TASKS)
    hours_logged: float | None = Field(
        description="Hours of the efforts the caller sees; null without efforts:read."
    )
    hours_estimated: float | None = Field(description=_NEEDS_TASKS)


class ProjectData(BaseModel):
    id: str
    external_id: str | None
    external_origin: str | None
    title: str
    description: str | None
    shortcode: str
    po_number: str | None
    project_type: ProjectTypeData | None
    project_group: ProjectGroupData | None
    status: ProjectStatus
    is_acquisition: bool
    is_private: bool
    start_date: str | None
    end_date: str | None
    client: ClientData
    custom_fields: dict[str, Any]
    created_by: UserData | None
    created_at: str
    updated_at: str
    deleted_at: str | None
    team: list[TeamMemberData] | None = Field(None, description="Only with `include=team`.")
    guests: list[UserData] | None = Field(None, description="Only with `include=guests`.")
    tags: list[TagData] | None = Field(None, description="Only with `include=tags`.")
    computed_fields: ComputedFieldsData | None = Field(
        None, description="Only with `include=computed_fields`."
    )


class PortfolioData(ProjectGroupData):
    projects_assigned: list[ProjectData] | None = Field(
        None, description="Only with `include=projects_assigned`."
    )


class ProjectFields(RequestBody):
    """Create and update share these fields; only the ones sent are applied."""

    title: Name | None = None
    client_id: IdRef | None = None
    shortcode: Shortcode | None = None
    description: Annotated[str, StringConstraints(max_length=65535)] | None = None
    po_number: Text | None = None
    project_type_id: IdRef | None = None
    project_group_id: IdRef | None = None
    status: ProjectStatus | None = None
    is_acquisition: bool | None = None
    is_private: bool | None = None
    start_date: Day | None = None
    end_date: Day | None = None
    tag_ids: IdList | None = None
    team: IdList | None = None
    guests: IdList | None = None
    custom_fields: dict[str, Any] | None = None
    external_id: External | None = None
    external_origin: External | None = None


class ProjectCreate(ProjectFields):
    title: Name
    client_id: IdRef


class ProjectTypeCreate(RequestBody):
    title: Name
    shortcode: Shortcode | None = None
    color: Color | None = None
    order: Annotated[int, Field(ge=-1_000_000, le=1_000_000)] = 0
    is_default: bool = False


class ProjectTypeUpdate(RequestBody):
    title: Name | None = None
    shortcode: Shortcode | None = None
    color: Color | None = None
    order: Annotated[int, Field(ge=-1_000_000, le=1_000_000)] | None = None
    is_default: bool | None = None


class PortfolioBody(RequestBody):
    title: Name


# ClientFullData (`include=projects`) embeds ProjectData, known only now.
ClientFullData.model_rebuild(_types_namespace={"ProjectData": ProjectData})
