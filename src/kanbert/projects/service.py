"""Project, project type and portfolio writes. Endpoints call these; the request's
transaction commits them. Project writes return the project read back as rendered."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import String, cast, delete, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.clients.models import Client
from kanbert.clients.resource import clients
from kanbert.comments.models import Comment
from kanbert.companies import common
from kanbert.custom_fields.models import EntityType
from kanbert.efforts.models import Effort
from kanbert.files.cleanup import drop_files_of
from kanbert.kit.context import Caller
from kanbert.kit.errors import forbidden, invalid_field, not_found
from kanbert.kit.html import sanitize_html
from kanbert.kit.records import ensure_unique, refuse_nulls
from kanbert.kit.resource import IncludeTree
from kanbert.kit.settings import setting_of_space
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
    ProjectCreate,
    ProjectFields,
)
from kanbert.tasks.models import Task
from kanbert.users.models import UserType
from kanbert.users.resource import LIMITED_TYPES
from kanbert.users.service import active_user_types
from kanbert.webhooks.capture import Action, deleting, notice

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


async def lock_project(session: AsyncSession, project_id: str) -> None:
    """Serialise writes that check a rule across the project's rows (no dependency or
    parent cycles, privacy inherited from parents): two concurrent writes cannot each pass a
    check the other invalidates. PostgreSQL locks the row (`FOR NO KEY UPDATE`, which leaves
    foreign-key checks of rows inserted into the project unblocked); SQLite serialises writers
    anyway."""
    lock = select(Project.id).where(Project.id == project_id).with_for_update(key_share=True)
    await session.execute(lock)


async def active_project(
    session: AsyncSession, caller: Caller, project_id: str | None, field: str = "project_id"
) -> Project:
    """A project of the space the caller sees and that is not archived, for records placed in
    it (tasks, efforts); 422 naming `field` otherwise."""
    found = await session.scalar(
        projects.scoped(caller).where(Project.id == project_id, Project.deleted_at.is_(None))
    )
    if found is None:
        raise invalid_field(field, "The selected project does not exist.")
    project: Project = found
    return project


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
    refuse_nulls(body, _NOT_NULL)
    shortcode, client_id = project.shortcode, project.client_id
    await _apply(session, caller, project, body, creating=False)
    common.touch(project)
    await common.flush(session)
    await _write_links(session, caller, project, body, team=body.team)
    await _tasks_follow(session, project, shortcode != project.shortcode, client_id)
    return await _reloaded(session, caller, project)


async def _tasks_follow(
    session: AsyncSession, project: Project, new_shortcode: bool, old_client_id: str
) -> None:
    """Keep the project's tasks in step with it in one UPDATE: their `uri` is
    `<shortcode>-<number>` and their `client_id` always the project's (efforts' too)."""
    changes: dict[str, object] = {}
    if new_shortcode:
        changes["uri"] = literal(f"{project.shortcode}-", String) + cast(Task.number, String)
    if project.client_id != old_client_id:
        changes["client_id"] = project.client_id
        # Efforts bill to their project's client as well (and the clients' webhooks hear it).
        moved = await session.scalars(
            update(Effort)
            .where(Effort.project_id == project.id)
            .values(client_id=project.client_id, updated_at=project.updated_at)
            .returning(Effort.id)
            .execution_options(synchronize_session=False)
        )
        change = {"client_id": {"from": old_client_id, "to": project.client_id}}
        for effort_id in moved:
            notice(session, "effort", effort_id, Action.update, change)
    if not changes:
        return
    # The rendered tasks changed, so their `updated_at` (and ETag) moves too.
    changes["updated_at"] = project.updated_at
    await session.execute(
        update(Task)
        .where(Task.project_id == project.id)
        .values(changes)
        .execution_options(synchronize_session=False)
    )


async def archive_project(session: AsyncSession, caller: Caller, project: Project) -> None:
    ensure_may_write(caller)
    await common.archive(session, project)


async def restore_project(session: AsyncSession, caller: Caller, project: Project) -> Project:
    ensure_may_write(caller)
    await common.restore(session, project)
    return await _reloaded(session, caller, project)


async def force_delete_project(
    session: AsyncSession, caller: Caller, project: Project
) -> list[str]:
    """Delete the project for good; returns the ids of the files whose bytes are to go.

    Team, guest and tag links, tasks (with their comments) and phases go with the row
    (ON DELETE CASCADE); the file rows of all of them, which have no foreign key, are
    removed first, while their owners can still be found.
    """
    ensure_may_write(caller)
    # Its efforts go by cascade; space-wide and client webhooks hear of them. (Its tasks and
    # comments only ever reach webhooks of this project, which go with it.)
    efforts = await session.scalars(select(Effort.id).where(Effort.project_id == project.id))
    await deleting(session, "effort", list(efforts))
    task_ids = select(Task.id).where(Task.project_id == project.id)
    comment_ids = select(Comment.id).where(Comment.task_id.in_(task_ids))
    dropped = [
        *await drop_files_of(session, caller.space_id, "comment", comment_ids),
        *await drop_files_of(session, caller.space_id, "task", task_ids),
        *await drop_files_of(session, caller.space_id, "project", [project.id]),
    ]
    await common.force_delete(session, project)
    return dropped


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
            value = getattr(body, field)
            setattr(
                project, field, await setting_of_space(session, caller, model, value, field, noun)
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
    found = await active_user_types(session, caller, user_ids, field)
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


async def single_default(session: AsyncSession, caller: Caller, row: ProjectType) -> None:
    """One default project type per space: naming a new default demotes the old one."""
    if row.is_default:
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
