"""Project, project type and portfolio writes. Endpoints call these; the request's
transaction commits them. Project writes return the project read back as rendered."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.clients.models import Client
from kanbert.clients.resource import clients
from kanbert.companies import common
from kanbert.custom_fields.models import EntityType
from kanbert.kit.context import Caller
from kanbert.kit.errors import forbidden, invalid_field, not_found
from kanbert.kit.html import sanitize_html
from kanbert.kit.records import ensure_unique
from kanbert.kit.resource import IncludeTree
from kanbert.kit.shortcodes import free_shortcode
from kanbert.lookups.service import referenced_tags
from kanbert.projects.models import (
    Portfolio,
    Project,
    ProjectGuest,
    ProjectMember,
    ProjectType,
    project_tags,
)
from kanbert.projects.resource import projects
from kanbert.projects.schemas import (
    PortfolioBody,
    ProjectCreate,
    ProjectFields,
    ProjectTypeCreate,
    ProjectTypeUpdate,
)
from kanbert.users.models import User, UserType
from kanbert.users.resource import LIMITED_TYPES

_PLAIN = ("title", "po_number", "status", "is_acquisition", "is_private", "start_date", "end_date")
# Columns a PATCH may not clear: ProjectData renders them as non-null.
_NOT_NULL = ("title", "client_id", "status", "is_acquisition", "is_private")
_SETTINGS = (
    ("project_type_id", ProjectType, "project type"),
    ("project_group_id", Portfolio, "portfolio"),
)
_GUEST_TYPES = (UserType.guest, UserType.tax_advisor)
WITH_TEAM: IncludeTree = {"team": {}}
WITH_GUESTS: IncludeTree = {"guests": {}}


def ensure_may_write(caller: Caller) -> None:
    """Guests and tax advisors read projects only (auth.md §4); others write what they see."""
    if caller.user_type in LIMITED_TYPES:
        raise forbidden("Your user type may not change projects.")


# -- projects -------------------------------------------------------------------------------


async def create_project(session: AsyncSession, caller: Caller, body: ProjectCreate) -> Project:
    ensure_may_write(caller)
    project = Project(space_id=caller.space_id, custom_fields={}, created_by_id=caller.user_id)
    await _apply(session, caller, project, body, creating=True)
    if "project_type_id" not in body.model_fields_set:
        project.project_type_id = (await _default_type(session, caller)).id
    if not body.shortcode:
        project.shortcode = await free_shortcode(session, Project, caller.space_id, body.title)
    session.add(project)
    await common.flush(session)
    # The creator joins the team, whatever the body's `team` says.
    team = list(dict.fromkeys([caller.user_id, *(body.team or [])]))
    await _write_links(session, caller, project, body, team=team)
    return await _reloaded(session, caller, project)


async def update_project(
    session: AsyncSession, caller: Caller, project: Project, body: ProjectFields
) -> Project:
    ensure_may_write(caller)
    for name in _NOT_NULL:
        if name in body.model_fields_set and getattr(body, name) is None:
            raise invalid_field(name, f"The {name.replace('_', ' ')} field may not be null.")
    await _apply(session, caller, project, body, creating=False)
    common.touch(project)
    await common.flush(session)
    await _write_links(session, caller, project, body, team=body.team)
    return await _reloaded(session, caller, project)


async def archive_project(session: AsyncSession, caller: Caller, project: Project) -> None:
    ensure_may_write(caller)
    await common.archive(session, project)


async def restore_project(session: AsyncSession, caller: Caller, project: Project) -> Project:
    ensure_may_write(caller)
    await common.restore(session, project)
    return await _reloaded(session, caller, project)


async def force_delete_project(session: AsyncSession, caller: Caller, project: Project) -> None:
    # Team, guest and tag links go with the row (ON DELETE CASCADE).
    ensure_may_write(caller)
    await common.force_delete(session, project)


async def add_team_member(
    session: AsyncSession, caller: Caller, project: Project, user_id: str
) -> Project:
    """Put the user on the team (a repeat keeps the first `added_at`)."""
    ensure_may_write(caller)
    await _users(session, caller, [user_id], "user_id", guests=False)
    if await session.get(ProjectMember, (project.id, user_id)) is None:
        session.add(ProjectMember(project_id=project.id, user_id=user_id))
    common.touch(project)
    await common.flush(session)
    return await _reloaded(session, caller, project, WITH_TEAM)


async def remove_team_member(
    session: AsyncSession, caller: Caller, project: Project, user_id: str
) -> None:
    ensure_may_write(caller)
    await _unlink(session, project, await session.get(ProjectMember, (project.id, user_id)))


async def add_guest(
    session: AsyncSession, caller: Caller, project: Project, user_id: str
) -> Project:
    ensure_may_write(caller)
    await _users(session, caller, [user_id], "user_id", guests=True)
    if await session.get(ProjectGuest, (project.id, user_id)) is None:
        session.add(ProjectGuest(project_id=project.id, user_id=user_id))
    common.touch(project)
    await common.flush(session)
    return await _reloaded(session, caller, project, WITH_GUESTS)


async def remove_guest(
    session: AsyncSession, caller: Caller, project: Project, user_id: str
) -> None:
    ensure_may_write(caller)
    await _unlink(session, project, await session.get(ProjectGuest, (project.id, user_id)))


async def _unlink(
    session: AsyncSession, project: Project, link: ProjectMember | ProjectGuest | None
) -> None:
    if link is None:
        raise not_found()
    await session.delete(link)
    common.touch(project)
    await common.flush(session)


async def _apply(
    session: AsyncSession, caller: Caller, project: Project, body: ProjectFields, creating: bool
) -> None:
    """Validate the body and set the project's columns (links are written after the flush)."""
    given = body.model_fields_set
    common.assign_plain(project, body, _PLAIN)
    if "description" in given:
        project.description = sanitize_html(body.description)
    if "client_id" in given and body.client_id != project.client_id:
        project.client_id = await _client_id(session, caller, body.client_id)
    if body.shortcode and body.shortcode != project.shortcode:
        await ensure_unique(
            session,
            Project,
            "shortcode",
            (Project.space_id == caller.space_id)
            & (func.lower(Project.shortcode) == body.shortcode.lower()),
            project.id,
        )
        project.shortcode = body.shortcode
    for field, model, noun in _SETTINGS:
        if field in given:
            await _assign_setting(
                session, caller, project, field, model, getattr(body, field), noun
            )
    if project.start_date and project.end_date and project.end_date < project.start_date:
        raise invalid_field("end_date", "The end date must be on or after the start date.")
    await common.assign_external(session, caller, project, body)
    await common.assign_custom_fields(
        session, caller, EntityType.project, project, body.custom_fields, creating
    )
    # Validated before anything is written, so a bad id leaves the project untouched.
    if body.team:
        await _users(session, caller, body.team, "team", guests=False)
    if body.guests:
        await _users(session, caller, body.guests, "guests", guests=True)
    if body.tag_ids:
        await referenced_tags(session, caller, body.tag_ids, "tag_ids")


