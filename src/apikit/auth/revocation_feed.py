"""Every process's copy of the revocation list, kept current over Redis pub/sub.

A revocation is committed to the database (the record), then published on the service's channel;
every process, the publisher included, applies it from there. A process trusts its copy only while
its subscription is known to be alive: it subscribes, then reloads everything from the database
(what was published while it was not listening is there), and from then on hears from Redis at
least once per heartbeat (a PING when nothing else arrives). A closed connection, or silence past
heartbeat + timeout, makes the copy untrusted at once: the check answers 503 until the subscription
is back and the reload is done.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from apikit.errors import DependencyUnavailableError
from apikit.logging import get_logger

log = get_logger("apikit.auth.revocation")

Message = dict[str, Any]


class RevocationFeed:
    """One subscriber task per process on ``channel``; ``apply`` gets each published message,
    ``reload`` runs after every (re)subscription, before the copy is trusted again."""

    def __init__(
        self,
        redis: Redis,
        channel: str,
        *,
        reload: Callable[[], Awaitable[None]],
        apply: Callable[[Message], None],
        timeout_seconds: float,
        heartbeat_seconds: float = 1.0,
        retry_seconds: float = 0.5,
    ) -> None:
        self._redis = redis
        self._channel = channel
        self._reload = reload
        self._apply = apply
        self._timeout = timeout_seconds
        self._heartbeat = heartbeat_seconds
        self._retry = retry_seconds
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()  # the running task's: a new start gets a new one
        self._live = False
        self._heard = 0.0  # event-loop time of the last word from Redis
        self._first_attempt: asyncio.Event | None = None  # set once the first subscription settles

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Start the subscriber task (idempotent): at app start-up, or at the first check."""
        if self._task is None or self._task.done():
            self._first_attempt = asyncio.Event()
            self._stopping = asyncio.Event()
            # A context of its own: started by a request, it must not log with that request's id.
            self._task = asyncio.create_task(
                self._run(self._stopping),
                name=f"revocation-feed:{self._channel}",
                context=contextvars.Context(),
            )

    async def stop(self) -> None:
        """Stop the subscriber and wait for it. Cancelling alone is not enough: redis-py may turn
        a cancellation into its own error, or a timeout may swallow it, so the task is also told
        to stop, which it sees within a heartbeat wherever it is."""
        task, self._task = self._task, None
        self._live = False
        if task is not None:
            self._stopping.set()
            task.cancel()
            await asyncio.wait({task}, timeout=self._heartbeat + self._timeout + self._retry)
            if not task.done():  # never seen: it would outlive its owner
                log.error("revocation_feed_did_not_stop", channel=self._channel)

    # --- checking and publishing ------------------------------------------------------------

    async def assert_live(self) -> None:
        """Return when the copy can be trusted; 503 when it cannot (the first subscription is
        waited for, at most the timeout; after that an outage answers at once)."""
        if self._live and asyncio.get_running_loop().time() - self._heard < self._deadline:
            return
        self.start()
        assert self._first_attempt is not None
        if not self._first_attempt.is_set():
            try:
                async with asyncio.timeout(self._timeout):
                    await self._first_attempt.wait()
            except TimeoutError:
                pass
        if not (self._live and asyncio.get_running_loop().time() - self._heard < self._deadline):
            raise DependencyUnavailableError("Cannot check token revocation")

    async def publish(self, message: Message) -> None:
        try:
            await self._redis.publish(self._channel, json.dumps(message))
        except (RedisError, OSError) as exc:
            raise DependencyUnavailableError("Cannot announce the revocation to every process") from exc

    @property
    def _deadline(self) -> float:
        return self._heartbeat + self._timeout

    # --- the subscriber ---------------------------------------------------------------------

    async def _run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                await self._listen(stopping)
            except Exception as exc:  # Redis or the database failed: untrusted until back
                if stopping.is_set():
                    return  # being stopped: a library turned the cancellation into its own error
                log.warning("revocation_feed_down", channel=self._channel, error=repr(exc))
            finally:
                self._live = False
                if self._first_attempt is not None:
                    self._first_attempt.set()
            if not stopping.is_set():
                await asyncio.sleep(self._retry)

    async def _listen(self, stopping: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        pubsub = self._redis.pubsub()
        try:
            async with asyncio.timeout(self._timeout):
                await pubsub.subscribe(self._channel)
                # The confirmation: from here on nothing published is missed, so the reload that
                # follows plus the messages after it are the whole list.
                confirmed = await pubsub.get_message(timeout=self._timeout)
            if confirmed is None or confirmed["type"] != "subscribe":
                raise ConnectionError(f"no subscription confirmed: {confirmed!r}")
            await self._reload()
            self._heard, self._live = loop.time(), True
            assert self._first_attempt is not None
            self._first_attempt.set()
            log.info("revocation_feed_live", channel=self._channel)
            while not stopping.is_set():
                message = await pubsub.get_message(timeout=self._heartbeat)
                now = loop.time()
                if message is None:
                    if now - self._heard >= self._deadline:
                        raise ConnectionError("Redis went silent")
                    await pubsub.ping()  # its PONG counts as word from Redis
                    continue
                self._heard = now
                if message["type"] == "message":
                    self._apply(json.loads(message["data"]))
                elif message["type"] == "subscribe":  # a silent reconnection: messages may be lost
                    raise ConnectionError("subscribed again")
        finally:
            self._live = False
            await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
