"""HTTP edge of files: parse, call the service, render. No logic of its own."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request, Response
from fastapi.responses import StreamingResponse

from kanbert.auth.deps import CurrentCaller
from kanbert.db.session import Session
from kanbert.files import service
from kanbert.files.render import file_data
from kanbert.files.schemas import DOWNLOAD_RESPONSES, UPLOAD_REQUEST_BODY, FileData
from kanbert.files.storage import Storage
from kanbert.kit.responses import JsonResponse
from kanbert.kit.schemas import ERROR_RESPONSES

router = APIRouter(prefix="/files", tags=["files"], responses=ERROR_RESPONSES)

# Scopes depend on the owning entity (client:…, contact-data:…, task-management:…), so they
# are checked by the service rather than declared on the routes.
SCOPE_NOTE = (
    " Needs the {kind} scope of the owning entity: client → client:{verb}, company and contact"
    " → contact-data:{verb}, task and comment → task-management:{verb}, project → {project},"
    " user → {user}."
)


def _storage(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


@router.post(
    "",
    status_code=201,
    response_model=FileData,
    summary="Upload a file",
    description="Streams `file` (multipart/form-data) into storage for the entity named by"
    " `entity_type` and `entity_id`; over the upload limit → 413 and nothing is kept."
    + SCOPE_NOTE.format(kind="write", verb="write", project="project:write", user="user:write"),
    openapi_extra={"requestBody": UPLOAD_REQUEST_BODY},
)
async def upload_file(request: Request) -> JsonResponse:
    # No `Session`/`CurrentCaller` dependencies: the service authenticates and writes in short
    # transactions of its own around the (long) streaming, see `service.upload`.
    limit = request.app.state.settings.max_upload_bytes
    sessionmaker = request.app.state.sessionmaker
    file = await service.upload(sessionmaker, request, _storage(request), limit)
    return JsonResponse(file_data(file), status_code=201)


@router.get(
    "/{file_id}",
    response_model=FileData,
    summary="Show a file",
    description="The file's data."
    + SCOPE_NOTE.format(kind="read", verb="read", project="none", user="none"),
)
async def show_file(file_id: str, caller: CurrentCaller, session: Session) -> JsonResponse:
    return JsonResponse(file_data(await service.get_file(session, caller, file_id)))


@router.get(
    "/{file_id}/download",
    summary="Download a file",
    description="The file's bytes with its stored Content-Type, as an attachment."
    + SCOPE_NOTE.format(kind="read", verb="read", project="none", user="none"),
    response_class=StreamingResponse,
    responses=DOWNLOAD_RESPONSES,
)
async def download_file(
    file_id: str, request: Request, caller: CurrentCaller, session: Session
) -> StreamingResponse:
    file = await service.get_file(session, caller, file_id)
    chunks = await service.open_download(_storage(request), file)
    headers = {
        "Content-Disposition": service.content_disposition(file.file_name),
        "Content-Length": str(file.size),
        # Set as a header, not `media_type`: Starlette would append a charset to text types.
        "Content-Type": file.mime_type,
        "X-Content-Type-Options": "nosniff",
    }
    return StreamingResponse(chunks, headers=headers)


@router.delete(
    "/{file_id}",
    status_code=204,
    summary="Delete a file",
    description="Deletes the file and its bytes."
    + SCOPE_NOTE.format(kind="write", verb="write", project="project:write", user="user:write"),
)
async def delete_file(
    file_id: str,
    request: Request,
    caller: CurrentCaller,
    session: Session,
    background: BackgroundTasks,
) -> Response:
    file = await service.get_file(session, caller, file_id, write=True)
    await service.delete_file(session, file)
    # Background tasks run after the response, i.e. after the commit: bytes go only once the
    # row is gone for good (a failed commit keeps both).
    background.add_task(_storage(request).delete, file.id)
    return Response(status_code=204)
