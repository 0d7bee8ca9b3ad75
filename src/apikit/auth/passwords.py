"""Password hashing with Argon2, off the event loop, with no timing oracle for unknown users."""

from __future__ import annotations

import asyncio
from typing import Literal

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

HashProfile = Literal["standard", "fast"]


class PasswordHasher:
    """Argon2id for new hashes; older hashes (bcrypt, weaker Argon2 parameters) still verify and
    are upgraded on the next successful login.

    ``fast`` uses minimal Argon2 parameters; it exists for the test suite only.
    """

    def __init__(self, profile: HashProfile = "standard") -> None:
        current = (
            Argon2Hasher()
            if profile == "standard"
            else Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1)
        )
        self._hash = PasswordHash((current, BcryptHasher()))
        # Verified against when the account does not exist, so both paths cost one hash.
        self._decoy = self._hash.hash("decoy password that matches nothing")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hash.hash, password)

    async def verify(self, password: str, stored_hash: str | None) -> tuple[bool, str | None]:
        """``(valid, new_hash)``: ``new_hash`` is set when the stored hash should be replaced."""
        if stored_hash is None:
            await asyncio.to_thread(self._hash.verify, password, self._decoy)
            return False, None
        return await asyncio.to_thread(self._hash.verify_and_update, password, stored_hash)
