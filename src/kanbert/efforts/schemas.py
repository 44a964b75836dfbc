"""Efforts' and effort types' response shapes and request bodies."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from kanbert.clients.schemas import ClientData, External, IdRef, Name
from kanbert.efforts.models import EffortKind
from kanbert.kit.schemas import Day, RequestBody
from kanbert.phases.schemas import EpicData, PhaseData
from kanbert.projects.schemas import ProjectData
from kanbert.users.schemas import UserData

# Pydantic reads JSON numbers into Decimal from their text (0.1 stays 0.1), so no float
# drift reaches the column; more than 4 decimals would not be stored exactly: a 422.
Hours = Annotated[
    Decimal,
    Field(gt=0, le=24, decimal_places=4, description="Hours, > 0 and ≤ 24, at most 4 decimals."),
]
Description = Annotated[str, StringConstraints(max_length=10_000)]


class EffortTypeData(BaseModel):
    id: str
    title: str


class TaskReference(BaseModel):
    id: str
    title: str
    uri: str


class EffortData(BaseModel):
    id: str
    external_id: str | None
    external_origin: str | None
    type: EffortKind
    date: str
    hours: float
    description: str | None
    is_billable: bool
    user: UserData
    project: ProjectData | None
    client: ClientData | None
    task: TaskReference | None
    phase: PhaseData | None
    epic: EpicData | None
    effort_type: EffortTypeData | None
    created_at: str
    updated_at: str


class EffortFields(RequestBody):
    """A PATCH body: only the fields sent change."""

    date: Day | None = None
    hours: Hours | None = None
    type: EffortKind | None = Field(
        None, description="Optional; must agree with project_id (project effort ⇔ a project)."
    )
    project_id: IdRef | None = Field(None, description="Given: a project effort; null: admin.")
    task_id: IdRef | None = None
    phase_id: IdRef | None = None
    epic_id: IdRef | None = None
    effort_type_id: IdRef | None = None
    description: Description | None = None
    is_billable: bool | None = None
    user_id: IdRef | None = Field(
        None, description="Default: the token's user; an integration must name one."
    )
    external_id: External | None = None
    external_origin: External | None = None


class EffortCreate(EffortFields):
    date: Day
    hours: Hours


class EffortTypeBody(RequestBody):
    title: Name


class SummaryGroup(BaseModel):
    """One group of the billing summary: the requested keys, then the totals."""

    client: ClientData | None = Field(None, description="With `group_by=client`.")
    project: ProjectData | None = Field(None, description="With `group_by=project`.")
    user: UserData | None = Field(None, description="With `group_by=user`.")
    effort_type: EffortTypeData | None = Field(None, description="With `group_by=effort_type`.")
    task: TaskReference | None = Field(None, description="With `group_by=task`.")
    date: str | None = Field(None, description="With `group_by=date`: YYYY-MM-DD.")
    week: str | None = Field(None, description="With `group_by=week`: ISO week, e.g. 2026-W48.")
    month: str | None = Field(None, description="With `group_by=month`: YYYY-MM.")
    hours: float = Field(description="Sum of the group's hours (exact).")
    billable_hours: float = Field(description="Sum of the hours of its billable efforts.")
    count: int = Field(description="Number of efforts in the group.")


class EffortSummary(BaseModel):
    data: list[SummaryGroup]
