from __future__ import annotations

from pydantic import BaseModel


class SpaceData(BaseModel):
    id: str
    name: str


class SpaceDetail(SpaceData):
    timezone: str
    locale: str
    created_at: str