async def _assign_setting(
    session: AsyncSession,
    caller: Caller,
    project: Project,
    field: str,
    model: type[ProjectType] | type[Portfolio],
    value: str | None,
    noun: str,
) -> None:
    """A project type or portfolio of this space (they are deleted, never archived)."""
    if value is not None:
        found = await session.scalar(
            select(model.id).where(model.id == value, model.space_id == caller.space_id)
        )
        if found is None:
            raise invalid_field(field, f"The selected {noun} does not exist.")
    setattr(project, field, value)


async def _client_id(session: AsyncSession, caller: Caller, client_id: str | None) -> str:
    """The id of a client of this space or one shared with it (`clients.scoped`), not
    archived; 422 otherwise."""
    found = await session.scalar(
        clients.scoped(caller)
        .with_only_columns(Client.id)
        .where(Client.id == client_id, Client.deleted_at.is_(None))
    )
    if found is None:
        raise invalid_field("client_id", "The selected client does not exist.")
    client: str = found
    return client


async def _users(
    session: AsyncSession, caller: Caller, user_ids: Sequence[str], field: str, guests: bool
) -> None:
    """422 naming `field` unless every id is an active user of this space of the right kind:
    guests and tax advisors as guests, everyone else on the team."""
    wanted = set(user_ids)
    query = select(User.id, User.type).where(
        User.id.in_(wanted), User.space_id == caller.space_id, User.deleted_at.is_(None)
    )
    found = {row.id: row.type for row in (await session.execute(query)).all()}
    missing = wanted - set(found)
    if missing:
        raise invalid_field(field, f"Unknown users: {', '.join(sorted(missing))}.")
    wrong = sorted(uid for uid, kind in found.items() if (kind in _GUEST_TYPES) != guests)
    if wrong:
        message = (
            "Guests must be users of type guest or tax_advisor"
            if guests
            else "Guests and tax advisors join a project as guests, not on its team"
        )
        raise invalid_field(field, f"{message}: {', '.join(wrong)}.")


