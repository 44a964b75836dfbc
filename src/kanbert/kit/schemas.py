"""Response shapes shared by every resource, for the OpenAPI document."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, field_validator

Item = TypeVar("Item")

# Dates clients send are kept within these years: PostgreSQL's driver stores the extremes of
# Python's range (0001-01-01, 9999-12-31) as ∓infinity, which no longer compare or group as
# dates.
MIN_YEAR, MAX_YEAR = 1000, 2999


def _plausible_day(value: date) -> date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"the year must be between {MIN_YEAR} and {MAX_YEAR}")
    return value


Day = Annotated[date, AfterValidator(_plausible_day)]


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


def _reject_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if isinstance(value, list | tuple):
        for item in value:
            _reject_nul(item)
    if isinstance(value, dict):
        for key, item in value.items():
            _reject_nul(key)
            _reject_nul(item)
    return value


class RequestBody(BaseModel):
    """Base of every JSON request body: rules that hold for all of them."""

    # No database stores NUL in text (PostgreSQL refuses it), so it is a 422 here, for every field.
    _no_nul = field_validator("*", mode="after")(_reject_nul)


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
        429: "Over the token's rate limit; see Retry-After",
    }.items()
}
