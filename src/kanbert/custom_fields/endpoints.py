from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from kanbert.auth.deps import CurrentCaller, requires
from kanbert.custom_fields import service
from kanbert.custom_fields.models import CustomField
from kanbert.custom_fields.resource import custom_field_data, custom_field_listing, custom_fields
from kanbert.custom_fields.schemas import CustomFieldCreate, CustomFieldData, CustomFieldUpdate
from kanbert.db.session import Session
from kanbert.kit.context import Caller
from kanbert.kit.records import with_etag
from kanbert.kit.responses import JsonResponse
from kanbert.kit.routes import add_list_route, record_of
from kanbert.kit.schemas import ERROR_RESPONSES

router = APIRouter(prefix="/custom-fields", tags=["custom fields"], responses=ERROR_RESPONSES)

Field = Annotated[CustomField, record_of(custom_fields, "field_id")]


def _render(field: CustomField, caller: Caller, status: int = 200) -> JsonResponse:
    return with_etag(custom_field_data(field, {}, caller), field, status)


add_list_route(router, "", custom_field_listing, CustomFieldData, "List custom field definitions")


@router.get("/{field_id}", response_model=CustomFieldData, summary="Show a custom field")
async def show_field(field: Field, caller: CurrentCaller) -> JsonResponse:
    return _render(field, caller)


@router.post(
    "",
    status_code=201,
    response_model=CustomFieldData,
    summary="Create a custom field",
    **requires("settings:write"),
)
async def create_field(
    body: CustomFieldCreate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _render(await service.create_field(session, caller, body), caller, 201)


@router.patch(
    "/{field_id}",
    response_model=CustomFieldData,
    summary="Update a custom field",
    **requires("settings:write"),
)
async def update_field(
    field: Field, body: CustomFieldUpdate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _render(await service.update_field(session, caller, field, body), caller)


@router.delete(
    "/{field_id}", status_code=204, summary="Archive a custom field", **requires("settings:write")
)
async def archive_field(field: Field, session: Session) -> Response:
    await service.archive_field(session, field)
    return Response(status_code=204)


@router.post(
    "/{field_id}/restore",
    response_model=CustomFieldData,
    summary="Restore a custom field",
    **requires("settings:write"),
)
async def restore_field(field: Field, caller: CurrentCaller, session: Session) -> JsonResponse:
    return _render(await service.restore_field(session, field), caller)
