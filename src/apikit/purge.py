"""Removing what has expired: the one list of purgeable kinds, and the one way to purge them.

Each service lists its kinds on ``app.state.purgeable_kinds`` (the kit adds the identity ones in
``install_identity``; a service adds its idempotency keys and anything of its own). ``purge``
runs them for the ``purge`` command; ``purge_periodically`` for the optional task inside
``serve``. A kind removes only what can no longer mean anything (keys past their 24 hours,
revocations of tokens that have expired, refresh-token families long dead, temporary files no
live upload owns): records a service keeps are never a purgeable kind.

Rows go in batches, each its own short transaction, so a large backlog never holds SQLite's one
writer turn (or PostgreSQL row locks) for long.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, select

from apikit.db.engine import Database
from apikit.ids import utcnow
from apikit.logging import get_logger

log = get_logger("apikit.purge")

BATCH_SIZE = 1000
# Access tokens are checked with a few seconds of clock leeway: a revocation outlives its token's
# expiry by more than that.
REVOCATION_GRACE = timedelta(minutes=1)


@dataclass(frozen=True)
class PurgeableKind:
    """One kind of thing that expires: ``name`` keys the report, ``remove(batch_size)`` deletes
    everything of the kind expired by now and returns how many went."""

    name: str
    remove: Callable[[int], Awaitable[int]]


async def purge(kinds: Sequence[PurgeableKind], *, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Run every kind once; how many of each were removed, in the kinds' order."""
    return {kind.name: await kind.remove(batch_size) for kind in kinds}


async def purge_periodically(kinds: Sequence[PurgeableKind], interval: timedelta) -> None:
    """Purge every ``interval`` until cancelled (the ``serve`` task). A kind that fails is logged
    and tried again next time; the others still run, and the app never notices."""
    while True:
        await asyncio.sleep(interval.total_seconds())
        removed: dict[str, int] = {}
        for kind in kinds:
            try:
                removed[kind.name] = await kind.remove(BATCH_SIZE)
            except Exception:
                log.exception("purge_failed", kind=kind.name)
        log.info("purged", **removed)


def expired_idempotency_keys(database: Database, model: Any) -> PurgeableKind:
    """Keys past their retention (``expires_at``, which the table indexes for this)."""
    return expired_rows("idempotency_keys", database, model)


def expired_rows(name: str, database: Database, model: Any) -> PurgeableKind:
    """Rows of ``model`` whose ``expires_at`` (indexed) has passed."""
    return PurgeableKind(
        name, _delete_matching(database, model, model.id, lambda now: model.expires_at <= now)
    )


def expired_revocations(database: Database, model: Any) -> PurgeableKind:
    """Revocations of access tokens that have expired: an expired token is refused anyway."""
    return PurgeableKind(
        "revoked_tokens",
        _delete_matching(database, model, model.jti, lambda now: model.expires_at <= now - REVOCATION_GRACE),
    )


def dead_refresh_families(database: Database, model: Any, lifetime: timedelta) -> PurgeableKind:
    """Refresh tokens of families whose newest token expired more than a ``lifetime`` ago.

    A family goes whole, never token by token: while any token of it lives, a spent one
    presented again must still be recognised (theft detection revokes the family).
    """

    async def remove(batch_size: int) -> int:
        cutoff = utcnow() - lifetime
        dead = (
            select(model.family_id)
            .group_by(model.family_id)
            .having(func.max(model.expires_at) <= cutoff)
            .limit(batch_size)
        )
        return await _delete_batches(database, model, model.family_id, dead, batch_size)

    return PurgeableKind("refresh_tokens", remove)


def _delete_matching(
    database: Database, model: Any, key: Any, expired: Callable[[datetime], ColumnElement[bool]]
) -> Callable[[int], Awaitable[int]]:
    async def remove(batch_size: int) -> int:
        batch = select(key).where(expired(utcnow())).limit(batch_size)
        return await _delete_batches(database, model, key, batch, batch_size)

    return remove


async def _delete_batches(
    database: Database, model: Any, key: Any, batch: Select[Any], batch_size: int
) -> int:
    """Delete the rows whose ``key`` ``batch`` selects, a batch per transaction, until none is left."""
    removed = 0
    while True:
        async with database.transactional() as session:
            keys = list((await session.execute(batch)).scalars())
            if keys:
                result = await session.execute(delete(model).where(key.in_(keys)))
                removed += result.rowcount  # type: ignore[attr-defined]
        if len(keys) < batch_size:
            return removed
