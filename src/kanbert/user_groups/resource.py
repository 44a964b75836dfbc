"""User groups as a resource: rendering (UsergroupData), visibility, lookups and the list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false

from kanbert.kit.context import Caller
from kanbert.kit.query.fields import Field, FilterSpec, Kind
from kanbert.kit.resource import (
    Include,
    IncludeTree,
    Listing,
    Resource,
    by_column,
    by_external_id,
)
from kanbert.user_groups.models import UserGroup
from kanbert.users.resource import LIMITED_TYPES, active_and_visible, render_includes, users


def user_group_data(group: UserGroup, tree: IncludeTree, caller: Caller) -> dict[str, Any]:
    return {
        "id": group.id,
        "external_id": group.external_id,
        "name": group.name,
        "is_team": group.is_team,
        **render_includes(user_groups, group, tree, caller),
    }


def _visible(caller: Caller) -> ColumnElement[bool] | None:
    # Guests and tax advisors see projects, tasks, their own user record (and clients), but no
    # user groups: auth.md §4 lists what they see, and groups are not among it.
    return false() if caller.user_type in LIMITED_TYPES else None


user_groups = Resource(
    name="user-groups",
    model=UserGroup,
    render=user_group_data,
    includes={
        # Archived members (and, for limited callers, other users) stay out of the include.
        "users": Include(
            attribute=lambda: UserGroup.users, target=lambda: users, where=active_and_visible
        )
    },
    visible=_visible,
    lookups={"id": by_column(UserGroup.id), "external_id": by_external_id(UserGroup)},
)

_name = Field(Kind.string, UserGroup.name)
_is_team = Field(Kind.boolean, UserGroup.is_team)

user_group_listing = Listing(
    resource=user_groups,
    key="user-groups",
    filters=FilterSpec(fields={"name": _name, "is_team": _is_team}),
    sorts={"name": _name, "is_team": _is_team},
    default_sort=("name",),
    includes=("users",),
)
