"""Phases, milestones, epics, phase types and phase groups declared once: rendering,
visibility, includes and lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import selectinload

from kanbert.kit.context import Caller
from kanbert.kit.query.fields import Field, FilterSpec, Kind
from kanbert.kit.resource import (
    IncludeTree,
    Listing,
    Resource,
    by_column,
    table_listing,
)
from kanbert.phases.models import Epic, Milestone, Phase, PhaseGroup, PhaseType
from kanbert.phases.render import (
    epic_data,
    milestone_data,
    phase_data,
    phase_group_data,
    phase_type_data,
)
from kanbert.projects.resource import in_visible_project
from kanbert.tasks.models import Task
from kanbert.tasks.totals import Totals, totals_data

Structure = Phase | Milestone | Epic

# -- visibility -----------------------------------------------------------------------------


def _of_visible_projects(model: Any) -> Callable[[Caller], ColumnElement[bool] | None]:
    """A phase, milestone or epic is visible exactly when its project is (auth.md §4);
    `project_id IN (visible projects)` runs the project rule once, not per row."""

    def visible(caller: Caller) -> ColumnElement[bool] | None:
        return in_visible_project(model.project_id, caller)

    return visible


# -- computed_fields ------------------------------------------------------------------------


def _efforts_on_tasks_of_milestone() -> Any:
    # Efforts name no milestone: a milestone's hours are those logged on its tasks.
    from kanbert.efforts.models import Effort

    return Effort.task_id.in_(select(Task.id).where(Task.milestone_id == Milestone.id))


def _effort_column(name: str) -> Any:
    from kanbert.efforts.models import Effort

    return getattr(Effort, name)


phase_totals = Totals(
    Phase, lambda: Task.phase_id == Phase.id, lambda: _effort_column("phase_id") == Phase.id
)
milestone_totals = Totals(
    Milestone, lambda: Task.milestone_id == Milestone.id, _efforts_on_tasks_of_milestone
)
epic_totals = Totals(
    Epic, lambda: Task.epic_id == Epic.id, lambda: _effort_column("epic_id") == Epic.id
)


def _with_computed(
    base: Callable[[Any], dict[str, Any] | None],
) -> Callable[[Any, IncludeTree, Caller], dict[str, Any]]:
    def render(row: Structure, tree: IncludeTree, _caller: Caller) -> dict[str, Any]:
        data = base(row)
        assert data is not None
        if "computed_fields" in tree:
            data["computed_fields"] = totals_data(row)
        return data

    return render


# -- resources ------------------------------------------------------------------------------

phases = Resource(
    name="phases",
    model=Phase,
    render=_with_computed(phase_data),
    eager=lambda: (selectinload(Phase.phase_type), selectinload(Phase.group)),
    includes={"computed_fields": phase_totals.include()},
    visible=_of_visible_projects(Phase),
    lookups={"id": by_column(Phase.id)},
)
milestones = Resource(
    name="milestones",
    model=Milestone,
    render=_with_computed(milestone_data),
    eager=lambda: (selectinload(Milestone.group),),
    includes={"computed_fields": milestone_totals.include()},
    visible=_of_visible_projects(Milestone),
    lookups={"id": by_column(Milestone.id)},
)
epics = Resource(
    name="epics",
    model=Epic,
    render=_with_computed(epic_data),
    includes={"computed_fields": epic_totals.include()},
    visible=_of_visible_projects(Epic),
    lookups={"id": by_column(Epic.id)},
)

# -- lists under a project ------------------------------------------------------------------

_phase_title = Field(Kind.string, Phase.title)
_phase_start = Field(Kind.date, Phase.start_date, nullable=True)
_phase_end = Field(Kind.date, Phase.end_date, nullable=True)
_phase_created = Field(Kind.datetime, Phase.created_at)
phase_listing = Listing(
    resource=phases,
    key="projects.phases",
    filters=FilterSpec(
        fields={
            "id": Field(Kind.id, Phase.id),
            "title": _phase_title,
            "po_number": Field(Kind.string, Phase.po_number, nullable=True),
            "start_date": _phase_start,
            "end_date": _phase_end,
            "phase_type.id": Field(Kind.id, Phase.phase_type_id, nullable=True),
            "group.id": Field(Kind.id, Phase.group_id, nullable=True),
            "dependency_phase_id": Field(Kind.id, Phase.dependency_phase_id, nullable=True),
            "dependency_milestone_id": Field(Kind.id, Phase.dependency_milestone_id, nullable=True),
            "created_at": _phase_created,
        }
    ),
    sorts={
        "start_date": _phase_start,
        "end_date": _phase_end,
        "title": _phase_title,
        "created_at": _phase_created,
    },
    default_sort=("start_date", "title"),
    includes=("computed_fields",),
    extensions=(phase_totals.sorts,),
)

_milestone_title = Field(Kind.string, Milestone.title)
_milestone_date = Field(Kind.date, Milestone.date)
_milestone_created = Field(Kind.datetime, Milestone.created_at)
milestone_listing = Listing(
    resource=milestones,
    key="projects.milestones",
    filters=FilterSpec(
        fields={
            "id": Field(Kind.id, Milestone.id),
            "title": _milestone_title,
            "po_number": Field(Kind.string, Milestone.po_number, nullable=True),
            "date": _milestone_date,
            "group.id": Field(Kind.id, Milestone.group_id, nullable=True),
            "dependency_phase_id": Field(Kind.id, Milestone.dependency_phase_id, nullable=True),
            "dependency_milestone_id": Field(
                Kind.id, Milestone.dependency_milestone_id, nullable=True
            ),
            "created_at": _milestone_created,
        }
    ),
    sorts={"date": _milestone_date, "title": _milestone_title, "created_at": _milestone_created},
    default_sort=("date", "title"),
    includes=("computed_fields",),
    extensions=(milestone_totals.sorts,),
)

_epic_title = Field(Kind.string, Epic.title)
_epic_created = Field(Kind.datetime, Epic.created_at)
epic_listing = Listing(
    resource=epics,
    key="projects.epics",
    filters=FilterSpec(
        fields={
            "id": Field(Kind.id, Epic.id),
            "title": _epic_title,
            "po_number": Field(Kind.string, Epic.po_number, nullable=True),
            "created_at": _epic_created,
        }
    ),
    sorts={"title": _epic_title, "created_at": _epic_created},
    default_sort=("title",),
    includes=("computed_fields",),
    extensions=(epic_totals.sorts,),
)

# -- phase types and phase groups -----------------------------------------------------------


_type_title = Field(Kind.string, PhaseType.title)
phase_type_listing = table_listing(
    "phase-types",
    PhaseType,
    phase_type_data,
    filters={
        "id": Field(Kind.id, PhaseType.id),
        "title": _type_title,
        "color": Field(Kind.string, PhaseType.color, nullable=True),
    },
    sorts={"title": _type_title, "created_at": Field(Kind.datetime, PhaseType.created_at)},
    default_sort=("title",),
)
_group_title = Field(Kind.string, PhaseGroup.title)
phase_group_listing = table_listing(
    "phase-groups",
    PhaseGroup,
    phase_group_data,
    filters={"id": Field(Kind.id, PhaseGroup.id), "title": _group_title},
    sorts={"title": _group_title, "created_at": Field(Kind.datetime, PhaseGroup.created_at)},
    default_sort=("title",),
)
