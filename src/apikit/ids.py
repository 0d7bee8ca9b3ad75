"""Identifiers and clocks shared by every service."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import uuid6


def new_id() -> uuid.UUID:
    """A UUIDv7: time ordered, so primary-key inserts stay append-only in a B-tree."""
    return uuid.UUID(int=uuid6.uuid7().int)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)
