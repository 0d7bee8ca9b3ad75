"""Conditional requests (RFC 9110 §13): ETags, ``If-None-Match`` → 304, ``If-Range`` → all or part.

One reading of the validators for every single resource a service serves, JSON or bytes:

- ``If-None-Match`` uses the weak comparison (``W/"x"`` matches ``"x"``); ``*`` matches any current
  representation; a list matches when any of its tags does. A malformed header matches nothing.
- ``If-Range`` uses the strong comparison: only the exact current strong ETag keeps the ``Range``;
  a weak tag, another tag, a list or a date (no resource here sends ``Last-Modified``) asks for the
  whole representation, a 200.
- A 304 carries the 200's ``ETag`` and ``Cache-Control``, and no body.
"""

from __future__ import annotations

import hashlib
import re

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

# JSON resources: the client may keep them, and asks each time whether they are still current.
REVALIDATE = "private, no-cache"

_OPAQUE_TAG = r'"[\x21\x23-\x7e\x80-\xff]*"'  # etagc: visible characters but DQUOTE, and obs-text
_ENTITY_TAG = re.compile(rf"(W/)?({_OPAQUE_TAG})")
_TAG_LIST = re.compile(rf"[ \t,]*(?:(?:W/)?{_OPAQUE_TAG}[ \t]*(?:,[ \t,]*|\Z))*")


def etag_of(content: bytes) -> str:
    """A strong ETag for ``content``: it changes whenever a byte does."""
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def validators(etag: str, cache_control: str = REVALIDATE) -> dict[str, str]:
    """The headers a 200 and its 304 both carry."""
    return {"ETag": etag, "Cache-Control": cache_control}


def none_match(header: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names the current representation ``etag`` (weak comparison)."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    if _TAG_LIST.fullmatch(header) is None:
        return False
    current = etag.removeprefix("W/")
    return any(opaque == current for _, opaque in _ENTITY_TAG.findall(header))


def range_applies(request: Request, etag: str) -> bool:
    """Whether the request's ``Range`` may be answered in part: without ``If-Range``, or when
    ``If-Range`` is exactly ``etag`` and ``etag`` is strong (the strong comparison)."""
    held = request.headers.getlist("If-Range")
    if not held:
        return True
    return len(held) == 1 and not etag.startswith("W/") and held[0].strip() == etag


def not_modified(request: Request, etag: str, *, cache_control: str = REVALIDATE) -> Response | None:
    """A 304 when the client already holds this version (``If-None-Match``), else None."""
    header = ", ".join(request.headers.getlist("If-None-Match")) or None
    if not none_match(header, etag):
        return None
    return Response(status_code=304, headers=validators(etag, cache_control))


def json_with_etag(request: Request, model: BaseModel) -> Response:
    """A single resource as JSON with its ETag, or the 304 when the client holds this version."""
    content = model.model_dump_json().encode()
    etag = etag_of(content)
    return not_modified(request, etag) or Response(
        content, media_type="application/json", headers=validators(etag)
    )
