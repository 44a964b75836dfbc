from __future__ import annotations

from fastapi import APIRouter

from kanbert.auth.deps import CurrentCaller
from kanbert.db.session import Session
from kanbert.kit.responses import JsonResponse
from kanbert.kit.schemas import ERROR_RESPONSES
from kanbert.spaces.models import Space
from kanbert.spaces.render import space_detail
from kanbert.spaces.schemas import SpaceDetail

router = APIRouter(tags=["spaces"], responses=ERROR_RESPONSES)


@router.get("/space", response_model=SpaceDetail, summary="The caller's space")
async def show_space(caller: CurrentCaller, session: Session) -> JsonResponse:
    space = await session.get_one(Space, caller.space_id)
    return JsonResponse(space_detail(space))
