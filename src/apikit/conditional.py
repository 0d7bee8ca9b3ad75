"""Conditional requests (RFC 9110 §13): ETags, ``If-None-Match`` → 304, ``If-Range`` → all or part.

One reading of the validators for every single resource a service serves, JSON or bytes:

- ``If-None-Match`` uses the weak comparison (``W/"x"`` matches ``"x"``); ``*`` matches any current
  representation; a list matches when any of its tags does. A malformed header matches nothing.
- ``If-Range`` uses the strong comparison: only the exact current strong ETag keeps the ``Range``;
  a weak tag, another tag, a list or a date (no resource here sends ``Last-Modified``) asks for the
  whole representation, a 200.
- ``Range``: one ``bytes=`` range is served in part (206); several ranges, or another unit, get the
  whole representation (RFC 9110 lets a server ignore ``Range``); one that starts past the end is
  a 416.
- A 304 carries the 200's ``ETag`` and ``Cache-Control``, and no body.
"""

from __future__ import annotations

import hashlib
import re

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from apikit.errors import ApiError

# JSON resources: the client may keep them, and asks each time whether they are still current.
REVALIDATE = "private, no-cache"

_OPAQUE_TAG = r'"[\x21\x23-\x7e\x80-\xff]*"'  # etagc: visible characters but DQUOTE, and obs-text
_ENTITY_TAG = re.compile(rf"(W/)?({_OPAQUE_TAG})")
_TAG_LIST = re.compile(rf"[ \t,]*(?:(?:W/)?{_OPAQUE_TAG}[ \t]*(?:,[ \t,]*|\Z))*")
_BYTE_RANGE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$")  # ASCII digits: \d matches every script's
_BEYOND_ANY_SIZE = 2**63  # a position with more digits than int() reads stands for this


class RangeNotSatisfiableError(ApiError):
    status_code = 416
    default_message = "The requested range is not satisfiable"


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


def byte_range(request: Request, etag: str, size: int) -> tuple[int, int] | None:
    """The part of a ``size``-byte representation the request asks for, as ``(first, last)``
    (inclusive), or None for the whole of it: no ``Range``, one that is not a single ``bytes=``
    range, or an ``If-Range`` other than the current strong ``etag`` (the strong comparison).
    A range that starts past the end is a 416 (:class:`RangeNotSatisfiableError`)."""
    held = request.headers.getlist("If-Range")
    if held and (len(held) != 1 or etag.startswith("W/") or held[0].strip() != etag):
        return None
    match = _BYTE_RANGE.match((request.headers.get("Range") or "").strip())
    if match is None:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    unsatisfiable = RangeNotSatisfiableError(headers={"Content-Range": f"bytes */{size}"})
    if first == "":
        if _position(last) == 0:
            raise unsatisfiable
        return max(0, size - _position(last)), size - 1
    start, end = _position(first), min(_position(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise unsatisfiable
    return start, end


def _position(digits: str) -> int:
    # int() refuses more than 4,300 digits (a ValueError, so a 500); no size comes near 19.
    return int(digits) if len(digits.lstrip("0")) < 19 else _BEYOND_ANY_SIZE


def not_modified(request: Request, etag: str, *, cache_control: str = REVALIDATE) -> Response | None:
    """A 304 when the client already holds this version (``If-None-Match``), else None."""
    header = ", ".join(request.headers.getlist("If-None-Match")) or None
    if not none_match(header, etag):
        return None
    return Response(status_code=304, headers=validators(etag, cache_control))


def json_with_etag(request: Request, model: BaseModel) -> Response:
    """A single resource as JSON with its ETag, or the 304 when the client holds this version."""
    return json_bytes_with_etag(request, model.model_dump_json().encode())


def json_bytes_with_etag(request: Request, content: bytes) -> Response:
    """:func:`json_with_etag` for JSON already written (the fast read path's)."""
    etag = etag_of(content)
    return not_modified(request, etag) or Response(
        content, media_type="application/json", headers=validators(etag)
    )
