"""Cache-aside for read-heavy resources (their ETags and 304s: :mod:`apikit.conditional`).

An in-process LRU by default, Redis when configured. Invalidation is by generation: every key of
a scope embeds the scope's generation, and a write bumps it, so one increment retires every entry
(lists, pages and details) without listing them. A cache that cannot answer is a miss, never an
error: the database is the record.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from apikit.context import app_state
from apikit.db.engine import after_commit
from apikit.logging import get_logger

log = get_logger("apikit.cache")


class Cache:
    def __init__(self, redis: Redis | None, *, namespace: str, max_entries: int = 4096) -> None:
        self._redis = redis
        self._prefix = f"{namespace}:cache"
        self._max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._generations: dict[str, int] = {}

    async def key(self, scope: str, *parts: object) -> str:
        """A key in ``scope`` that stops matching when the scope is invalidated."""
        generation = await self._generation(scope)
        return ":".join([self._prefix, scope, str(generation), *(str(part) for part in parts)])

    async def keys(self, scope: str, *parts: tuple[object, ...]) -> list[str]:
        """:meth:`key` for several keys of ``scope`` at once: the generation is read once."""
        generation = await self._generation(scope)
        return [
            ":".join([self._prefix, scope, str(generation), *(str(part) for part in each)]) for each in parts
        ]

    async def remember(self, key: str, build: Callable[[], Awaitable[bytes]]) -> bytes:
        """The value under ``key``; on a miss, ``build()`` makes it and it is stored (cache-aside)."""
        value = await self.get(key)
        if value is None:
            value = await build()
            await self.set(key, value)
        return value

    async def get(self, key: str) -> bytes | None:
        if self._redis is not None:
            try:
                stored = await self._redis.get(key)
            except (RedisError, OSError) as error:
                log.warning("cache_unavailable", error=repr(error))
                return None
            return stored.encode() if isinstance(stored, str) else stored
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires < time.monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def get_many(self, keys: list[str]) -> list[bytes | None]:
        """:meth:`get` for several keys in one round trip."""
        if self._redis is None:
            return [await self.get(key) for key in keys]
        try:
            stored = await self._redis.mget(keys)
        except (RedisError, OSError) as error:
            log.warning("cache_unavailable", error=repr(error))
            return [None] * len(keys)
        return [value.encode() if isinstance(value, str) else value for value in stored]

    async def set(self, key: str, value: bytes, ttl_seconds: int = 300) -> None:
        if self._redis is not None:
            try:
                await self._redis.set(key, value, ex=ttl_seconds)
            except (RedisError, OSError) as error:
                log.warning("cache_unavailable", error=repr(error))
            return
        self._entries[key] = (time.monotonic() + ttl_seconds, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def invalidate_after_commit(self, session: AsyncSession, scope: str) -> None:
        """Retire ``scope`` once the write in ``session`` has committed: what a write endpoint
        calls, so no reader can cache the old rows under the new generation."""
        after_commit(session, lambda: self.invalidate(scope))

    async def invalidate(self, scope: str) -> None:
        """Retire every entry of ``scope`` now (outside a unit of work; endpoints use
        :meth:`invalidate_after_commit`)."""
        if self._redis is not None:
            try:
                await self._redis.incr(f"{self._prefix}:generation:{scope}")
            except (RedisError, OSError) as error:
                # Entries may now be stale for their TTL at most; say so loudly.
                log.error("cache_invalidation_failed", scope=scope, error=repr(error))
            return
        self._generations[scope] = self._generations.get(scope, 0) + 1

    async def _generation(self, scope: str) -> int:
        if self._redis is not None:
            try:
                value = await self._redis.get(f"{self._prefix}:generation:{scope}")
            except (RedisError, OSError):
                return -1  # an unreadable generation matches no entry: a miss
            return int(value or 0)
        return self._generations.get(scope, 0)


CacheDep = Annotated[Cache, Depends(app_state("cache"))]
