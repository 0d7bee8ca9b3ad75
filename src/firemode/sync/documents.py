"""Decoded session documents kept in process between batches, so a batch does not decode the
document it merges into (tens of KB of JSON) when the previous batch left it here.

An entry is a session's document as one committed version of its row left it: the version is the
row's ``(checkpoint, updated_at)``, which every accepted batch changes, read under the row lock. A
batch *takes* the entry (it merges into it in place) and only a committed batch puts its document
back (``after_commit``), so a batch that rolls back leaves nothing behind, and a version another
process wrote, or a row written elsewhere, is simply not found: the document is read from the row.
One entry per session, the least recently used dropped past either bound.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Version = tuple[int, datetime]  # the row's (checkpoint, updated_at)


@dataclass(frozen=True, slots=True)
class _Entry:
    version: Version
    document: dict[str, Any]
    size: int  # the document's JSON bytes, as the row's document_bytes counts them


class DocumentCache:
    """At most ``max_sessions`` documents and ``max_bytes`` of their JSON (0 keeps nothing)."""

    def __init__(self, max_sessions: int, max_bytes: int) -> None:
        self.max_sessions = max_sessions
        self.max_bytes = max_bytes
        self._entries: OrderedDict[uuid.UUID, _Entry] = OrderedDict()
        self._bytes = 0
        self.hits = 0  # takes that found the version asked for
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """The JSON bytes of the documents held."""
        return self._bytes

    def take(self, session_id: uuid.UUID, version: Version) -> dict[str, Any] | None:
        """The document of ``session_id`` at ``version``, removed from the cache (the caller may
        change it), or None when this process does not hold that version."""
        entry = self._entries.pop(session_id, None)
        if entry is not None:
            self._bytes -= entry.size
            if entry.version == version:
                self.hits += 1
                return entry.document
        self.misses += 1
        return None

    def put(self, session_id: uuid.UUID, version: Version, document: dict[str, Any], size: int) -> None:
        """Keep ``document`` as the committed ``version`` of the session, replacing any other;
        the caller no longer changes it."""
        old = self._entries.pop(session_id, None)
        if old is not None:
            self._bytes -= old.size
        if size > self.max_bytes or self.max_sessions == 0:
            return
        self._entries[session_id] = _Entry(version, document, size)
        self._bytes += size
        while len(self._entries) > self.max_sessions or self._bytes > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= dropped.size
