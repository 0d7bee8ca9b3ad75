"""Password hashing with Argon2, off the event loop, with no timing oracle for unknown users."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Literal, TypeVar

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

from apikit.errors import DependencyUnavailableError

HashProfile = Literal["standard", "fast"]
BUSY = "SYS_BUSY"
T = TypeVar("T")


class PasswordHasher:
    """Argon2id for new hashes; older hashes (bcrypt, weaker Argon2 parameters) still verify and
    are upgraded on the next successful login.

    Hashing and verifying run in the hasher's own threads (``workers``, the cores by default),
    with at most ``queue`` more waiting: past that a request is refused at once with a retryable
    503 (``SYS_BUSY``, ``Retry-After``), so a flood of Argon2 work neither piles up until other
    requests time out nor takes the threads other work runs in.

    ``fast`` uses minimal Argon2 parameters; it exists for the test suite only.
    """

    def __init__(
        self, profile: HashProfile = "standard", *, workers: int | None = None, queue: int = 16
    ) -> None:
        current = (
            Argon2Hasher()
            if profile == "standard"
            else Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1)
        )
        self._hash = PasswordHash((current, BcryptHasher()))
        # Verified against when the account does not exist, so both paths cost one hash.
        self._decoy = self._hash.hash("decoy password that matches nothing")
        workers = workers or os.cpu_count() or 1
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="password-hash")
        self._capacity = workers + queue
        self._admitted = 0
        self._lock = threading.Lock()  # released from the worker threads

    @property
    def admitted(self) -> int:
        """Hashes running or waiting for a thread."""
        return self._admitted

    async def hash(self, password: str) -> str:
        return await self._run(self._hash.hash, password)

    async def verify(self, password: str, stored_hash: str | None) -> tuple[bool, str | None]:
        """``(valid, new_hash)``: ``new_hash`` is set when the stored hash should be replaced."""
        if stored_hash is None:
            await self._run(self._hash.verify, password, self._decoy)
            return False, None
        return await self._run(self._hash.verify_and_update, password, stored_hash)

    async def _run(self, work: Callable[..., T], *args: str) -> T:
        with self._lock:
            if self._admitted >= self._capacity:
                raise DependencyUnavailableError(
                    "Too many password checks are waiting; retry in a moment",
                    code=BUSY,
                    headers={"Retry-After": "1"},
                )
            self._admitted += 1
        try:
            future = self._executor.submit(work, *args)
        except BaseException:
            self._release()
            raise
        # Released when the thread is done, not when the caller stops waiting: a cancelled
        # request's hash still occupies its thread until it finishes.
        future.add_done_callback(lambda _: self._release())
        return await asyncio.wrap_future(future)

    def _release(self) -> None:
        with self._lock:
            self._admitted -= 1
