from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EvidenceType = Literal["photo", "video", "document", "other"]


class EvidenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    evidence_id: uuid.UUID = Field(validation_alias="id")
    sha256: str
    size_bytes: int
    content_type: str
    filename: str
    session_id: uuid.UUID | None
    evidence_type: EvidenceType
    note: str | None
    uploaded_by: uuid.UUID
    created_at: datetime


class EvidencePage(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    data: list[EvidenceOut] = Field(validation_alias="items")  # read from the kit's Page
    next_cursor: str | None


# The multipart body, for OpenAPI (the endpoint parses the stream itself, never buffering it).
UPLOAD_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "sha256_hash"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "sha256_hash": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
                        "session_id": {"type": "string", "format": "uuid"},
                        "evidence_type": {"type": "string", "enum": ["photo", "video", "document", "other"]},
                        "note": {"type": "string", "maxLength": 2000},
                    },
                }
            }
        },
    }
}
