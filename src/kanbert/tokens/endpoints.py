"""HTTP edge of `/tokens`: parse, authorise, call the service, render. No logic of its own."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Request, Response

from kanbert.auth.deps import CurrentCaller, requires
from kanbert.auth.models import ApiToken
from kanbert.db.session import Session
from kanbert.kit.errors import ApiError
from kanbert.kit.records import get_one
from kanbert.kit.responses import JsonResponse
from kanbert.kit.routes import Shown, add_list_route, shown_record
from kanbert.kit.schemas import ERROR_RESPONSES
from kanbert.tokens import service
from kanbert.tokens.resource import token_data, token_listing, tokens
from kanbert.tokens.schemas import CreatedTokenData, TokenCreate, TokenData

SCOPE = "integration"

router = APIRouter(prefix="/tokens", tags=["tokens"], responses=ERROR_RESPONSES)

ShownToken = Annotated[Shown, shown_record(tokens, token_listing, "token_id")]

add_list_route(router, "", token_listing, TokenData, "List tokens", SCOPE)


def _etag(token: ApiToken) -> str:
    # Tokens have no `updated_at`: revocation is the only change a token ever sees.
    stamp = f"{token.id}:{token.revoked_at.isoformat() if token.revoked_at else ''}"
    return '"' + hashlib.sha256(stamp.encode()).hexdigest()[:32] + '"'


def _check_if_match(request: Request, token: ApiToken) -> None:
    header = request.headers.get("if-match")
    if header is None:
        return
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" not in wanted and _etag(token) not in wanted:
        raise ApiError(412, "The token was changed since you read it (If-Match does not match).")


@router.post(
    "",
    status_code=201,
    response_model=CreatedTokenData,
    summary="Create an integration or personal access token",
    **requires(SCOPE),
)
async def create_token(body: TokenCreate, caller: CurrentCaller, session: Session) -> JsonResponse:
    token, secret = await service.create_token(session, caller, body)
    rendered = {**token_data(token, {}, caller), "token": secret}
    # The secret is shown once: no cache, and no Idempotency-Key replay store, may keep it.
    headers = {"ETag": _etag(token), "Cache-Control": "no-store"}
    return JsonResponse(rendered, status_code=201, headers=headers)


@router.get("/{token_id}", response_model=TokenData, summary="Show a token", **requires(SCOPE))
async def show_token(shown: ShownToken, caller: CurrentCaller) -> JsonResponse:
    headers = {"ETag": _etag(shown.record)}
    return JsonResponse(token_data(shown.record, shown.tree, caller), headers=headers)


@router.delete("/{token_id}", status_code=204, summary="Revoke a token", **requires(SCOPE))
async def revoke_token(
    token_id: str, request: Request, caller: CurrentCaller, session: Session
) -> Response:
    token = await get_one(session, caller, tokens, token_id)
    _check_if_match(request, token)
    await service.revoke_token(session, token, caller)
    return Response(status_code=204)
