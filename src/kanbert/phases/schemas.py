"""Response shapes and request bodies of phases, milestones, epics, phase types and groups."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from kanbert.clients.schemas import IdRef, Name
from kanbert.kit.schemas import Day, RequestBody
from kanbert.projects.schemas import ComputedFieldsData

Text = Annotated[str, StringConstraints(max_length=255)]
Color = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]
_COMPUTED = "Only with `include=computed_fields`."


class PhaseTypeData(BaseModel):
    id: str
    title: str
    color: str | None


class PhaseGroupData(BaseModel):
    id: str
    title: str


class PhaseData(BaseModel):
    id: str
    title: str
    po_number: str | None
    phase_type: PhaseTypeData | None
    group: PhaseGroupData | None
    start_date: str | None
    end_date: str | None
    dependency_phase_id: str | None
    dependency_milestone_id: str | None
    project_id: str
    created_at: str | None
    computed_fields: ComputedFieldsData | None = Field(None, description=_COMPUTED)


class MilestoneData(BaseModel):
    id: str
    title: str
    po_number: str | None
    group: PhaseGroupData | None
    dependency_phase_id: str | None
    dependency_milestone_id: str | None
    date: str
    created_at: str | None
    computed_fields: ComputedFieldsData | None = Field(None, description=_COMPUTED)


class EpicData(BaseModel):
    id: str
    title: str
    po_number: str | None
    computed_fields: ComputedFieldsData | None = Field(None, description=_COMPUTED)


class PhaseFields(RequestBody):
    """Create and update share these fields; only the ones sent are applied."""

    title: Name | None = None
    po_number: Text | None = None
    phase_type_id: IdRef | None = None
    group_id: IdRef | None = None
    start_date: Day | None = None
    end_date: Day | None = None
    dependency_phase_id: IdRef | None = None
    dependency_milestone_id: IdRef | None = None


class PhaseCreate(PhaseFields):
    title: Name


class MilestoneFields(RequestBody):
    title: Name | None = None
    date: Day | None = None
    po_number: Text | None = None
    group_id: IdRef | None = None
    dependency_phase_id: IdRef | None = None
    dependency_milestone_id: IdRef | None = None


class MilestoneCreate(MilestoneFields):
    title: Name
    date: Day


class EpicFields(RequestBody):
    title: Name | None = None
    po_number: Text | None = None


class EpicCreate(EpicFields):
    title: Name


class PhaseTypeCreate(RequestBody):
    title: Name
    color: Color | None = None


class PhaseTypeUpdate(RequestBody):
    title: Name | None = None
    color: Color | None = None


class PhaseGroupBody(RequestBody):
    title: Name
