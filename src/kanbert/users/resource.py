"""Users as a resource: rendering (UserData, UserFullData), visibility and the `/users` list."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from sqlalchemy import ColumnElement, not_, true
from sqlalchemy.orm import immediateload, joinedload, selectinload

from kanbert.custom_fields import values
from kanbert.custom_fields.models import EntityType
from kanbert.files.render import file_data
from kanbert.kit.context import Caller
from kanbert.kit.query.fields import Field, FilterSpec, Kind, archived_mode_by
from kanbert.kit.resource import (
    Include,
    IncludeTree,
    Listing,
    Resource,
    by_column,
    by_external_id,
)
from kanbert.kit.timefmt import format_date, format_datetime
from kanbert.spaces.render import space_data
from kanbert.users.models import User, UserPlan, UserType, local_today

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


def render_includes(
    resource: Resource, record: Any, tree: IncludeTree, caller: Caller
) -> dict[str, Any]:
    """The included relations of `record` (each attribute named like its include), rendered by
    their target resources. Shared by users and user groups, which embed each other."""
    return {
        name: [
            resource.includes[name].target().render(item, subtree, caller)
            for item in getattr(record, name)
        ]
        for name, subtree in tree.items()
    }


def _render(user: User, tree: IncludeTree, caller: Caller) -> dict[str, Any]:
    rendered = user_data(user)
    assert rendered is not None
    return {**rendered, **render_includes(users, user, tree, caller)}


def user_full_data(user: User, tree: IncludeTree, caller: Caller) -> dict[str, Any]:
    """UserFullData; custom field definitions must be prepared (`Resource.prepare`)."""
    return {
        "id": user.id,
        "external_id": user.external_id,
        "external_origin": user.external_origin,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "title": user.title,
        "title_suffix": user.title_suffix,
        "email": user.email,
        "birthday": format_date(user.birthday),
        "gender": user.gender,
        "position": user.position,
        "special_roles": user.special_roles,
        "skills": user.skills,
        "profile": user.profile,
        "language": user.language,
        "languages": user.languages,
        "telephone_office": user.telephone_office,
        "phone_extension": user.phone_extension,
        "telephone": user.telephone,
        "entry_date": format_date(user.entry_date),
        "leave_date": format_date(user.leave_date),
        "type": user.type.value,
        "plan": user.plan.value,
        "is_owner": user.is_owner,
        "avatar": file_data(user.avatar) if user.avatar_file_id else None,
        "custom_fields": values.render(user.custom_fields, EntityType.user, caller),
        "space": space_data(user.space),
        "created_at": format_datetime(user.created_at),
        "updated_at": format_datetime(user.updated_at),
        "deleted_at": format_datetime(user.deleted_at),
        **render_includes(users, user, tree, caller),
    }


def _visible(caller: Caller) -> ColumnElement[bool] | None:
    # Guests and tax advisors see only their own user record (auth.md §4).
    if caller.user_type in LIMITED_TYPES:
        return User.id == caller.user_id
    return None


def archived_on(day: date) -> ColumnElement[bool]:
    """Users that count as archived on `day` (deleted, or past their leave date)."""
    # The hybrid's class-level call is typed loosely (SQLCoreOperations); it is this column test.
    return cast(ColumnElement[bool], User.archived_on(day))


def is_archived(caller: Caller) -> ColumnElement[bool]:
    """Users that count as archived today in the caller's space."""
    return archived_on(local_today(caller.now, caller.timezone))


def active_and_visible(caller: Caller) -> ColumnElement[bool]:
    """The users an include may show: visible to the caller and not archived."""
    visible = _visible(caller)
    active = not_(is_archived(caller))
    return active if visible is None else active & visible


def space_of_users() -> Any:
    """Loader option for `User.space` (UserData renders it).

    Nearly every user a response embeds is of the caller's space, which `authenticate` has
    already put in the session: `immediateload` looks a many-to-one up in the identity map
    first and queries only the spaces that are not there (one query per other space), where
    `selectinload` would send the same `SELECT spaces … IN` again for every relation to users.
    """
    return immediateload(User.space)


def with_space(attribute: Any) -> Any:
    """Loader option for a (many-to-one) relation to a user, with the user's space (for
    UserData). Joined into the statement that loads the parent rather than a statement of its
    own: each statement of a load costs SQLAlchemy a walk over all of the load's options for
    its cache key, besides the round trip (profiles in bench/README.md)."""
    return joinedload(attribute).options(space_of_users())


def _user_groups() -> Resource:
    # Imported on use: the user groups resource includes users, so it imports this module.
    from kanbert.user_groups.resource import user_groups

    return user_groups


def _visible_groups(caller: Caller) -> ColumnElement[bool]:
    rule = _user_groups().visible(caller)
    return true() if rule is None else rule


users = Resource(
    name="users",
    model=User,
    render=_render,
    eager=lambda: (space_of_users(), selectinload(User.avatar)),
    includes={
        "user_groups": Include(
            attribute=lambda: User.user_groups, target=_user_groups, where=_visible_groups
        )
    },
    visible=_visible,
    lookups={"id": by_column(User.id), "external_id": by_external_id(User)},
    prepare=(values.prepare(EntityType.user),),
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
        # Users past their leave date count as archived, judged on the space's day.
        modes={"archived": archived_mode_by(lambda ctx: archived_on(ctx.today()))},
    ),
    sorts={
        "first_name": Field(_STRING, User.first_name),
        "last_name": Field(_STRING, User.last_name),
        "email": Field(_STRING, User.email),
        "created_at": Field(Kind.datetime, User.created_at),
    },
    default_sort=("last_name", "first_name"),
    includes=("user_groups",),
    extensions=(values.listing_extension(EntityType.user, User.custom_fields),),
)
