"""Response shape and request bodies of comments (resources.md §6, CommentData)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, StringConstraints

from kanbert.clients.schemas import External, IdRef
from kanbert.files.schemas import FileData
from kanbert.kit.schemas import RequestBody
from kanbert.users.schemas import UserData

MAX_COMMENT_LENGTH = 65_535
Html = Annotated[str, StringConstraints(max_length=MAX_COMMENT_LENGTH)]


class CommentData(BaseModel):
    id: str
    external_id: str | None
    external_origin: str | None
    parent_comment_id: str | None
    sub_comments: list[CommentData]
    author: UserData
    comment: str | None
    attachements: list[FileData]
    is_public: bool
    created_at: str | None
    updated_at: str | None


class CommentFields(RequestBody):
    """What `PATCH` may change; only the fields sent are applied."""

    comment: Html | None = None
    is_public: bool | None = None


class CommentCreate(CommentFields):
    task_id: IdRef
    parent_comment_id: IdRef | None = None
    external_id: External | None = None
    external_origin: External | None = None
