from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from kanbert.auth.deps import CurrentCaller
from kanbert.db.session import Session
from kanbert.kit.listing import ListParams, list_params, run_list
from kanbert.kit.responses import JsonResponse
from kanbert.kit.schemas import ERROR_RESPONSES, Page
from kanbert.users.resource import user_data, user_listing
from kanbert.users.schemas import UserData

router = APIRouter(tags=["users"], responses=ERROR_RESPONSES)


@router.get("/whoami", response_model=UserData, summary="The user the token acts for")
async def whoami(caller: CurrentCaller) -> JsonResponse:
    return JsonResponse(user_data(caller.user))


@router.get("/users", response_model=Page[UserData], summary="List users")
async def list_users(
    request: Request,
    caller: CurrentCaller,
    session: Session,
    params: Annotated[ListParams, Depends(list_params(user_listing))],
) -> JsonResponse:
    return await run_list(request, session, caller, user_listing, params)
