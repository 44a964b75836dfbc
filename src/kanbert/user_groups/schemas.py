"""User group request bodies; the response shape `UsergroupData` is shared with users."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from kanbert.kit.schemas import RequestBody
from kanbert.users.schemas import UsergroupData

__all__ = ["UserGroupCreate", "UserGroupUpdate", "UsergroupData"]

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
External = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class UserGroupCreate(RequestBody):
    name: Name
    is_team: bool = False
    external_id: External | None = None
    external_origin: External | None = None


class UserGroupUpdate(RequestBody):
    name: Name | None = None
    is_team: bool | None = None
    external_id: External | None = None
    external_origin: External | None = None
