from __future__ import annotations

from typing import Any

from kanbert.kit.timefmt import format_datetime
from kanbert.spaces.models import Space


def space_data(space: Space | None) -> dict[str, Any] | None:
    return None if space is None else {"id": space.id, "name": space.name}


def space_detail(space: Space) -> dict[str, Any]:
    return {
        "id": space.id,
        "name": space.name,
        "timezone": space.timezone,
        "locale": space.locale,
        "created_at": format_datetime(space.created_at),
    }
