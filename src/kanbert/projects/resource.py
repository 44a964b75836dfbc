"""Projects, project types and portfolios declared once: rendering, visibility, lists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from kanbert.clients.models import Client
from kanbert.clients.resource import client_data, clients
from kanbert.companies.resource import embedded
from kanbert.custom_fields import values
from kanbert.custom_fields.models import EntityType
from kanbert.kit.context import Caller
from kanbert.kit.query.fields import Field, FilterSpec, Kind, RelatedRows, Relation, archived_mode
from kanbert.kit.resource import (
    Extension,
    Include,
    IncludeTree,
    Listing,
    Resource,
    by_column,
    by_external_id,
    by_lowercase,
    table_listing,
)
from kanbert.kit.timefmt import format_date, format_datetime
from kanbert.lookups.models import Tag
from kanbert.lookups.resource import tags
from kanbert.projects.models import (
    Portfolio,
    Project,
    ProjectGuest,
    ProjectMember,
    ProjectStatus,
    ProjectType,
    project_tags,
)
from kanbert.projects.models import client_projects as client_projects
from kanbert.spaces.models import Space
from kanbert.tasks.totals import Totals, totals_data
from kanbert.users.models import User
from kanbert.users.resource import LIMITED_TYPES, space_of_users, user_data, with_space

# -- visibility -----------------------------------------------------------------------------


def _is_guest_of(caller: Caller) -> ColumnElement[bool]:
    return exists().where(
        ProjectGuest.project_id == Project.id, ProjectGuest.user_id == caller.user_id
    )


def project_visible(caller: Caller) -> ColumnElement[bool] | None:
    """auth.md §4: owners and integrations see every project; users all but the private ones
    they are not on; guests and tax advisors only those they are a guest of."""
    if caller.sees_everything:
        return None
    if caller.user_type in LIMITED_TYPES:
        return _is_guest_of(caller)
    on_team = exists().where(
        ProjectMember.project_id == Project.id, ProjectMember.user_id == caller.user_id
    )
    return or_(Project.is_private.is_(False), on_team, _is_guest_of(caller))


def in_visible_project(project_id: Any, caller: Caller) -> ColumnElement[bool] | None:
    """Rows whose `project_id` column names a project the caller sees (None: no rule).

    `IN (visible project ids)`, so the planner runs the project rule once, not per row; every
    record that lives in a project (tasks, phases, efforts …) is visible through this."""
    rule = project_visible(caller)
    if rule is None:
        return None
    seen: ColumnElement[bool] = project_id.in_(
        select(Project.id).where(Project.space_id == caller.space_id, rule)
    )
    return seen


def projects_of(caller: Caller) -> ColumnElement[bool]:
    """Projects another resource may show this caller (a client's `projects`): of the caller's
    own space (a shared client's projects in its home space are not theirs), not archived and
    visible."""
    visible = project_visible(caller)
    own = and_(Project.space_id == caller.space_id, Project.deleted_at.is_(None))
    return own if visible is None else and_(own, visible)


# -- computed_fields ------------------------------------------------------------------------


def _effort_link() -> Any:
    # efforts.models imports this module's neighbours; imported on use.
    from kanbert.efforts.models import Effort

    return Effort.project_id == Project.id


def _task_link() -> Any:
    from kanbert.tasks.models import Task

    return Task.project_id == Project.id


project_totals = Totals(Project, _task_link, _effort_link)


# -- rendering ------------------------------------------------------------------------------


def project_type_data(row: ProjectType | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "id": row.id,
        "title": row.title,
        "shortcode": row.shortcode,
        "color": row.color,
        "order": row.order,
        "is_default": row.is_default,
    }


def portfolio_data(row: Portfolio | None) -> dict[str, Any] | None:
    return None if row is None else {"id": row.id, "title": row.title}


def project_data(project: Project, tree: IncludeTree, caller: Caller) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": project.id,
        "external_id": project.external_id,
        "external_origin": project.external_origin,
        "title": project.title,
        "description": project.description,
        "shortcode": project.shortcode,
        "po_number": project.po_number,
        "project_type": project_type_data(project.project_type),
        "project_group": portfolio_data(project.project_group),
        "status": project.status.value,
        "is_acquisition": project.is_acquisition,
        "is_private": project.is_private,
        "start_date": format_date(project.start_date),
        "end_date": format_date(project.end_date),
        # `client` (with its primary contact) is always rendered; the include is accepted only.
        "client": client_data(project.client, caller),
        "custom_fields": values.render(project.custom_fields, EntityType.project, caller),
        "created_by": user_data(project.created_by),
        "created_at": format_datetime(project.created_at),
        "updated_at": format_datetime(project.updated_at),
        "deleted_at": format_datetime(project.deleted_at),
    }
    if "team" in tree:
        data["team"] = embedded(projects, "team", project.members, tree, caller)
    if "guests" in tree:
        data["guests"] = embedded(projects, "guests", project.guests, tree, caller)
    if "tags" in tree:
        data["tags"] = embedded(projects, "tags", project.tags, tree, caller)
    if "computed_fields" in tree:
        data["computed_fields"] = totals_data(project)
    return data


def _member(member: ProjectMember, _tree: IncludeTree, _caller: Caller) -> dict[str, Any]:
    rendered = user_data(member.user)
    assert rendered is not None
    return {**rendered, "added_at": format_datetime(member.added_at)}


def _user(user: User, _tree: IncludeTree, _caller: Caller) -> dict[str, Any]:
    rendered = user_data(user)
    assert rendered is not None
    return rendered


def _client(client: Client, _tree: IncludeTree, caller: Caller) -> dict[str, Any]:
    return client_data(client, caller)


# Targets of includes that only embed: never listed or looked up on their own.
_team_members = Resource(
    name="project_members",
    model=ProjectMember,
    render=_member,
    eager=lambda: (with_space(ProjectMember.user),),
)
_users = Resource(name="users", model=User, render=_user, eager=lambda: (space_of_users(),))


def _loaded_anyway(_caller: Caller) -> tuple[()]:
    # The project's eager loads (`_eager`) bring these already; a loader of its own for the
    # same path would conflict with theirs (SQLAlchemy refuses two strategies for one path).
    return ()


# `include=client,client.primary_contact` is accepted for compatibility; both always render.
_client_include = Resource(
    name="clients",
    model=Client,
    render=_client,
    eager=clients.eager,
    includes={
        "primary_contact": Include(
            lambda: Client.primary_contact, lambda: _users, load=_loaded_anyway
        )
    },
)


def _only_self(caller: Caller, user_id: Any) -> ColumnElement[bool]:
    # Guests and tax advisors see no user records but their own (auth.md §4), also here.
    return user_id == caller.user_id if caller.user_type in LIMITED_TYPES else true()


def _eager() -> tuple[Any, ...]:
    # Many-to-one lookups, joined into the statement that loads the projects (bench/README.md).
    return (
        joinedload(Project.project_type),
        joinedload(Project.project_group),
        joinedload(Project.client).options(*clients.eager()),
        with_space(Project.created_by),
    )


projects = Resource(
    name="projects",
    model=Project,
    render=project_data,
    eager=_eager,
    includes={
        "team": Include(
            attribute=lambda: Project.members,
            target=lambda: _team_members,
            where=lambda caller: _only_self(caller, ProjectMember.user_id),
        ),
        "guests": Include(
            attribute=lambda: Project.guests,
            target=lambda: _users,
            where=lambda caller: _only_self(caller, User.id),
        ),
        "tags": Include(attribute=lambda: Project.tags, target=lambda: tags.resource),
        "client": Include(
            attribute=lambda: Project.client, target=lambda: _client_include, load=_loaded_anyway
        ),
        "computed_fields": project_totals.include(),
    },
    visible=project_visible,
    lookups={
        "id": by_column(Project.id),
        "external_id": by_external_id(Project),
        "shortcode": by_lowercase(Project.shortcode),
    },
    prepare=(values.prepare(EntityType.project),),
)

# -- the list -------------------------------------------------------------------------------


def _tag_rows() -> RelatedRows:
    tag_table = Tag.__table__
    return RelatedRows(
        source=project_tags.join(tag_table, tag_table.c.id == project_tags.c.tag_id),
        link=project_tags.c.project_id == Project.id,
        fields={"title": Field(Kind.string, tag_table.c.title)},
    )


def _team_rows(caller: Caller | None = None) -> RelatedRows:
    members, people, spaces = (
        ProjectMember.__table__,
        User.__table__,
        Space.__table__,
    )
    return RelatedRows(
        source=members.join(people, people.c.id == members.c.user_id).join(
            spaces, spaces.c.id == people.c.space_id
        ),
        link=and_(members.c.project_id == Project.id, _people_seen(caller, people.c.id)),
        fields={
            "id": Field(Kind.id, people.c.id),
            "email": Field(Kind.string, people.c.email),
            "space.id": Field(Kind.id, spaces.c.id),
            "space.name": Field(Kind.string, spaces.c.name),
            "added_at": Field(Kind.datetime, members.c.added_at),
        },
    )


def _guest_rows(caller: Caller | None = None) -> RelatedRows:
    guests, people = ProjectGuest.__table__, User.__table__
    return RelatedRows(
        source=guests.join(people, people.c.id == guests.c.user_id),
        link=and_(guests.c.project_id == Project.id, _people_seen(caller, people.c.id)),
        fields={
            "id": Field(Kind.id, people.c.id),
            "email": Field(Kind.string, people.c.email),
        },
    )


def _people_seen(caller: Caller | None, user_id: Any) -> ColumnElement[bool]:
    # Without a caller (the declaration that documents the list) every row counts; each request
    # replaces it with its caller's rule through `people_filters`.
    return true() if caller is None else _only_self(caller, user_id)


_TEAM_FIELDS = ("id", "email", "space.id", "space.name", "added_at")
_GUEST_FIELDS = ("id", "email")


async def people_filters(_session: AsyncSession, caller: Caller) -> Extension:
    """`team` and `guests` filters that match only the people the caller may see: guests and
    tax advisors only themselves, so a filter cannot probe others' ids or e-mails."""
    return Extension(
        filters={
            "team": Relation(related=lambda: _team_rows(caller), field_names=_TEAM_FIELDS),
            "guests": Relation(related=lambda: _guest_rows(caller), field_names=_GUEST_FIELDS),
        }
    )


def _client_column(column: str) -> Any:
    table = Client.__table__
    return lambda: select(table.c[column]).where(table.c.id == Project.client_id).scalar_subquery()


def _project_type_title() -> Any:
    table = ProjectType.__table__
    return select(table.c.title).where(table.c.id == Project.project_type_id).scalar_subquery()


_title = Field(Kind.string, Project.title)
_shortcode = Field(Kind.string, Project.shortcode)
_created_at = Field(Kind.datetime, Project.created_at)
_updated_at = Field(Kind.datetime, Project.updated_at)

project_listing = Listing(
    resource=projects,
    key="projects",
    filters=FilterSpec(
        fields={
            "shortcode": _shortcode,
            "title": _title,
            "name": _title,  # (D) an alias of `title`
            "status": Field(
                Kind.enum, Project.status, choices=tuple(s.value for s in ProjectStatus)
            ),
            "is_acquisition": Field(Kind.boolean, Project.is_acquisition),
            "is_private": Field(Kind.boolean, Project.is_private),
            "client.id": Field(Kind.id, Project.client_id),
            "client.name": Field(Kind.string, _client_column("name")),
            "client.shortcode": Field(Kind.string, _client_column("shortcode")),
            "client.primary_contact_id": Field(
                Kind.id, _client_column("primary_contact_id"), nullable=True
            ),
            "project_type.title": Field(Kind.string, _project_type_title, nullable=True),
            "project_type.id": Field(Kind.id, Project.project_type_id, nullable=True),
            "project_group.id": Field(Kind.id, Project.project_group_id, nullable=True),
            "created_by": Field(Kind.id, Project.created_by_id, nullable=True),
            "created_at": _created_at,
            "updated_at": _updated_at,
            "start_date": Field(Kind.date, Project.start_date, nullable=True),
            "end_date": Field(Kind.date, Project.end_date, nullable=True),
            "tags": Relation(related=_tag_rows, field_names=("title",)),
            # Replaced per request by `people_filters` (caller-aware); declared here for the docs.
            "team": Relation(related=_team_rows, field_names=_TEAM_FIELDS),
            "guests": Relation(related=_guest_rows, field_names=_GUEST_FIELDS),
        },
        modes={"archived": archived_mode(Project.deleted_at)},
    ),
    sorts={
        "shortcode": _shortcode,
        "title": _title,
        "updated_at": _updated_at,
        "created_at": _created_at,
    },
    default_sort=("title",),
    includes=("team", "guests", "tags", "client", "computed_fields"),
    extensions=(
        values.listing_extension(EntityType.project, Project.custom_fields),
        people_filters,
        project_totals.sorts,
    ),
)

# -- project types and portfolios -----------------------------------------------------------


_type_title = Field(Kind.string, ProjectType.title)
_type_order = Field(Kind.number, ProjectType.order)
project_type_listing = table_listing(
    "project-types",
    ProjectType,
    project_type_data,
    filters={
        "title": _type_title,
        "shortcode": Field(Kind.string, ProjectType.shortcode, nullable=True),
        "is_default": Field(Kind.boolean, ProjectType.is_default),
    },
    sorts={"order": _type_order, "title": _type_title},
    default_sort=("order", "title"),
)


def _portfolio(row: Portfolio, tree: IncludeTree, caller: Caller) -> dict[str, Any]:
    data = portfolio_data(row)
    assert data is not None
    if "projects_assigned" in tree:
        data["projects_assigned"] = embedded(
            portfolios, "projects_assigned", row.projects, tree, caller
        )
    return data


portfolios = Resource(
    name="portfolios",
    model=Portfolio,
    render=_portfolio,
    includes={
        "projects_assigned": Include(
            attribute=lambda: Portfolio.projects, target=lambda: projects, where=projects_of
        )
    },
    lookups={"id": by_column(Portfolio.id)},
)
_portfolio_title = Field(Kind.string, Portfolio.title)
portfolio_listing = Listing(
    resource=portfolios,
    key="portfolios",
    filters=FilterSpec(fields={"title": _portfolio_title}),
    sorts={"title": _portfolio_title},
    default_sort=("title",),
    includes=("projects_assigned",),
)


# -- a client's projects (`/clients/full`) ----------------------------------------------------


def client_projects_data(client: Client, tree: IncludeTree, caller: Caller) -> list[dict[str, Any]]:
    """A client's loaded (`include=projects`) projects as ProjectData."""
    # The relation is a backref declared in projects.models, unknown to the type checker.
    rows: list[Project] = getattr(client, "projects")  # noqa: B009
    return [project_data(project, tree, caller) for project in rows]


async def client_project_filters(_session: AsyncSession, caller: Caller) -> Extension:
    """The `projects` relation filter of `/clients/full`; per caller, since which projects
    exist for them depends on who asks (a hidden project must not match)."""
    table = Project.__table__

    def rows() -> RelatedRows:
        return RelatedRows(
            source=table,
            link=and_(table.c.client_id == Client.id, projects_of(caller)),
            fields={
                "shortcode": Field(Kind.string, table.c.shortcode),
                "name": Field(Kind.string, table.c.title),
                "is_acquisition": Field(Kind.boolean, table.c.is_acquisition),
                "status": Field(
                    Kind.enum, table.c.status, choices=tuple(s.value for s in ProjectStatus)
                ),
            },
        )

    relation = Relation(related=rows, field_names=("shortcode", "name", "is_acquisition", "status"))
    # `Extension.filters` is typed for plain fields, but the compiler takes relations from an
    # extension exactly as from the listing's own filters (`extend_listing` merges both).
    return Extension(filters={"projects": relation})
