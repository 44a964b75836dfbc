"""Clients declared once: rendering, visibility, lookups and the two lists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String, false, null, type_coerce

from kanbert.clients.models import Client, ClientSegment
from kanbert.kit.context import Caller
from kanbert.kit.query.fields import Field, FilterSpec, Kind, archived_mode
from kanbert.kit.resource import (
    IncludeTree,
    Listing,
    Resource,
    by_column,
    by_external_id,
    by_lowercase,
)
from kanbert.kit.timefmt import format_datetime
from kanbert.users.resource import user_data, with_space


def client_data(client: Client) -> dict[str, Any]:
    return {
        "id": client.id,
        "external_id": client.external_id,
        "external_origin": client.external_origin,
        "name": client.name,
        "shortcode": client.shortcode,
        "primary_contact": user_data(client.primary_contact),
        # Sharing between spaces arrives with the CRM work; until then no client is shared.
        "origin_space": None,
    }


def client_full_data(client: Client, _tree: IncludeTree, _caller: Caller) -> dict[str, Any]:
    return {
        **client_data(client),
        "segment": client.segment.value,
        "updated_at": format_datetime(client.updated_at),
        "created_at": format_datetime(client.created_at),
        "deleted_at": format_datetime(client.deleted_at),
    }


def _client_basic(client: Client, _tree: IncludeTree, _caller: Caller) -> dict[str, Any]:
    return client_data(client)


def _visible(caller: Caller) -> ColumnElement[bool] | None:
    # Guests see no CRM data; tax advisors may read clients (auth.md §4).
    return false() if caller.user_type == "guest" else None


clients = Resource(
    name="clients",
    model=Client,
    render=client_full_data,
    eager=lambda: (with_space(Client.primary_contact),),
    visible=_visible,
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
    "origin_space.id": Field(Kind.id, type_coerce(null(), String), nullable=True),
}
_archived = {"archived": archived_mode(Client.deleted_at)}

client_listing = Listing(
    resource=clients,
    key="clients",
    render=_client_basic,
    filters=FilterSpec(fields=_common_filters, modes=_archived),
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
    sorts={
        "name": _name,
        "shortcode": _shortcode,
        "created_at": Field(Kind.datetime, Client.created_at),
    },
    default_sort=("name",),
)
