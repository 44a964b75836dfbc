"""Per-space settings lists declared once: project types, portfolios, phase types and groups,
priority options, effort types.

Each is a small table of the space that records point at (ON DELETE SET NULL), read by anyone
and changed with `settings:write`: list, create, update, delete for good. `Setting` declares
one; `setting_router` makes its four routes and the writes are the same for all, so a new
settings list is one declaration.
"""

# No `from __future__ import annotations`: FastAPI evaluates the endpoint annotations here.

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.auth.deps import CurrentCaller, requires
from kanbert.db.session import Session
from kanbert.kit.context import Caller
from kanbert.kit.errors import forbidden, invalid_field
from kanbert.kit.records import flush_or_conflict, refuse_nulls, with_etag
from kanbert.kit.resource import Listing
from kanbert.kit.responses import JsonResponse
from kanbert.kit.routes import add_list_route, record_of
from kanbert.kit.schemas import ERROR_RESPONSES, RequestBody
from kanbert.kit.timefmt import utcnow
from kanbert.users.resource import LIMITED_TYPES

SETTINGS_SCOPE = "settings:write"

Hook = Callable[[AsyncSession, Caller, Any], Awaitable[None]]


@dataclass(frozen=True)
class Setting:
    path: str  # "/phase-types"
    noun: str  # "phase type", for summaries and messages
    tag: str  # OpenAPI tag
    listing: Listing  # its resource gives the model and lookups
    render: Callable[[Any], dict[str, Any] | None]
    data: type[BaseModel]
    create_body: type[RequestBody]
    update_body: type[RequestBody]
    fields: Sequence[str]  # the columns the bodies set
    required: Sequence[str] = ("title",)  # a PATCH may not set these to null
    # Runs after the body is applied and before the flush (e.g. "one default per space").
    after_write: Hook | None = None
    deleted_note: str = "records that use it keep existing without it"

    @property
    def model(self) -> Any:
        return self.listing.resource.model


def ensure_may_change_settings(caller: Caller) -> None:
    # auth.md §4: guests and tax advisors change nothing but comments, files, their efforts.
    if caller.user_type in LIMITED_TYPES:
        raise forbidden("Your user type may not change settings.")


async def create_setting(
    session: AsyncSession, caller: Caller, setting: Setting, body: RequestBody
) -> Any:
    ensure_may_change_settings(caller)
    row = setting.model(space_id=caller.space_id)
    for name in setting.fields:
        # Every field, defaults included: the body's defaults are the setting's.
        setattr(row, name, getattr(body, name))
    session.add(row)
    await _finish(session, caller, setting, row)
    return row


async def update_setting(
    session: AsyncSession, caller: Caller, setting: Setting, row: Any, body: RequestBody
) -> Any:
    ensure_may_change_settings(caller)
    given = body.model_fields_set
    refuse_nulls(body, setting.required)
    for name in setting.fields:
        if name in given:
            setattr(row, name, getattr(body, name))
    row.updated_at = utcnow()  # moves the ETag even when nothing else changed
    await _finish(session, caller, setting, row)
    return row


async def delete_setting(session: AsyncSession, caller: Caller, row: Any) -> None:
    # For good: what points at it is cleared by the database (ON DELETE SET NULL).
    ensure_may_change_settings(caller)
    await session.delete(row)
    await flush_or_conflict(session)


async def _finish(session: AsyncSession, caller: Caller, setting: Setting, row: Any) -> None:
    await flush_or_conflict(session)
    if setting.after_write is not None:
        await setting.after_write(session, caller, row)
        await flush_or_conflict(session)


async def setting_of_space(
    session: AsyncSession, caller: Caller, model: Any, value: str | None, field: str, noun: str
) -> str | None:
    """`value` when it names a row of `model` in the caller's space (or is None), else 422."""
    if value is not None:
        found = await session.scalar(
            select(model.id).where(model.id == value, model.space_id == caller.space_id)
        )
        if found is None:
            raise invalid_field(field, f"The selected {noun} does not exist.")
    return value


def setting_router(setting: Setting) -> APIRouter:
    """`GET|POST {path}`, `PATCH|DELETE {path}/{id}`."""
    router = APIRouter(prefix=setting.path, tags=[setting.tag], responses=ERROR_RESPONSES)
    param = setting.noun.replace(" ", "_") + "_id"
    Record = Annotated[Any, record_of(setting.listing.resource, param)]
    plural = setting.path.strip("/").replace("-", " ")
    add_list_route(router, "", setting.listing, setting.data, f"List {plural}")

    def rendered(row: Any, status: int = 200) -> JsonResponse:
        body = setting.render(row)
        assert body is not None
        return with_etag(body, row, status)

    async def create(body: Any, caller: CurrentCaller, session: Session) -> JsonResponse:
        return rendered(await create_setting(session, caller, setting, body), 201)

    async def update(
        row: Record,
        body: Any,
        caller: CurrentCaller,
        session: Session,
    ) -> JsonResponse:
        return rendered(await update_setting(session, caller, setting, row, body))

    async def delete(
        row: Record,
        caller: CurrentCaller,
        session: Session,
    ) -> Response:
        await delete_setting(session, caller, row)
        return Response(status_code=204)

    name = setting.noun.replace(" ", "_")
    router.add_api_route(
        "",
        _with_body(create, setting.create_body),
        methods=["POST"],
        status_code=201,
        response_model=setting.data,
        summary=f"Create a {setting.noun}",
        name=f"create_{name}",
        **requires(SETTINGS_SCOPE),
    )
    router.add_api_route(
        f"/{{{param}}}",
        _with_body(update, setting.update_body),
        methods=["PATCH"],
        response_model=setting.data,
        summary=f"Update a {setting.noun}",
        name=f"update_{name}",
        **requires(SETTINGS_SCOPE),
    )
    router.add_api_route(
        f"/{{{param}}}",
        delete,
        methods=["DELETE"],
        status_code=204,
        summary=f"Delete a {setting.noun} for good ({setting.deleted_note})",
        name=f"delete_{name}",
        **requires(SETTINGS_SCOPE),
    )
    return router


def _with_body(endpoint: Callable[..., Any], body_type: type[RequestBody]) -> Callable[..., Any]:
    """FastAPI reads the body's model from the signature: name it there."""
    signature = inspect.signature(endpoint)
    parameters = [
        p.replace(annotation=body_type) if p.name == "body" else p
        for p in signature.parameters.values()
    ]
    endpoint.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return endpoint
