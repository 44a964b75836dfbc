"""`computed_fields` declared once for every row that has tasks and efforts: projects,
phases, milestones and epics (models with the `WithTotals` attributes).

Imports nothing but the kit at module level: the sub-queries (tasks/computed.py,
efforts/computed.py) use visibility rules that reach back to the projects resource, which
declares its totals with this class.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, null
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import with_expression
from sqlalchemy.orm.strategy_options import _AbstractLoad

from kanbert.kit.context import Caller
from kanbert.kit.query.fields import Field, Kind
from kanbert.kit.resource import Extension, Include, computed

TASKS_READ = "task-management:read"
EFFORTS_READ = "efforts:read"


@dataclass(frozen=True)
class Totals:
    """Which tasks and efforts count for a row of `model` (conditions on the outer row)."""

    model: Any
    task_link: Callable[[], ColumnElement[bool]]  # e.g. Task.phase_id == Phase.id
    effort_link: Callable[[], ColumnElement[bool]]  # e.g. Effort.phase_id == Phase.id

    def expressions(self, caller: Caller) -> dict[str, Any]:
        """Each computed field as a scalar sub-query over what the caller sees."""
        from kanbert.efforts.computed import hours_logged
        from kanbert.tasks import computed as tasks

        link = self.task_link()
        # A token reads totals only of what its scopes let it read: null otherwise.
        reads_tasks = TASKS_READ in caller.scopes
        reads_efforts = EFFORTS_READ in caller.scopes
        return {
            "tasks_total": tasks.tasks_total(link, caller) if reads_tasks else null(),
            "tasks_open": tasks.tasks_open(link, caller) if reads_tasks else null(),
            "hours_logged": (hours_logged(self.effort_link(), caller) if reads_efforts else null()),
            "hours_estimated": tasks.hours_estimated(link, caller) if reads_tasks else null(),
        }

    def load(self, caller: Caller) -> Sequence[_AbstractLoad]:
        return [
            with_expression(getattr(self.model, name), expression)
            for name, expression in self.expressions(caller).items()
        ]

    def include(self) -> Include:
        """The `computed_fields` include."""
        return computed(self.load)

    async def sorts(self, _session: AsyncSession, caller: Caller) -> Extension:
        """`sort=computed_fields.<name>`: per caller, since the totals count what they see."""
        return Extension(
            sorts={
                f"computed_fields.{name}": Field(Kind.number, expression)
                for name, expression in self.expressions(caller).items()
            }
        )


def totals_data(row: Any) -> dict[str, float | int | None]:
    """A row's loaded totals as JSON numbers (null: the token may not read them)."""
    from kanbert.efforts.resource import hours_number
    from kanbert.tasks.computed import as_number

    def shown(value: Any, as_json: Callable[[Any], float | int]) -> float | int | None:
        return None if value is None else as_json(value)

    return {
        "tasks_total": shown(row.tasks_total, as_number),
        "tasks_open": shown(row.tasks_open, as_number),
        # Exact (summed in ten-thousandths): whole hours as integers, like EffortData's hours.
        "hours_logged": shown(row.hours_logged, lambda value: hours_number(Decimal(value))),
        # A float on every engine (SQLite sums an empty set to the integer 0).
        "hours_estimated": shown(row.hours_estimated, lambda value: float(as_number(value))),
    }
