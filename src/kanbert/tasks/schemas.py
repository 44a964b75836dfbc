"""Tasks' and priority options' response shapes and request bodies."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from kanbert.clients.schemas import ClientData, External, IdRef, Name
from kanbert.files.schemas import FileData
from kanbert.kit.schemas import Day, RequestBody
from kanbert.phases.schemas import EpicData, MilestoneData, PhaseData
from kanbert.projects.schemas import ProjectData
from kanbert.tasks.models import TaskStatus
from kanbert.users.schemas import UserData

Color = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]
TaskType = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
# Numeric(12, 2): up to 10 digits before the point.
# At most the column's 10 integer digits once rounded to its 2 decimals.
Hours = Annotated[Decimal, Field(ge=0, le=Decimal("9999999999.99"))]
Sorting = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
IdList = Annotated[list[IdRef], Field(max_length=500)]


class PriorityOptionData(BaseModel):
    id: str
    title: str
    color: str | None
    order: int


class TaskData(BaseModel):
    id: str
    project_id: str
    client_id: str
    parent_task_id: str | None
    external_id: str | None
    external_origin: str | None
    uri: str
    title: str
    description: str | None
    status: TaskStatus
    type: str
    estimated_hours: float | None
    is_onhold: bool
    is_public: bool
    due_date: str | None
    due_date_settings: dict[str, Any]
    assignee: UserData | None
    priorityOption: PriorityOptionData | None  # Kanbert's spelling
    phase: PhaseData | None
    milestone: MilestoneData | None
    epic: EpicData | None
    attachements: list[FileData]
    completed_at: str | None
    closed_at: str | None
    updated_at: str
    created_at: str
    list_sorting: int
    custom_fields: dict[str, Any]
    deleted_at: str | None
    project: ProjectData | None = Field(None, description="Only with `include=project`.")
    client: ClientData | None = Field(None, description="Only with `include=client`.")
    watchers: list[UserData] | None = Field(None, description="Only with `include=watchers`.")
    parent_task: TaskData | None = Field(
        None, description="Only with `include=parent_task` (null when the caller may not see it)."
    )
    sub_tasks: list[TaskData] | None = Field(
        None, description="Only with `include=sub_tasks`: visible, not archived ones."
    )


class TaskFields(RequestBody):
    """Create and update share these fields; only the ones sent are applied."""

    title: Name | None = None
    project_id: IdRef | None = None
    parent_task_id: IdRef | None = None
    description: Annotated[str, StringConstraints(max_length=65535)] | None = None
    status: TaskStatus | None = None
    type: TaskType | None = None
    estimated_hours: Hours | None = None
    is_onhold: bool | None = None
    is_public: bool | None = None
    due_date: Day | None = None
    due_date_settings: dict[str, Any] | None = None
    assignee_id: IdRef | None = None
    priority_option_id: IdRef | None = None
    phase_id: IdRef | None = None
    milestone_id: IdRef | None = None
    epic_id: IdRef | None = None
    watcher_ids: IdList | None = None
    list_sorting: Sorting | None = None
    custom_fields: dict[str, Any] | None = None
    external_id: External | None = None
    external_origin: External | None = None


class TaskCreate(TaskFields):
    title: Name
    project_id: IdRef


class PriorityOptionCreate(RequestBody):
    title: Name
    color: Color | None = None
    order: Annotated[int, Field(ge=-1_000_000, le=1_000_000)] = 0


class PriorityOptionUpdate(RequestBody):
    title: Name | None = None
    color: Color | None = None
    order: Annotated[int, Field(ge=-1_000_000, le=1_000_000)] | None = None
