"""Noticing changes of watched resources inside a transaction, for the outbox.

ORM writes are noticed by themselves (`after_flush`: new rows, changed columns with their old
and new values, `deleted_at` set or cleared). Rows deleted for good are announced by the code
that deletes them, through `deleting`, because their last state has to be rendered while they
still exist — often they go by a bulk DELETE or a cascade the ORM never sees. The outbox
(`outbox.publish`) turns what was noticed into event rows just before the commit.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from kanbert.kit.timefmt import format_datetime

PENDING_KEY = "kanbert_webhook_changes"
CALLER_KEY = "kanbert_caller"

# Model class → resource type, filled by `sources` (which knows every watched domain).
WATCHED: dict[type, str] = {}
# Columns that are bookkeeping, not fields a receiver cares about.
UNREPORTED = frozenset({"id", "space_id", "created_at", "updated_at", "deleted_at"})


class Action(enum.StrEnum):
    create = "create"
    update = "update"
    delete = "delete"  # archived
    restore = "restore"
    force_delete = "force-delete"


@dataclass
class Change:
    resource_type: str
    resource_id: str
    action: Action
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Only for force-delete: the last state and scope, taken while the row still existed.
    snapshot: dict[str, Any] | None = None
    scope: Any = None


def pending_changes(session: AsyncSession | Session) -> list[Change]:
    changes: list[Change] = session.info.setdefault(PENDING_KEY, [])
    return changes


def take_changes(session: AsyncSession) -> list[Change]:
    return session.info.pop(PENDING_KEY, None) or []


def plain(value: Any) -> Any:
    """A column value as the JSON a receiver reads in `changes`."""
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _column_changes(instance: Any) -> tuple[dict[str, dict[str, Any]], Action | None]:
    """The changed reported columns (`{"from", "to"}`) and an archive/restore, if any."""
    state = inspect(instance)
    changes: dict[str, dict[str, Any]] = {}
    lifecycle: Action | None = None
    for attribute in state.mapper.column_attrs:
        history = state.attrs[attribute.key].history
        if not history.added and not history.deleted:
            continue
        before = history.deleted[0] if history.deleted else None
        after = history.added[0] if history.added else None
        if before == after:
            continue
        if attribute.key == "deleted_at":
            if before is None and after is not None:
                lifecycle = Action.delete
            elif before is not None and after is None:
                lifecycle = Action.restore
            continue
        if attribute.key not in UNREPORTED:
            changes[attribute.key] = {"from": plain(before), "to": plain(after)}
    return changes, lifecycle


@event.listens_for(Session, "after_flush")
def _notice_flushed(session: Session, _context: Any) -> None:
    # In after_flush the new / dirty collections and attribute histories still show what
    # this flush wrote, and new rows already have their ids.
    noticed = None
    for instance in session.new:
        kind = WATCHED.get(type(instance))
        if kind is not None:
            noticed = noticed if noticed is not None else pending_changes(session)
            noticed.append(Change(kind, instance.id, Action.create))
    for instance in session.dirty:
        kind = WATCHED.get(type(instance))
        if kind is None or not session.is_modified(instance, include_collections=False):
            continue
        changes, lifecycle = _column_changes(instance)
        noticed = noticed if noticed is not None else pending_changes(session)
        if changes or lifecycle is None:
            noticed.append(Change(kind, instance.id, Action.update, changes))
        if lifecycle is not None:
            noticed.append(Change(kind, instance.id, lifecycle))


def notice(
    session: AsyncSession,
    kind: str,
    record_id: str,
    action: Action,
    changes: dict[str, dict[str, Any]] | None = None,
) -> None:
    """Announce a change the ORM did not see (a bulk UPDATE of archived_at, say)."""
    pending_changes(session).append(Change(kind, record_id, action, dict(changes or {})))


async def deleting(session: AsyncSession, kind: str, record_ids: list[str]) -> None:
    """Announce that these rows are about to be deleted for good: renders their last state
    now, while they exist. Call before the DELETE, inside the same transaction."""
    # Imported here: sources and the outbox import every watched domain, which import this.
    from kanbert.webhooks.outbox import listeners
    from kanbert.webhooks.sources import snapshots

    if not await listeners(session, session.info[CALLER_KEY]):
        # Nobody listens: the outbox records the deletions without rendering anything.
        for record_id in record_ids:
            pending_changes(session).append(Change(kind, record_id, Action.force_delete))
        return
    for record_id, (snapshot, scope) in (await snapshots(session, kind, record_ids)).items():
        pending_changes(session).append(
            Change(kind, record_id, Action.force_delete, snapshot=snapshot, scope=scope)
        )


async def deleting_record(session: AsyncSession, record: Any) -> None:
    """`deleting` for one loaded record of any model: shared write helpers delete watched
    kinds (companies, contacts, projects) and others (phases, say) alike."""
    import kanbert.webhooks.sources  # noqa: F401  (fills WATCHED)

    kind = WATCHED.get(type(record))
    if kind is not None:
        await deleting(session, kind, [record.id])
