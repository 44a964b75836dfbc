"""Clients declared once: rendering, visibility, lookups and the two lists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case, false, null, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import immediateload

from kanbert.clients.models import Client, ClientSegment, ClientShare
from kanbert.custom_fields import values as custom_field_values
from kanbert.custom_fields.models import EntityType
from kanbert.kit.context import Caller
from kanbert.kit.query.fields import Field, FilterSpec, Kind, archived_mode
from kanbert.kit.resource import (
    Extension,
    Include,
    IncludeTree,
    Listing,
    Resource,
    by_column,
    by_external_id,
    by_lowercase,
)
from kanbert.kit.timefmt import format_datetime
from kanbert.spaces.render import space_data
from kanbert.users.resource import user_data, with_space


def client_data(client: Client, caller: Caller) -> dict[str, Any]:
    """ClientData; `primary_contact` (with its space) and `space` must be loaded."""
    shared_from = client.space if client.space_id != caller.space_id else None
    return {
        "id": client.id,
        "external_id": client.external_id,
        "external_origin": client.external_origin,
        "name": client.name,
        "shortcode": client.shortcode,
        "primary_contact": user_data(client.primary_contact),
        "origin_space": space_data(shared_from),
    }


def client_full_data(client: Client, tree: IncludeTree, caller: Caller) -> dict[str, Any]:
    data = {
        **client_data(client, caller),
        "segment": client.segment.value,
        "custom_fields": custom_field_values.render(
            client.custom_fields, EntityType.client, caller
        ),
        "updated_at": format_datetime(client.updated_at),
        "created_at": format_datetime(client.created_at),
        "deleted_at": format_datetime(client.deleted_at),
    }
    if "projects" in tree:
        data["projects"] = _projects().client_projects_data(client, tree["projects"], caller)
    return data


def _projects() -> Any:
    # projects.resource imports this module (a project embeds its client): looked up on use.
    from kanbert.projects import resource

    return resource


async def _project_filters(session: AsyncSession, caller: Caller) -> Extension:
    extension: Extension = await _projects().client_project_filters(session, caller)
    return extension


def _client_basic(client: Client, _tree: IncludeTree, caller: Caller) -> dict[str, Any]:
    return client_data(client, caller)


def _visible(caller: Caller) -> ColumnElement[bool] | None:
    # Guests see no CRM data; tax advisors may read clients (auth.md §4).
    return false() if caller.user_type == "guest" else None


def _own_or_shared(caller: Caller) -> ColumnElement[bool]:
    """Clients of the caller's space, and those other spaces share with it (read-only)."""
    shared = select(ClientShare.client_id).where(ClientShare.space_id == caller.space_id)
    return or_(Client.space_id == caller.space_id, Client.id.in_(shared))


def _origin_space_id(caller: Caller) -> ColumnElement[Any]:
    return case((Client.space_id != caller.space_id, Client.space_id), else_=null())


async def _sharing_filters(_session: AsyncSession, caller: Caller) -> Extension:
    return Extension(
        filters={"origin_space.id": Field(Kind.id, _origin_space_id(caller), nullable=True)}
    )


clients = Resource(
    name="clients",
    model=Client,
    render=client_full_data,
    # The client's space is nearly always the caller's, already in the session (see
    # `space_of_users`): looked up there first, queried only for a client shared from elsewhere.
    eager=lambda: (with_space(Client.primary_contact), immediateload(Client.space)),
    visible=_visible,
    tenancy=_own_or_shared,
    prepare=(custom_field_values.prepare(EntityType.client),),
    includes={
        # Only the caller's visible, active projects (also of a client shared with them).
        "projects": Include(
            attribute=lambda: _projects().client_projects(),
            target=lambda: _projects().projects,
            where=lambda caller: _projects().projects_of(caller),
        )
    },
    lookups={
        "id": by_column(Client.id),
        "external_id": by_external_id(Client),
        "shortcode": by_lowercase(Client.shortcode),
    },
)

_name = Field(Kind.string, Client.name)
_shortcode = Field(Kind.string, Client.shortcode)
_common_filters: dict[str, Field] = {
    "name": _name,
    "shortcode": _shortcode,
    "primary_contact.id": Field(Kind.id, Client.primary_contact_id, nullable=True),
}
_archived = {"archived": archived_mode(Client.deleted_at)}

client_listing = Listing(
    resource=clients,
    key="clients",
    render=_client_basic,
    filters=FilterSpec(fields=_common_filters, modes=_archived),
    extensions=(_sharing_filters,),
    sorts={"name": _name, "shortcode": _shortcode},
    default_sort=("name",),
)

client_full_listing = Listing(
    resource=clients,
    key="clients.full",
    filters=FilterSpec(
        fields={
            **_common_filters,
            "segment": Field(
                Kind.enum, Client.segment, choices=tuple(s.value for s in ClientSegment)
            ),
        },
        modes=_archived,
    ),
    extensions=(_sharing_filters, _project_filters),
    sorts={
        "name": _name,
        "shortcode": _shortcode,
        "created_at": Field(Kind.datetime, Client.created_at),
    },
    default_sort=("name",),
    includes=("projects",),
)
