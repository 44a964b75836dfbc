from __future__ import annotations

from pydantic import BaseModel

from kanbert.spaces.schemas import SpaceData
from kanbert.users.models import UserType


class UserData(BaseModel):
    id: str
    first_name: str
    last_name: str
    email: str
    type: UserType
    space: SpaceData
