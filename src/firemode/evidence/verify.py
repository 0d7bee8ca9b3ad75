"""Proving stored evidence is still what was captured: re-hash every blob against its own key.

Behind ``firemode evidence verify``. A blob's key *is* the SHA-256 recorded when it was uploaded, so
re-hashing the stored bytes detects any change since (bit rot, a bad restore, tampering) without
trusting anything else in the store. Blobs stream back in chunks: memory stays flat whatever their
size. The one thing that grows with the store is the set of expected digests (32 bytes each) kept to
find orphans, blobs that no row refers to: a young one may be an upload in flight (its row not
committed yet), an old one is what a kill between the blob's move and the commit left, and
``firemode purge`` removes it (:mod:`firemode.evidence.orphans`).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from apikit.ids import utcnow
from firemode.evidence.storage import BlobNotFoundError, EvidenceStore, blob_path


@dataclass(frozen=True)
class Mismatch:
    """A blob whose bytes no longer hash to its key, or whose size differs from the recorded one."""

    sha256: str  # the key: the hash recorded at upload
    actual_sha256: str
    expected_size: int
    actual_size: int


@dataclass
class VerifyReport:
    checked: int = 0
    intact: int = 0
    mismatched: list[Mismatch] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    # Blobs no row refers to: written within the upload time limit (possibly an upload in flight),
    # or before it (what a purge removes).
    young_orphans: list[str] = field(default_factory=list)
    old_orphans: list[str] = field(default_factory=list)
    # Temporary files of uploads that died with their process (``firemode purge`` removes them).
    stale_temp_files: list[Path] = field(default_factory=list)

    @property
    def orphans(self) -> int:
        return len(self.young_orphans) + len(self.old_orphans)

    @property
    def ok(self) -> bool:
        """Every expected blob is there and unchanged (orphans and stale temporary files waste
        space but lose nothing: they are reported, not failures)."""
        return not self.mismatched and not self.missing


async def verify_store(
    store: EvidenceStore,
    expected: Iterable[tuple[str, int]] | AsyncIterable[tuple[str, int]],
    progress: Callable[[int], None] | None = None,
    *,
    young_within_seconds: float = 0.0,
) -> VerifyReport:
    """Re-hash each expected ``(sha256, size)`` blob, then list the store's blobs not expected:
    young when written within ``young_within_seconds``, old otherwise.

    ``expected`` may be an async iterable, so rows can stream from the database as they are checked.
    A hash listed twice is checked once. ``progress`` gets the number of blobs checked so far.
    """
    report = VerifyReport()
    seen: set[bytes] = set()
    async for sha256, size in _as_async(expected):
        digest = _digest(sha256)
        if digest is not None and digest in seen:
            continue
        report.checked += 1
        if digest is None:  # not a SHA-256 at all: nothing can be stored under it
            report.missing.append(sha256)
        else:
            seen.add(digest)
            await _check(store, sha256, size, report)
        if progress is not None:
            progress(report.checked)
    young_after: datetime = utcnow() - timedelta(seconds=young_within_seconds)
    async with aclosing(store.listing()) as listing:
        async for blob in listing:
            if bytes.fromhex(blob.sha256) not in seen:
                young = blob.modified_at > young_after
                (report.young_orphans if young else report.old_orphans).append(blob.sha256)
    return report


async def _check(store: EvidenceStore, sha256: str, size: int, report: VerifyReport) -> None:
    try:
        actual_sha256, actual_size = await _rehash(store, sha256)
    except BlobNotFoundError:
        report.missing.append(sha256)
        return
    if actual_sha256 == sha256 and actual_size == size:
        report.intact += 1
    else:
        report.mismatched.append(Mismatch(sha256, actual_sha256, size, actual_size))


def _digest(sha256: str) -> bytes | None:
    """The 32-byte digest (a compact set member), or ``None`` when ``sha256`` is not a storage key."""
    try:
        blob_path(sha256)
    except ValueError:
        return None
    return bytes.fromhex(sha256)


async def _rehash(store: EvidenceStore, sha256: str) -> tuple[str, int]:
    hasher = hashlib.sha256()
    size = 0
    async with aclosing(store.open_range(sha256)) as chunks:
        async for chunk in chunks:
            hasher.update(chunk)
            size += len(chunk)
    return hasher.hexdigest(), size


async def _as_async(
    items: Iterable[tuple[str, int]] | AsyncIterable[tuple[str, int]],
) -> AsyncIterator[tuple[str, int]]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item
