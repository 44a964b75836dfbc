"""User group writes, memberships included. The request's transaction commits them."""

from __future__ import annotations

from sqlalchemy import delete, exists, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.kit.context import Caller
from kanbert.kit.errors import conflict, forbidden, invalid_field
from kanbert.kit.records import flush_or_conflict
from kanbert.kit.timefmt import utcnow
from kanbert.user_groups.models import UserGroup, user_group_members
from kanbert.user_groups.schemas import UserGroupCreate, UserGroupUpdate
from kanbert.users.models import User, local_today
from kanbert.users.service import set_external_identity

WRITERS = ("user", "integration")


def ensure_may_write(caller: Caller) -> None:
    # Guests and tax advisors do not even see groups (the resource hides them); this covers
    # what needs no lookup first, such as creating one.
    if caller.user_type not in WRITERS:
        raise forbidden("Your user type may not change user groups.")


async def create_group(session: AsyncSession, caller: Caller, data: UserGroupCreate) -> UserGroup:
    ensure_may_write(caller)
    group = UserGroup(space_id=caller.space_id, name=data.name, is_team=data.is_team)
    await set_external_identity(session, caller, group, data.external_id, data.external_origin)
    session.add(group)
    await flush_or_conflict(session)
    return group


async def update_group(
    session: AsyncSession, caller: Caller, group: UserGroup, data: UserGroupUpdate
) -> UserGroup:
    ensure_may_write(caller)
    given = data.model_fields_set
    for required in ("name", "is_team"):
        if required in given and getattr(data, required) is None:
            raise invalid_field(required, f"The {required} field may not be null.")
    if data.name is not None:
        group.name = data.name
    if data.is_team is not None:
        group.is_team = data.is_team
    if given & {"external_id", "external_origin"}:
        external_id = data.external_id if "external_id" in given else group.external_id
        await set_external_identity(session, caller, group, external_id, data.external_origin)
    await flush_or_conflict(session)
    return group


async def delete_group(session: AsyncSession, caller: Caller, group: UserGroup) -> None:
    """Deletes for good; the memberships go with it (ON DELETE CASCADE), the users stay."""
    ensure_may_write(caller)
    await session.delete(group)
    await flush_or_conflict(session)


async def add_member(session: AsyncSession, caller: Caller, group: UserGroup, user: User) -> None:
    """Adds `user` (already looked up in the caller's space); adding a member again is a no-op."""
    ensure_may_write(caller)
    if user.archived_on(local_today(caller.now, caller.timezone)):
        raise invalid_field("user_id", "An archived user cannot join a group.")
    membership = (user_group_members.c.user_group_id == group.id) & (
        user_group_members.c.user_id == user.id
    )
    if await session.scalar(select(exists().where(membership))):
        return
    try:
        await session.execute(
            insert(user_group_members).values(user_group_id=group.id, user_id=user.id)
        )
    except IntegrityError:
        # Another request added the same member (or removed the user) meanwhile.
        raise conflict("A concurrent change conflicts with this request; retry it.") from None
    await _touch(session, group)


async def remove_member(
    session: AsyncSession, caller: Caller, group: UserGroup, user: User
) -> None:
    """Removes `user` from the group; removing a non-member is a no-op (DELETE is idempotent)."""
    ensure_may_write(caller)
    removed = await session.execute(
        delete(user_group_members).where(
            user_group_members.c.user_group_id == group.id,
            user_group_members.c.user_id == user.id,
        )
    )
    if removed.rowcount:  # type: ignore[attr-defined]
        await _touch(session, group)


async def _touch(session: AsyncSession, group: UserGroup) -> None:
    # Membership is part of the group's representation (include=users): a new `updated_at`
    # gives it a new ETag, so If-Match guards see the change.
    group.updated_at = utcnow()
    await flush_or_conflict(session)
