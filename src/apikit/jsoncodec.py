"""JSON text for the database: written by orjson, with the standard library where orjson refuses.
And :func:`canonical`, the one text of a JSON value that comparisons, digests and signatures use.

orjson writes compact UTF-8 about ten times faster than ``json``, which matters for a session's
document (tens of KB) written twice per batch. It refuses integers beyond 64 bits, which JSON
request values may hold; those values are written by ``json`` in the same compact form.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

# Reading stays with the standard library: orjson reads an integer beyond 64 bits as a float,
# which would change a stored value (and make its exact resubmission look like a clash).
loads = json.loads


def dumps_bytes(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def dumps(value: Any) -> str:
    return dumps_bytes(value).decode()


def canonical(value: Any, *, ensure_ascii: bool = True, default: Callable[[Any], Any] | None = None) -> str:
    """The one text of ``value``: keys sorted, no whitespace, so equal JSON values give equal texts
    however they were written, and values that differ as JSON differ here (``1``, ``1.0`` and
    ``true`` are three texts).

    ``ensure_ascii`` escapes everything past ASCII, so the text always encodes (lone surrogates
    too); a text already signed or hashed one way must stay that way. ``default`` makes what JSON
    has no type for (a date, an id) into something it has.
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=ensure_ascii, default=default
    )
