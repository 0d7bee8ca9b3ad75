"""Blobs no evidence row refers to, and removing them without ever losing evidence.

An upload moves its blob into place before its row commits (so no row is ever without its blob);
a process killed between the two leaves a blob nothing refers to. The sweep here removes such
blobs: :func:`unreferenced_blobs` for ``firemode purge`` and ``serve``'s periodic purge, and the
start-up hook in :mod:`firemode.main`. The upload's janitor deletes through the same guarded step.

Why it can never delete a blob that a row needs. Identical bytes are stored once, so an upload
whose bytes are already there reuses the blob without writing it (its *dedupe decision*, in
``put_file``) and then commits its row. The danger is a sweep that sees "no row", then the upload
decides to reuse, commits, and the sweep deletes: a row whose evidence is gone. So:

1. **One guard per blob orders deleters with uploads.** The upload takes it (:func:`hold_blob`)
   before its dedupe decision and holds it until its commit; a deletion (:func:`remove_if_unreferenced`)
   takes it, then checks "no row" and deletes *inside* it. Whichever comes second sees the first's
   outcome: a sweep after the upload's commit sees its row and keeps the blob; an upload after the
   sweep's deletion finds no blob and stores its bytes itself. On PostgreSQL the guard is a
   transaction-scoped advisory lock keyed by the hash (``pg_advisory_xact_lock``), and the check
   runs in READ COMMITTED, so its statement's snapshot is taken after the lock was granted, that
   is after the upload's commit; on SQLite it is the write transaction itself (``BEGIN
   IMMEDIATE``: one writer at a time, across processes too), which the upload holds from before
   its dedupe decision until its commit.
2. **Only old blobs are candidates**: last written more than an upload may run before (its time
   limit plus a grace, ``stale_upload_seconds``, the bound the temporary-file sweep uses). A blob
   an upload in flight has just written is never looked at, so the sweep never queues behind a
   live upload's guard, and ``evidence verify`` can call the young ones "possibly in flight".

An upload that *reuses* an old blob does not refresh its age: the guard alone covers that upload
from its decision to its commit (1.), and refreshing would cost a write per duplicate (on an object
store, sending the bytes again, since only a write moves LastModified). Both backends therefore
rely on the same thing: the age from their listing to choose candidates, the guard to decide.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing, asynccontextmanager
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from apikit.db.engine import Database
from apikit.ids import utcnow
from firemode.evidence.models import Evidence
from firemode.evidence.storage import EvidenceStore


def blob_lock_key(sha256: str) -> int:
    """The blob's advisory-lock key on PostgreSQL: its hash's first 64 bits, signed. (Two hashes
    sharing them merely take turns.)"""
    return int.from_bytes(bytes.fromhex(sha256)[:8], "big", signed=True)


async def hold_blob(session: AsyncSession, sha256: str) -> None:
    """Take the blob's guard until ``session``'s transaction ends: a deletion of this blob waits
    for it (PostgreSQL: an advisory lock; SQLite: the write transaction, begun here if it was not)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(blob_lock_key(sha256))))
    else:
        await session.connection()  # begins: BEGIN IMMEDIATE, the database's one write lock


@asynccontextmanager
async def blob_guard(database: Database, sha256: str) -> AsyncIterator[AsyncSession]:
    """A short transaction holding the blob's guard (it may wait for an upload of it to commit)."""
    # READ COMMITTED: each statement sees what committed before it, so after the lock, the upload's row.
    async with database.transactional("READ COMMITTED") as session:
        await hold_blob(session, sha256)
        yield session


async def remove_if_unreferenced(database: Database, store: EvidenceStore, sha256: str) -> bool:
    """Delete the blob unless a row refers to it, deciding under its guard; whether it went."""
    async with blob_guard(database, sha256) as session:
        referenced = await session.scalar(select(Evidence.id).where(Evidence.sha256 == sha256).limit(1))
        if referenced is not None:
            return False
        await store.delete(sha256)
        return True


async def old_unreferenced(
    database: Database, store: EvidenceStore, *, older_than_seconds: float, batch_size: int
) -> AsyncGenerator[list[str], None]:
    """The store's blobs last written over ``older_than_seconds`` ago that no row refers to, in
    batches: candidates only, since a row may commit for one at any time until its guard is held."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    batch: list[str] = []
    async with aclosing(store.listing()) as listing:
        async for blob in listing:
            if blob.modified_at < cutoff:
                batch.append(blob.sha256)
            if len(batch) >= batch_size:
                yield await _without_rows(database, batch)
                batch = []
    if batch:
        yield await _without_rows(database, batch)


async def _without_rows(database: Database, hashes: list[str]) -> list[str]:
    # One indexed query per batch: most old blobs are referenced, and this keeps them out of the
    # write transactions below.
    async with database.read_sessions() as session:
        referenced = set(
            await session.scalars(select(Evidence.sha256).where(Evidence.sha256.in_(hashes)).distinct())
        )
    return [sha256 for sha256 in hashes if sha256 not in referenced]


async def remove_unreferenced_blobs(
    database: Database, store: EvidenceStore, *, older_than_seconds: float, batch_size: int
) -> int:
    """Remove every old blob no row refers to, each decided under its guard; how many went."""
    removed = 0
    async with aclosing(
        old_unreferenced(database, store, older_than_seconds=older_than_seconds, batch_size=batch_size)
    ) as batches:
        async for candidates in batches:
            for sha256 in candidates:
                removed += await remove_if_unreferenced(database, store, sha256)
    return removed
