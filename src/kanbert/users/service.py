"""User writes. Endpoints call these; the request's transaction commits them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from kanbert.auth.passwords import hash_password
from kanbert.custom_fields import values
from kanbert.custom_fields.models import EntityType
from kanbert.files.models import StoredFile
from kanbert.kit.context import Caller
from kanbert.kit.errors import forbidden, invalid_field
from kanbert.kit.records import ensure_unique, flush_or_conflict
from kanbert.kit.timefmt import utcnow
from kanbert.users.models import User, UserType, local_today
from kanbert.users.schemas import PROFILE_COLUMNS, UserCreate, UserProfile, UserUpdate


def ensure_may_manage_users(caller: Caller) -> None:
    # resources.md §1: user writes need `user:write` (checked by the route) and an owner or an
    # integration behind the token; a colleague's personal token may not.
    if not caller.sees_everything:
        raise forbidden("Only owners and integrations may change users.")


async def set_external_identity(
    session: AsyncSession,
    caller: Caller,
    record: Any,
    external_id: str | None,
    external_origin: str | None,
) -> None:
    """Set `external_id`/`external_origin` of a record, unique per (space, origin) (README §2).

    The origin defaults to the record's current one, then to the caller's (its slug).
    """
    model = type(record)
    origin = external_origin or record.external_origin or caller.origin
    if external_id is not None:
        await ensure_unique(
            session,
            model,
            "external_id",
            (model.space_id == caller.space_id)
            & (model.external_origin == origin)
            & (model.external_id == external_id),
            record.id,
        )
    record.external_id = external_id
    record.external_origin = origin if external_id is not None or external_origin else None


async def _unique_email(
    session: AsyncSession, caller: Caller, email: str, exclude_id: str | None = None
) -> None:
    # lower() on both sides, in SQL: the same folding as the unique index on each engine
    # (SQLite's lower() folds ASCII only, Python's str.lower() folds more).
    await ensure_unique(
        session,
        User,
        "email",
        (User.space_id == caller.space_id) & (func.lower(User.email) == func.lower(email)),
        exclude_id,
    )


def _check_type(user: User | None, wanted: UserType) -> None:
    if wanted is UserType.integration and (user is None or user.type is not wanted):
        raise invalid_field("type", "Integration users are made with tokens, not here.")
    if user is None or wanted is user.type:
        return
    if user.type is UserType.integration:
        raise invalid_field("type", "An integration user stays an integration user.")
    if user.is_owner:
        raise invalid_field("type", "An owner is always of type user.")


async def _hashed(password: str) -> str:
    # Argon2 is deliberately slow and memory-hard: hash off the event loop.
    return await asyncio.to_thread(hash_password, password)


def _apply_profile(user: User, data: UserProfile, fields: set[str]) -> None:
    for name in PROFILE_COLUMNS:
        if name in fields:
            setattr(user, name, getattr(data, name))


def _ensure_not_locking_out(caller: Caller, user: User, field: str) -> None:
    """Archiving the user the token acts for would lock the caller out (422 naming `field`)."""
    if user.id == caller.user_id and user.archived_on(local_today(caller.now, caller.timezone)):
        raise invalid_field(field, "You cannot archive the user you act as.")


async def create_user(session: AsyncSession, caller: Caller, data: UserCreate) -> User:
    ensure_may_manage_users(caller)
    _check_type(None, data.type)
    await _unique_email(session, caller, data.email)
    user = User(
        space_id=caller.space_id,
        type=data.type,
        plan=data.plan,
        is_owner=False,
        email=data.email,
        first_name=data.first_name,
        last_name=data.last_name,
    )
    _apply_profile(user, data, set(PROFILE_COLUMNS))
    await set_external_identity(session, caller, user, data.external_id, data.external_origin)
    if data.password is not None:
        user.password_hash = await _hashed(data.password)
    user.custom_fields = await values.merge(
        session, caller, EntityType.user, None, data.custom_fields, creating=True
    )
    session.add(user)
    await flush_or_conflict(session)
    set_committed_value(user, "space", caller.user.space)
    return user


REQUIRED_ON_UPDATE = ("email", "first_name", "last_name", "type", "plan")


async def update_user(session: AsyncSession, caller: Caller, user: User, data: UserUpdate) -> User:
    ensure_may_manage_users(caller)
    given = data.model_fields_set
    for required in REQUIRED_ON_UPDATE:
        if required in given and getattr(data, required) is None:
            raise invalid_field(required, f"The {required} field may not be null.")
    if data.type is not None:
        _check_type(user, data.type)
        user.type = data.type
    if data.email is not None:
        await _unique_email(session, caller, data.email, user.id)
        user.email = data.email
    for name in ("first_name", "last_name", "plan"):
        if getattr(data, name) is not None:
            setattr(user, name, getattr(data, name))
    _apply_profile(user, data, given)
    if "password" in given:
        # `null` removes the password: the user can no longer sign in with one.
        user.password_hash = await _hashed(data.password) if data.password else None
    if given & {"external_id", "external_origin"}:
        external_id = data.external_id if "external_id" in given else user.external_id
        await set_external_identity(session, caller, user, external_id, data.external_origin)
    if "custom_fields" in given:
        user.custom_fields = await values.merge(
            session, caller, EntityType.user, user.custom_fields, data.custom_fields, creating=False
        )
    _ensure_not_locking_out(caller, user, "leave_date")
    await flush_or_conflict(session)
    return user


async def archive_user(session: AsyncSession, caller: Caller, user: User) -> None:
    ensure_may_manage_users(caller)
    if user.deleted_at is None:
        user.deleted_at = utcnow()
    _ensure_not_locking_out(caller, user, "id")
    await flush_or_conflict(session)


async def restore_user(session: AsyncSession, caller: Caller, user: User) -> User:
    """Un-archive: clears `deleted_at` and a leave date that has come, which archives too."""
    ensure_may_manage_users(caller)
    user.deleted_at = None
    if user.archived_on(local_today(caller.now, caller.timezone)):
        user.leave_date = None
    await flush_or_conflict(session)
    return user


async def set_avatar(
    session: AsyncSession, caller: Caller, user: User, file_id: str | None
) -> User:
    """Make one of the user's own files (entity_type user) their avatar, or clear it."""
    if not (caller.sees_everything or user.id == caller.user_id):
        raise forbidden("Only the user themself, owners and integrations may change an avatar.")
    file = None
    if file_id is not None:
        file = await session.scalar(
            select(StoredFile).where(
                StoredFile.space_id == caller.space_id,
                StoredFile.id == file_id,
                StoredFile.entity_type == "user",
                StoredFile.entity_id == user.id,
            )
        )
        if file is None:
            raise invalid_field("file_id", "The file must be a file uploaded for this user.")
    user.avatar_file_id = file.id if file else None
    set_committed_value(user, "avatar", file)  # rendered right away, without a query
    await flush_or_conflict(session)
    return user


async def active_user_types(
    session: AsyncSession, caller: Caller, user_ids: Iterable[str], field: str
) -> dict[str, UserType]:
    """The types of the given users, which must all be active (not archived) users of the
    caller's space; 422 naming `field` and the unknown ids otherwise."""
    wanted = set(user_ids)
    query = select(User.id, User.type).where(
        User.id.in_(wanted), User.space_id == caller.space_id, User.deleted_at.is_(None)
    )
    found: dict[str, UserType] = {row.id: row.type for row in (await session.execute(query)).all()}
    missing = wanted - set(found)
    if missing:
        raise invalid_field(field, f"Unknown users: {', '.join(sorted(missing))}.")
    return found
