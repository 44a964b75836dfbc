from __future__ import annotations

from typing import Any

from kanbert.files.models import StoredFile
from kanbert.kit.timefmt import format_datetime


def file_data(file: StoredFile | None) -> dict[str, Any] | None:
    if file is None:
        return None
    return {
        "id": file.id,
        "file_name": file.file_name,
        "mime_type": file.mime_type,
        "size": file.size,
        "entity_id": file.entity_id,
        "entity_type": file.entity_type,
        "created_at": format_datetime(file.created_at),
    }
