"""Which entities own files, with the scopes and visibility that guard their files.

A new owner (task, comment, project) is one `register` line in `REGISTRY` below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.kit.context import Caller
from kanbert.kit.errors import forbidden, invalid_field, missing_scope
from kanbert.kit.resource import Resource
from kanbert.users.resource import LIMITED_TYPES


@dataclass(frozen=True)
class Owner:
    entity_type: str
    resource: Callable[[], Resource]  # looked up lazily: resources import much of the app
    read_scope: str | None
    write_scope: str
    # An extra rule for writes beyond the scope (e.g. only a user themself or an owner).
    may_write: Callable[[Caller, Any], bool] = lambda caller, record: True


def _clients() -> Resource:
    from kanbert.clients.resource import clients

    return clients


def _companies() -> Resource:
    from kanbert.companies.resource import companies

    return companies


def _contacts() -> Resource:
    from kanbert.contacts.resource import contacts

    return contacts


def _users() -> Resource:
    from kanbert.users.resource import users

    return users


def _projects() -> Resource:
    from kanbert.projects.resource import projects

    return projects


def _tasks() -> Resource:
    from kanbert.tasks.resource import tasks

    return tasks


def _comments() -> Resource:
    from kanbert.comments.resource import comments

    return comments


def _not_limited(caller: Caller, _record: Any) -> bool:
    # Guests and tax advisors read projects but change nothing of them (auth.md §4).
    return caller.user_type not in LIMITED_TYPES


def _self_or_manager(caller: Caller, user: Any) -> bool:
    # A user's files (their avatar above all) are theirs: only they, owners and integrations.
    return caller.sees_everything or user.id == caller.user_id


REGISTRY: dict[str, Owner] = {
    owner.entity_type: owner
    for owner in (
        Owner("client", _clients, "client:read", "client:write"),
        Owner("company", _companies, "contact-data:read", "contact-data:write"),
        Owner("contact", _contacts, "contact-data:read", "contact-data:write"),
        Owner("user", _users, None, "user:write", _self_or_manager),
        Owner("project", _projects, None, "project:write", _not_limited),
        # Guests may add files to the tasks and comments they see (auth.md §4).
        Owner("task", _tasks, "task-management:read", "task-management:write"),
        Owner("comment", _comments, "task-management:read", "task-management:write"),
    )
}


def owner_of(entity_type: str) -> Owner:
    owner = REGISTRY.get(entity_type)
    if owner is None:
        allowed = ", ".join(REGISTRY)
        raise invalid_field("entity_type", f"The entity type must be one of: {allowed}.")
    return owner


def check_scope(caller: Caller, owner: Owner, write: bool) -> None:
    scope = owner.write_scope if write else owner.read_scope
    if scope is not None and scope not in caller.scopes:
        raise missing_scope(scope)


async def visible_entity(
    session: AsyncSession, caller: Caller, owner: Owner, entity_id: str, write: bool
) -> Any:
    """The owning record if the caller may see it (and, for writes, change its files), else None.

    Visibility is the owning resource's own `scoped(caller)`, so a file is exactly as visible
    as its entity.
    """
    resource = owner.resource()
    query = resource.scoped(caller).where(resource.model.id == entity_id)
    if write:
        # Shared clients of other spaces are readable, never writable: files stay in one space.
        query = query.where(resource.model.space_id == caller.space_id)
    record = await session.scalar(query.limit(1))
    if record is not None and write and not owner.may_write(caller, record):
        raise forbidden("Only the user themself, owners and integrations may change their files.")
    return record
