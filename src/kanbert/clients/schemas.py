from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from kanbert.clients.models import ClientSegment
from kanbert.kit.schemas import RequestBody
from kanbert.spaces.schemas import SpaceData
from kanbert.users.schemas import UserData

if TYPE_CHECKING:
    from kanbert.projects.schemas import ProjectData

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Shortcode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
    ),
]
External = Annotated[str, StringConstraints(min_length=1, max_length=255)]
IdRef = Annotated[str, StringConstraints(max_length=64)]


class ClientData(BaseModel):
    id: str
    external_id: str | None
    external_origin: str | None
    name: str
    shortcode: str | None
    primary_contact: UserData | None
    origin_space: SpaceData | None


class ClientFullData(ClientData):
    segment: ClientSegment
    custom_fields: dict[str, Any]
    updated_at: str
    created_at: str
    deleted_at: str | None
    projects: list[ProjectData] | None = Field(None, description="Only with `include=projects`.")


class ClientCreate(RequestBody):
    name: Name
    shortcode: Shortcode | None = None
    segment: ClientSegment = ClientSegment.B
    primary_contact_id: IdRef | None = None
    external_id: External | None = None
    external_origin: External | None = None
    custom_fields: dict[str, Any] | None = None


class ClientUpdate(RequestBody):
    name: Name | None = None
    segment: ClientSegment | None = None
    primary_contact_id: IdRef | None = None
    custom_fields: dict[str, Any] | None = None


class ExternalIdentifierUpdate(RequestBody):
    external_id: External | None = None
    external_origin: External


class ShortcodeUpdate(RequestBody):
    shortcode: Shortcode


class ShareCreate(RequestBody):
    space_id: IdRef


class ShareData(BaseModel):
    client_id: str
    space: SpaceData
    created_at: str


# ProjectData embeds ClientData, so it lives in a module that imports this one. Importing it
# here (last) lets it complete ClientFullData's `projects` before any route uses the model.
import kanbert.projects.schemas  # noqa: E402, F401
