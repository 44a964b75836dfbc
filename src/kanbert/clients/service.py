"""Client writes. Endpoints call these; the request's transaction commits them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from kanbert.clients.models import Client, ClientShare
from kanbert.clients.schemas import (
    ClientCreate,
    ClientUpdate,
    ExternalIdentifierUpdate,
    ShortcodeUpdate,
)
from kanbert.custom_fields import values as custom_field_values
from kanbert.custom_fields.models import EntityType
from kanbert.files.cleanup import drop_files_of
from kanbert.kit.context import Caller
from kanbert.kit.errors import conflict, forbidden, invalid_field, not_found
from kanbert.kit.records import ensure_unique, flush_or_conflict, refuse_nulls
from kanbert.kit.shortcodes import free_shortcode
from kanbert.kit.timefmt import utcnow
from kanbert.spaces.models import Space
from kanbert.users.models import User
from kanbert.webhooks.capture import deleting

WRITERS = ("user", "integration")


def ensure_may_write(caller: Caller, client: Client | None = None) -> None:
    if caller.user_type not in WRITERS:
        raise forbidden("Your user type may not change clients.")
    if client is not None and client.space_id != caller.space_id:
        raise forbidden("This client is shared from another space and is read-only here.")


async def _contact(session: AsyncSession, caller: Caller, user_id: str | None) -> User | None:
    """The primary contact: a user of the caller's space, with its space loaded."""
    if user_id is None:
        return None
    user = await session.scalar(
        select(User).where(
            User.id == user_id, User.space_id == caller.space_id, User.deleted_at.is_(None)
        )
    )
    if user is None:
        raise invalid_field("primary_contact_id", "The selected primary contact does not exist.")
    set_committed_value(user, "space", caller.user.space)
    return user


async def _unique_shortcode(
    session: AsyncSession, caller: Caller, shortcode: str, exclude_id: str | None = None
) -> None:
    await ensure_unique(
        session,
        Client,
        "shortcode",
        (Client.space_id == caller.space_id) & (func.lower(Client.shortcode) == shortcode.lower()),
        exclude_id,
    )


async def _unique_external(
    session: AsyncSession,
    caller: Caller,
    external_id: str | None,
    origin: str,
    exclude_id: str | None = None,
) -> None:
    if external_id is None:
        return
    await ensure_unique(
        session,
        Client,
        "external_id",
        (Client.space_id == caller.space_id)
        & (Client.external_origin == origin)
        & (Client.external_id == external_id),
        exclude_id,
    )


async def create_client(session: AsyncSession, caller: Caller, data: ClientCreate) -> Client:
    ensure_may_write(caller)
    contact = await _contact(session, caller, data.primary_contact_id)
    origin = data.external_origin or caller.origin
    await _unique_external(session, caller, data.external_id, origin)
    if data.shortcode:
        await _unique_shortcode(session, caller, data.shortcode)
    shortcode = data.shortcode or await free_shortcode(session, Client, caller.space_id, data.name)
    client = Client(
        space_id=caller.space_id,
        name=data.name,
        shortcode=shortcode,
        segment=data.segment,
        primary_contact_id=contact.id if contact else None,
        external_id=data.external_id,
        external_origin=origin if data.external_id is not None or data.external_origin else None,
    )
    client.custom_fields = await custom_field_values.merge(
        session, caller, EntityType.client, {}, data.custom_fields, creating=True
    )
    session.add(client)
    await flush_or_conflict(session)
    set_committed_value(client, "primary_contact", contact)
    set_committed_value(client, "space", caller.user.space)
    return client


async def update_client(
    session: AsyncSession, caller: Caller, client: Client, data: ClientUpdate
) -> Client:
    ensure_may_write(caller, client)
    given = data.model_fields_set
    refuse_nulls(data, ("name", "segment"))
    if data.name is not None:
        client.name = data.name
    if data.segment is not None:
        client.segment = data.segment
    if "primary_contact_id" in given:
        contact = await _contact(session, caller, data.primary_contact_id)
        client.primary_contact_id = contact.id if contact else None
        set_committed_value(client, "primary_contact", contact)
    if "custom_fields" in given:
        client.custom_fields = await custom_field_values.merge(
            session,
            caller,
            EntityType.client,
            client.custom_fields,
            data.custom_fields,
            creating=False,
        )
    await flush_or_conflict(session)
    return client


async def set_external_identifier(
    session: AsyncSession, caller: Caller, client: Client, data: ExternalIdentifierUpdate
) -> Client:
    ensure_may_write(caller, client)
    await _unique_external(session, caller, data.external_id, data.external_origin, client.id)
    client.external_id = data.external_id
    client.external_origin = data.external_origin
    await flush_or_conflict(session)
    return client


async def set_shortcode(
    session: AsyncSession, caller: Caller, client: Client, data: ShortcodeUpdate
) -> Client:
    ensure_may_write(caller, client)
    await _unique_shortcode(session, caller, data.shortcode, client.id)
    client.shortcode = data.shortcode
    await flush_or_conflict(session)
    return client


async def archive_client(session: AsyncSession, caller: Caller, client: Client) -> None:
    ensure_may_write(caller, client)
    if client.deleted_at is None:
        client.deleted_at = utcnow()
    await flush_or_conflict(session)


async def restore_client(session: AsyncSession, caller: Caller, client: Client) -> Client:
    ensure_may_write(caller, client)
    client.deleted_at = None
    await flush_or_conflict(session)
    return client


async def force_delete_client(session: AsyncSession, caller: Caller, client: Client) -> list[str]:
    """Delete the client for good; returns the ids of its files, whose bytes are to go."""
    ensure_may_write(caller, client)
    await deleting(session, "client", [client.id])
    await session.delete(client)
    try:
        await session.flush()
    except IntegrityError:
        raise conflict("The client is still referenced (e.g. by projects).") from None
    return await drop_files_of(session, client.space_id, "client", [client.id])


def _ensure_may_share(caller: Caller, client: Client) -> None:
    ensure_may_write(caller, client)
    if not caller.sees_everything:
        raise forbidden("Only owners and integrations may share clients.")


async def share_client(
    session: AsyncSession, caller: Caller, client: Client, space_id: str
) -> tuple[ClientShare, Space, bool]:
    """The share of `client` with `space_id`, created unless it exists (then `False`)."""
    _ensure_may_share(caller, client)
    if space_id == caller.space_id:
        raise invalid_field("space_id", "A client cannot be shared with its own space.")
    space = await session.get(Space, space_id)
    if space is None:
        raise invalid_field("space_id", "The selected space does not exist.")
    share = await session.scalar(
        select(ClientShare).where(
            ClientShare.client_id == client.id, ClientShare.space_id == space_id
        )
    )
    if share is not None:
        return share, space, False
    share = ClientShare(client_id=client.id, space_id=space_id)
    session.add(share)
    await flush_or_conflict(session)
    return share, space, True


async def unshare_client(
    session: AsyncSession, caller: Caller, client: Client, space_id: str
) -> None:
    _ensure_may_share(caller, client)
    share = await session.scalar(
        select(ClientShare).where(
            ClientShare.client_id == client.id, ClientShare.space_id == space_id
        )
    )
    if share is None:
        raise not_found()
    await session.delete(share)
    await flush_or_conflict(session)
