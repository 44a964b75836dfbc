"""Response shapes shared by every resource, for the OpenAPI document."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

Item = TypeVar("Item")


class Links(BaseModel):
    first: str | None
    last: str | None
    prev: str | None
    next: str | None


class PageMeta(BaseModel):
    path: str
    per_page: int
    next_cursor: str | None
    next_cursor_url: str | None
    prev_cursor: str | None
    prev_cursor_url: str | None


class Page(BaseModel, Generic[Item]):
    data: list[Item]
    links: Links
    meta: PageMeta


class ErrorBody(BaseModel):
    message: str
    errors: dict[str, list[str]] | None = None


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        400: "Malformed filter, sort, include or cursor",
        401: "Missing, malformed, expired or revoked token",
        403: "The token lacks a scope, or the user may not do this",
        404: "No such record in this space",
        406: "Accept does not allow application/json",
        409: "A concurrent change made the request impossible",
        412: "If-Match does not match",
        413: "Body over the configured limit",
        415: "Body is not application/json",
        422: "Validation failed",
    }.items()
}