async def _write_links(
    session: AsyncSession,
    caller: Caller,
    project: Project,
    body: ProjectFields,
    team: list[str] | None,
) -> None:
    """Replace the team, guests and tags with what the body lists (None: leave them)."""
    if team is not None:
        # Members who stay keep their `added_at`.
        members = ProjectMember.project_id == project.id
        await session.execute(
            delete(ProjectMember).where(members, ProjectMember.user_id.not_in(team))
        )
        present = set((await session.scalars(select(ProjectMember.user_id).where(members))).all())
        joining = [uid for uid in dict.fromkeys(team) if uid not in present]
        if joining:
            await session.execute(
                insert(ProjectMember),
                [
                    {"project_id": project.id, "user_id": uid, "added_at": caller.now}
                    for uid in joining
                ],
            )
    if body.guests is not None:
        await session.execute(delete(ProjectGuest).where(ProjectGuest.project_id == project.id))
        guest_ids = list(dict.fromkeys(body.guests))
        if guest_ids:
            await session.execute(
                insert(ProjectGuest),
                [{"project_id": project.id, "user_id": uid} for uid in guest_ids],
            )
    if body.tag_ids is not None:
        await session.execute(delete(project_tags).where(project_tags.c.project_id == project.id))
        tag_ids = list(dict.fromkeys(body.tag_ids))
        if tag_ids:
            await session.execute(
                insert(project_tags), [{"project_id": project.id, "tag_id": t} for t in tag_ids]
            )


async def _default_type(session: AsyncSession, caller: Caller) -> ProjectType:
    """The space's default project type, created with the space's first typeless project."""
    found = await session.scalar(
        select(ProjectType)
        .where(ProjectType.space_id == caller.space_id, ProjectType.is_default.is_(True))
        .order_by(ProjectType.order, ProjectType.id)
        .limit(1)
    )
    if found is not None:
        return found
    created = ProjectType(
        space_id=caller.space_id, title="Standard", shortcode="STD", order=0, is_default=True
    )
    session.add(created)
    await common.flush(session)
    return created


async def _reloaded(
    session: AsyncSession, caller: Caller, project: Project, tree: IncludeTree | None = None
) -> Project:
    reloaded: Project = await common.reloaded(session, caller, projects, project.id, tree)
    return reloaded


# -- project types and portfolios -----------------------------------------------------------


async def create_project_type(
    session: AsyncSession, caller: Caller, body: ProjectTypeCreate
) -> ProjectType:
    row = ProjectType(space_id=caller.space_id)
    common.assign_plain(row, body, ("title", "shortcode", "color", "order", "is_default"))
    row.order = body.order
    row.is_default = body.is_default
    session.add(row)
    await _single_default(session, caller, row)
    await common.flush(session)
    return row


async def update_project_type(
    session: AsyncSession, caller: Caller, row: ProjectType, body: ProjectTypeUpdate
) -> ProjectType:
    for name in ("title", "order", "is_default"):
        if name in body.model_fields_set and getattr(body, name) is None:
            raise invalid_field(name, f"The {name.replace('_', ' ')} field may not be null.")
    common.assign_plain(row, body, ("title", "shortcode", "color", "order", "is_default"))
    common.touch(row)
    await _single_default(session, caller, row)
    await common.flush(session)
    return row


async def _single_default(session: AsyncSession, caller: Caller, row: ProjectType) -> None:
    # One default per space: naming a new default demotes the old one.
    if row.is_default:
        await common.flush(session)
        await session.execute(
            update(ProjectType)
            .where(
                ProjectType.space_id == caller.space_id,
                ProjectType.id != row.id,
                ProjectType.is_default.is_(True),
            )
            .values(is_default=False)
            .execution_options(synchronize_session=False)
        )


async def create_portfolio(session: AsyncSession, caller: Caller, body: PortfolioBody) -> Portfolio:
    row = Portfolio(space_id=caller.space_id, title=body.title)
    session.add(row)
    await common.flush(session)
    return row


async def update_portfolio(session: AsyncSession, row: Portfolio, body: PortfolioBody) -> Portfolio:
    row.title = body.title
    common.touch(row)
    await common.flush(session)
    return row


async def delete_setting(session: AsyncSession, row: ProjectType | Portfolio) -> None:
    # A hard delete: projects keep existing without it (their reference is ON DELETE SET NULL).
    await session.delete(row)
    await common.flush(session)
