"""Identifiers and clocks shared by every service."""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import UTC, datetime

_VERSION_7 = 0x7 << 76
_RFC_VARIANT = 0x2 << 62
_NOT_VERSION_OR_VARIANT = ~((0xF << 76) | (0x3 << 62))
_last_millisecond = 0


def new_id() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): time ordered, so primary-key inserts stay append-only in a B-tree.

    48 bits of Unix time in milliseconds, then 74 random bits. Each id's millisecond is later than
    the one before it in this process (the next one when the clock has not moved), so ids made
    here sort in the order they were made: the ``uuid6`` package's ``uuid7()``, built as one
    ``UUID`` rather than two (a 12-week plan takes ~800 ids at once)."""
    global _last_millisecond
    millisecond = time.time_ns() // 1_000_000
    if millisecond <= _last_millisecond:
        millisecond = _last_millisecond + 1
    _last_millisecond = millisecond
    value = (millisecond & 0xFFFF_FFFF_FFFF) << 80 | secrets.randbits(76)
    return uuid.UUID(int=value & _NOT_VERSION_OR_VARIANT | _VERSION_7 | _RFC_VARIANT)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)
