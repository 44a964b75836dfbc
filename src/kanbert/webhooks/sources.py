"""The watched resources: how each is read, rendered and placed (project, clients) for webhooks.

Events carry the resource in its API schema as an integration sees it (webhooks belong to
integration users, who see everything of their space), rendered once per resource and change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.auth.scopes import ALL_SCOPES
from kanbert.clients.models import Client
from kanbert.clients.resource import client_full_data, clients
from kanbert.comments.models import Comment
from kanbert.comments.resource import comment_data, comments
from kanbert.companies.models import Company
from kanbert.companies.resource import companies, company_data
from kanbert.contacts.models import Contact
from kanbert.contacts.resource import contact_data, contacts
from kanbert.efforts.models import Effort
from kanbert.efforts.resource import effort_data, efforts
from kanbert.files.models import StoredFile
from kanbert.files.render import file_data
from kanbert.kit.context import Caller
from kanbert.kit.resource import Resource, prepare_rendering
from kanbert.projects.models import Project
from kanbert.projects.resource import project_data, projects
from kanbert.tasks.models import Task
from kanbert.tasks.resource import task_data, tasks
from kanbert.webhooks.capture import CALLER_KEY, WATCHED


@dataclass(frozen=True)
class Scope:
    """Where an event belongs, for matching it to project- and client-scoped webhooks."""

    project_id: str | None = None
    client_ids: tuple[str, ...] = ()


Placer = Callable[[AsyncSession, Any], Awaitable[Scope]]


@dataclass(frozen=True)
class Source:
    kind: str
    model: Any
    render: Callable[[Any, Caller], dict[str, Any] | None]
    place: Placer
    resource: Resource | None = None  # None: read by id without visibility rules (files)


def _clients(*ids: str | None) -> tuple[str, ...]:
    return tuple(i for i in ids if i)


async def _task_project(session: AsyncSession, task_id: str) -> str | None:
    return await session.scalar(select(Task.project_id).where(Task.id == task_id))


async def _place_comment(session: AsyncSession, comment: Comment) -> Scope:
    return Scope(await _task_project(session, comment.task_id))


async def _place_file(session: AsyncSession, file: StoredFile) -> Scope:
    if file.entity_type == "project":
        return Scope(file.entity_id)
    if file.entity_type == "task":
        return Scope(await _task_project(session, file.entity_id))
    if file.entity_type == "comment":
        task_id = await session.scalar(select(Comment.task_id).where(Comment.id == file.entity_id))
        return Scope(await _task_project(session, task_id) if task_id else None)
    return Scope()


async def _constant(scope: Scope) -> Scope:
    return scope


def _placed(rule: Callable[[Any], Scope]) -> Placer:
    return lambda _session, record: _constant(rule(record))


SOURCES: dict[str, Source] = {
    source.kind: source
    for source in (
        Source(
            "client",
            Client,
            lambda row, caller: client_full_data(row, {}, caller),
            _placed(lambda row: Scope(None, (row.id,))),
            clients,
        ),
        Source(
            "company",
            Company,
            lambda row, caller: company_data(row, {}, caller),
            _placed(lambda row: Scope(None, _clients(row.client_id))),
            companies,
        ),
        Source(
            "contact",
            Contact,
            lambda row, caller: contact_data(row, {}, caller),
            _placed(lambda row: Scope(None, _clients(row.client_id))),
            contacts,
        ),
        Source(
            "project",
            Project,
            lambda row, caller: project_data(row, {}, caller),
            _placed(lambda row: Scope(row.id, _clients(row.client_id))),
            projects,
        ),
        Source(
            "task",
            Task,
            lambda row, caller: task_data(row, {}, caller),
            _placed(lambda row: Scope(row.project_id, _clients(row.client_id))),
            tasks,
        ),
        Source(
            "comment",
            Comment,
            lambda row, caller: comment_data(row, {}, caller),
            _place_comment,
            comments,
        ),
        Source(
            "effort",
            Effort,
            lambda row, caller: effort_data(row, {}, caller),
            _placed(lambda row: Scope(row.project_id, _clients(row.client_id))),
            efforts,
        ),
        Source("file", StoredFile, lambda row, _caller: file_data(row), _place_file),
    )
}
WATCHED.update({source.model: source.kind for source in SOURCES.values()})


def integration_view(caller: Caller) -> Caller:
    """Who events are rendered for: an integration of the caller's space, seeing everything."""
    return replace(
        caller, user_type="integration", is_owner=True, scopes=frozenset(ALL_SCOPES), memo={}
    )


async def _records(
    session: AsyncSession, source: Source, viewer: Caller, ids: list[str]
) -> list[Any]:
    model = source.model
    if source.resource is None:
        query = select(model).where(model.space_id == viewer.space_id)
    else:
        query = source.resource.scoped(viewer).options(*source.resource.load_options({}, viewer))
        await prepare_rendering(source.resource, {}, session, viewer)
    # Read afresh: bulk UPDATEs (uris after a shortcode change, say) bypass loaded rows. Not
    # `populate_existing`: a comment comes back a second time as a reply in its own thread,
    # which would drop the thread just loaded for it; expiring the rows refreshes them alike.
    wanted = set(ids)
    for loaded in list(session.identity_map.values()):
        if type(loaded) is model and getattr(loaded, "id", None) in wanted:
            session.expire(loaded)
    return list((await session.scalars(query.where(model.id.in_(ids)))).unique().all())


async def snapshots(
    session: AsyncSession, kind: str, ids: list[str]
) -> dict[str, tuple[dict[str, Any] | None, Scope]]:
    """Each existing record's rendering and scope, for the events of the current caller."""
    source = SOURCES[kind]
    await session.flush()  # reading afresh must not drop changes not yet written
    viewer = integration_view(session.info[CALLER_KEY])
    found = {}
    for record in await _records(session, source, viewer, ids):
        found[record.id] = (source.render(record, viewer), await source.place(session, record))
    return found
