"""The response envelope: ``{"data", "meta", "errors"}`` around every answer of a service that uses it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from apikit.conditional import validators
from apikit.context import request_id_of, warnings_of
from apikit.ids import utcnow

T = TypeVar("T")


class ResponseMeta(BaseModel):
    request_id: str
    timestamp: datetime
    warnings: list[str] = Field(default_factory=list)


class ErrorItem(BaseModel):
    code: str = Field(examples=["NF_PROGRAM"])
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class Envelope(BaseModel, Generic[T]):
    data: T
    meta: ResponseMeta
    errors: list[ErrorItem] = Field(default_factory=list)


class ErrorEnvelope(BaseModel):
    data: None = None
    meta: ResponseMeta
    errors: list[ErrorItem]


def response_meta(request: Request) -> ResponseMeta:
    return ResponseMeta(
        request_id=request_id_of(request.scope),
        timestamp=utcnow(),
        warnings=list(warnings_of(request.scope)),
    )


def envelope(request: Request, data: T) -> Envelope[T]:
    """Wrap a successful answer; warnings added during the request land in ``meta.warnings``."""
    return Envelope[T](data=data, meta=response_meta(request))


def enveloped_json(
    request: Request, data: bytes, *, etag: str | None = None, status_code: int = 200
) -> Response:
    """An envelope around already-serialised ``data`` (from a cache), with its ETag."""
    meta = response_meta(request).model_dump_json()
    body = b'{"data":' + data + b',"meta":' + meta.encode() + b',"errors":[]}'
    headers = validators(etag) if etag else None
    return Response(body, status_code=status_code, media_type="application/json", headers=headers)
