"""Kanbert's debouncing (webhooks.md §5): how a new change meets the pending delivery of the
same webhook and resource whose window is still open.

| open delivery | new change            | result                                   |
|---------------|-----------------------|------------------------------------------|
| create        | update                | one create, latest data                  |
| create        | delete / force-delete | nothing (the create is cancelled)        |
| update        | update                | one update, latest data, changes merged  |
| anything else |                       | a new delivery after it (order kept)     |

The same rules first fold the changes of one transaction (`coalesce`): a request that flushes a
record twice (a task move, say) is one change to the outside, not two.
"""

from __future__ import annotations

import enum
from typing import Any

from kanbert.webhooks.capture import Action, Change


class Outcome(enum.Enum):
    merge = "merge"  # the open delivery takes the new data (and changes)
    cancel = "cancel"  # the open delivery goes, the new change is not sent either
    append = "append"  # a new delivery, sent after the open one


def meet(open_action: Action, new_action: Action) -> Outcome:
    if new_action is Action.update and open_action in (Action.create, Action.update):
        return Outcome.merge
    if open_action is Action.create and new_action in (Action.delete, Action.force_delete):
        return Outcome.cancel
    return Outcome.append


def merge_changes(
    earlier: dict[str, dict[str, Any]] | None, later: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Every field changed in the window: its value before the first and after the last change."""
    merged = {name: dict(change) for name, change in (earlier or {}).items()}
    for name, change in later.items():
        if name in merged:
            merged[name]["to"] = change["to"]
        else:
            merged[name] = dict(change)
    return merged


def coalesce(changes: list[Change]) -> list[Change]:
    """One transaction's changes, those of each resource folded together by `meet`, in the
    order of each resource's first (kept) change."""
    kept: list[Change | None] = []
    latest: dict[tuple[str, str], int] = {}  # resource → index of its newest kept change
    for change in changes:
        key = (change.resource_type, change.resource_id)
        index = latest.get(key)
        earlier = kept[index] if index is not None else None
        if index is not None and earlier is not None:
            outcome = meet(earlier.action, change.action)
            if outcome is Outcome.merge:
                if earlier.action is Action.update:
                    earlier.changes = merge_changes(earlier.changes, change.changes)
                continue
            if outcome is Outcome.cancel:
                kept[index] = None
                del latest[key]
                continue
        latest[key] = len(kept)
        kept.append(change)
    return [change for change in kept if change is not None]
