from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kanbert.files.entities import REGISTRY
from kanbert.kit.schemas import RequestBody


class FileData(BaseModel):
    id: str
    file_name: str
    mime_type: str
    size: int = Field(description="Bytes.")
    entity_id: str
    entity_type: str
    created_at: str


class AvatarUpdate(RequestBody):
    model_config = ConfigDict(extra="forbid")

    file_id: str = Field(
        min_length=1, max_length=32, description="A file uploaded for this user (entity_type user)."
    )


# The multipart body of `POST /files`, documented by hand: the endpoint reads the stream itself
# (FastAPI's form parsing would spool the whole file first).
UPLOAD_REQUEST_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["entity_type", "entity_id", "file"],
                "properties": {
                    "entity_type": {
                        "type": "string",
                        "enum": list(REGISTRY),
                        "description": "The kind of record the file belongs to.",
                    },
                    "entity_id": {"type": "string", "maxLength": 32},
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "The file; send its name and Content-Type with the part.",
                    },
                },
            },
            # Fields first lets the server check access before it stores a byte.
            "encoding": {"file": {"contentType": "application/octet-stream, */*"}},
        }
    },
}

DOWNLOAD_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The file's bytes, with its stored Content-Type.",
        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
    }
}
