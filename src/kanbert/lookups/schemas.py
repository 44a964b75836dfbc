from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, StringConstraints

from kanbert.kit.schemas import RequestBody

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class CountryData(BaseModel):
    id: str
    name: str
    code: str  # ISO 3166-1 alpha-2


class BusinessFieldData(BaseModel):
    id: str
    name: str


class TagData(BaseModel):
    """Company sizes, company revenues and tags all render as TagData."""

    id: str
    title: str


class NameBody(RequestBody):
    name: Label


class TitleBody(RequestBody):
    title: Label
