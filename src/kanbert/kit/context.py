"""Who is asking: the one object every service and query receives with a request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kanbert.kit.timefmt import utcnow


@dataclass(frozen=True)
class Caller:
    space_id: str
    user_id: str
    user_type: str
    is_owner: bool
    scopes: frozenset[str]
    origin: str  # default `external_origin` for what this caller writes
    token_id: str
    timezone: str = "UTC"
    user: Any = None  # the User row, for rendering `whoami`
    now: datetime = field(default_factory=utcnow)
    # The space's custom field definitions version as the token lookup read it (None: unknown).
    custom_fields_version: int | None = None
    # Per-request memo for things loaded once and used while rendering (custom field definitions).
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def sees_everything(self) -> bool:
        return self.is_owner or self.user_type == "integration"
