"""Users as a resource: compact rendering (UserData), visibility and the `/users` list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import selectinload

from kanbert.kit.context import Caller
from kanbert.kit.query.fields import Field, FilterSpec, Kind, archived_mode
from kanbert.kit.resource import IncludeTree, Listing, Resource, by_column, by_external_id
from kanbert.spaces.render import space_data
from kanbert.users.models import User, UserPlan, UserType

LIMITED_TYPES = ("guest", "tax_advisor")


def user_data(user: User | None) -> dict[str, Any] | None:
    """UserData: the compact user nested everywhere; `user.space` must be loaded."""
    if user is None:
        return None
    return {
        "id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "type": user.type.value,
        "space": space_data(user.space),
    }


def _render(user: User, _tree: IncludeTree, _caller: Caller) -> dict[str, Any]:
    rendered = user_data(user)
    assert rendered is not None
    return rendered


def _visible(caller: Caller) -> ColumnElement[bool] | None:
    # Guests and tax advisors see only their own user record (auth.md §4).
    if caller.user_type in LIMITED_TYPES:
        return User.id == caller.user_id
    return None


def with_space(attribute: Any) -> Any:
    """Loader option for a relation to users, with each user's space (for UserData)."""
    return selectinload(attribute).selectinload(User.space)


users = Resource(
    name="users",
    model=User,
    render=_render,
    eager=lambda: (selectinload(User.space),),
    visible=_visible,
    lookups={"id": by_column(User.id), "external_id": by_external_id(User)},
)

_STRING = Kind.string

user_listing = Listing(
    resource=users,
    key="users",
    filters=FilterSpec(
        fields={
            "first_name": Field(_STRING, User.first_name),
            "last_name": Field(_STRING, User.last_name),
            "email": Field(_STRING, User.email),
            "type": Field(Kind.enum, User.type, choices=tuple(t.value for t in UserType)),
            "plan": Field(Kind.enum, User.plan, choices=tuple(p.value for p in UserPlan)),
            "is_owner": Field(Kind.boolean, User.is_owner),
            "created_at": Field(Kind.datetime, User.created_at),
        },
        modes={"archived": archived_mode(User.deleted_at)},
    ),
    sorts={
        "first_name": Field(_STRING, User.first_name),
        "last_name": Field(_STRING, User.last_name),
        "email": Field(_STRING, User.email),
        "created_at": Field(Kind.datetime, User.created_at),
    },
    default_sort=("last_name", "first_name"),
)
