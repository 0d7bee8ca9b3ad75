"""Rate limits with the ``limits`` library: in memory by default, Redis when configured.

Per user when authenticated, per client address otherwise; a rejection is a 429 in the service's
format with ``Retry-After`` and the ``RateLimit-*`` headers (IETF draft), which successful answers
carry too.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends
from limits import RateLimitItem, WindowStats, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import Response

from apikit.context import app_state
from apikit.errors import DependencyUnavailableError, RateLimitedError
from apikit.metrics import Metrics
from apikit.settings import SettingsDep


@dataclass(frozen=True, slots=True)
class LimitState:
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }


class RateLimiter:
    def __init__(
        self, redis_url: str | None = None, *, namespace: str = "apikit", metrics: Metrics | None = None
    ) -> None:
        self._namespace = namespace
        self._rejections = (
            metrics.counter("rate_limit_rejections", "Requests refused by a rate limit", ("scope",))
            if metrics
            else None
        )
        self._storage: Storage = (
            RedisStorage(
                redis_url.replace("redis://", "async+redis://", 1),
                implementation="redispy",
                key_prefix=f"{namespace}:ratelimit",
            )
            if redis_url
            else MemoryStorage()
        )
        self._strategy = MovingWindowRateLimiter(self._storage)
        self._items: dict[str, RateLimitItem] = {}

    def _item(self, rate: str) -> RateLimitItem:
        if rate not in self._items:
            self._items[rate] = parse(rate)
        return self._items[rate]

    async def hit(self, rate: str, scope: str, *keys: str) -> LimitState:
        """Count one attempt; raise ``RateLimitedError`` (429) when the limit is exceeded."""
        item = self._item(rate)
        try:
            allowed = await self._strategy.hit(item, scope, *keys)
            stats = await self._strategy.get_window_stats(item, scope, *keys)
        except (RedisError, OSError) as exc:
            raise DependencyUnavailableError("Rate limiting is unavailable") from exc
        state = LimitState(limit=item.amount, remaining=stats.remaining, reset_seconds=_seconds_until(stats))
        if not allowed:
            raise self._refusal(rate, scope, state)
        return state

    async def check(self, rate: str, scope: str, *keys: str) -> None:
        """Raise ``RateLimitedError`` (429) when the window is already full, counting nothing: for
        limits that count only some outcomes (failed logins), with :meth:`count` after the fact."""
        item = self._item(rate)
        try:
            if await self._strategy.test(item, scope, *keys):
                return
            stats = await self._strategy.get_window_stats(item, scope, *keys)
        except (RedisError, OSError) as exc:
            raise DependencyUnavailableError("Rate limiting is unavailable") from exc
        state = LimitState(limit=item.amount, remaining=0, reset_seconds=_seconds_until(stats))
        raise self._refusal(rate, scope, state)

    async def count(self, rate: str, scope: str, *keys: str) -> None:
        """Count one event toward the limit without refusing anything now (see :meth:`check`)."""
        try:
            await self._strategy.hit(self._item(rate), scope, *keys)
        except (RedisError, OSError) as exc:
            raise DependencyUnavailableError("Rate limiting is unavailable") from exc

    def _refusal(self, rate: str, scope: str, state: LimitState) -> RateLimitedError:
        if self._rejections is not None:
            self._rejections.labels(scope).inc()
        return RateLimitedError(retry_after=state.reset_seconds, limit=rate, headers=state.headers())

    async def reset(self) -> None:
        await self._storage.reset()


def _seconds_until(stats: WindowStats) -> int:
    return max(1, math.ceil(stats.reset_time - time.time()))


def client_address(request: Request) -> str:
    """The caller's address: the peer's, or the one its ``X-Forwarded-For`` names when the peer is
    a proxy listed in ``FORWARDED_ALLOW_IPS`` (uvicorn resolves that before we see it)."""
    return request.client.host if request.client else "unknown"


RateLimiterDep = Annotated[RateLimiter, Depends(app_state("rate_limiter"))]


def rate_limit(rate: Callable[[Any], str], scope: str) -> Callable[..., Awaitable[None]]:
    """A route dependency counting each request against the rate ``rate`` reads from the service's
    settings (a typed function: ``settings.register_rate_per_address``), per user (declare it after
    the authentication dependency) or per address for anonymous callers. The answer carries the
    ``RateLimit-*`` headers; past the limit it is a 429."""

    async def limited(
        request: Request, response: Response, settings: SettingsDep, limiter: RateLimiterDep
    ) -> None:
        caller = request.scope.get("state", {}).get("user_id") or client_address(request)
        state = await limiter.hit(rate(settings), scope, str(caller))
        response.headers.update(state.headers())

    return limited
