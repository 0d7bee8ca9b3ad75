"""Internal tokens are accepted once: the ids (``jti``) of those already presented, each kept
until its token expires.

In process memory by default (bounded: entries are dropped at their token's expiry, and a full
store refuses rather than forgets), or in Redis when configured (``SET NX`` with the token's
expiry), so a token one process took is refused by every other process of the service too.
"""

from __future__ import annotations

import math
from datetime import datetime

from redis.asyncio import Redis
from redis.exceptions import RedisError

from apikit.errors import AuthenticationError, DependencyUnavailableError
from apikit.ids import utcnow

REUSED = AuthenticationError("The token has already been used", code="AUTH_INVALID_TOKEN")


class SpentTokens:
    def __init__(self, redis: Redis | None, *, namespace: str, max_entries: int = 100_000) -> None:
        self._redis = redis
        self._prefix = f"{namespace}:internal-jti"
        self._max_entries = max_entries
        self._spent: dict[str, datetime] = {}  # insertion order: about expiry order (one lifetime)

    async def spend(self, jti: str, expires_at: datetime) -> None:
        """Mark ``jti`` used; raise ``AuthenticationError`` when it was used before (503 when that
        cannot be known: Redis down, or the memory full of unexpired tokens)."""
        if self._redis is not None:
            remaining_ms = max(1, math.ceil((expires_at - utcnow()).total_seconds() * 1000))
            try:
                first = await self._redis.set(f"{self._prefix}:{jti}", "1", nx=True, px=remaining_ms)
            except (RedisError, OSError) as exc:
                raise DependencyUnavailableError("Cannot check the internal token") from exc
            if not first:
                raise REUSED
            return
        now = utcnow()
        self._forget_expired(now)
        if jti in self._spent:
            raise REUSED
        if len(self._spent) >= self._max_entries:
            raise DependencyUnavailableError("Too many internal tokens in flight")
        self._spent[jti] = expires_at

    def _forget_expired(self, now: datetime) -> None:
        while self._spent:
            jti, expires_at = next(iter(self._spent.items()))
            if expires_at > now:
                break
            del self._spent[jti]
        if len(self._spent) >= self._max_entries:  # out of order expiries: look at them all
            self._spent = {jti: expires_at for jti, expires_at in self._spent.items() if expires_at > now}
