"""The revocation list: logout revokes one access token, "tokens valid after" revokes a user's all.

The database is the record. Every authenticated request asks this list, so the answer comes from a
cache: Redis when configured (shared by every worker, rebuilt from the database if it is ever
emptied), otherwise process memory synchronised from the database every few seconds. Either way
the check fails closed: when the answer cannot be known, the request is refused with a 503.
A user who no longer exists has every token revoked with them.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from apikit.auth.models import UserColumns
from apikit.auth.tokens import AccessClaims
from apikit.db.engine import Database
from apikit.errors import AuthenticationError, DependencyUnavailableError
from apikit.ids import utcnow
from apikit.logging import get_logger

log = get_logger("apikit.auth.revocation")

_USERS_REMEMBERED = 10_000


def token_revoked() -> AuthenticationError:
    # A new instance each time: a raised exception keeps its traceback (and every frame's locals),
    # so one shared instance would chain every request's frames that ever raised it.
    return AuthenticationError("The token has been revoked", code="AUTH_INVALID_TOKEN")


class RevocationList:
    def __init__(
        self,
        *,
        database: Database,
        revoked_model: Any,
        user_model: Any,
        access_lifetime: timedelta,
        redis: Redis | None = None,
        namespace: str = "apikit",
        sync_seconds: float = 2.0,
        max_staleness_seconds: float = 60.0,
    ) -> None:
        self._database = database
        self._revoked_model = revoked_model
        self._user_model = user_model
        self._access_lifetime = access_lifetime
        self._redis = redis
        self._prefix = f"{namespace}:revocation"
        self._sync_seconds = sync_seconds
        self._max_staleness = timedelta(seconds=max_staleness_seconds)
        self._revoked: dict[str, datetime] = {}
        self._valid_after: dict[str, datetime] = {}
        self._synced_at: datetime | None = None
        self._sync_lock = asyncio.Lock()
        self._users_seen: OrderedDict[str, datetime] = OrderedDict()  # user id → when found

    # --- checking ---------------------------------------------------------------------------

    async def assert_valid(self, claims: AccessClaims) -> None:
        """Raise ``AuthenticationError`` when the token is revoked; 503 when that is unknowable."""
        if self._redis is not None:
            revoked, valid_after = await self._ask_redis(claims)
        else:
            await self._sync_if_stale()
            revoked = claims.jti in self._revoked
            valid_after = self._valid_after.get(claims.sub)
        if revoked or (valid_after is not None and claims.iat < valid_after):
            raise token_revoked()
        await self._assert_user_exists(claims.sub)

    async def _assert_user_exists(self, user_id: str) -> None:
        """A deleted user's tokens are revoked with the user: seen within ``sync_seconds``, like
        any revocation in process memory (a positive answer is remembered that long)."""
        now = utcnow()
        seen = self._users_seen.get(user_id)
        if seen is not None and now - seen < timedelta(seconds=self._sync_seconds):
            return
        try:
            exists = await self._user_exists(uuid.UUID(user_id))
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            raise DependencyUnavailableError("Cannot check the token's user") from exc
        if not exists:
            self._users_seen.pop(user_id, None)
            raise AuthenticationError("The token's user no longer exists", code="AUTH_INVALID_TOKEN")
        self._users_seen[user_id] = now
        self._users_seen.move_to_end(user_id)
        if len(self._users_seen) > _USERS_REMEMBERED:
            self._users_seen.popitem(last=False)

    async def _user_exists(self, user_id: uuid.UUID) -> bool:
        statement = select(self._user_model.id).where(self._user_model.id == user_id)
        async with self._database.read_sessions() as session:
            if await session.scalar(statement) is not None:
                return True
        database = self._database
        if database.read_engine is database.engine or database.dialect == "sqlite":
            return False
        # A replica may not have a user who just registered yet: the primary has the last word.
        async with database.sessions() as session:
            return await session.scalar(statement) is not None

    # --- revoking (inside the caller's unit of work) ----------------------------------------

    async def revoke_token(self, session: AsyncSession, claims: AccessClaims) -> None:
        session.add(self._revoked_model(jti=claims.jti, user_id=uuid.UUID(claims.sub), expires_at=claims.exp))
        await session.flush()
        await self._cache_token(claims.jti, claims.exp)

    async def revoke_user(self, session: AsyncSession, user: UserColumns) -> None:
        """Every token the user holds stops working (password change, disabled, role change)."""
        user.tokens_valid_after = utcnow()
        await session.flush()
        await self._cache_user(str(user.id), user.tokens_valid_after)

    # --- the cache --------------------------------------------------------------------------

    async def _cache_token(self, jti: str, expires_at: datetime) -> None:
        if self._redis is None:
            self._revoked[jti] = expires_at
            return
        remaining_ms = max(1, math.ceil((expires_at - utcnow()).total_seconds() * 1000))
        await self._redis_call(self._redis.set(f"{self._prefix}:jti:{jti}", "1", px=remaining_ms))

    async def _cache_user(self, user_id: str, valid_after: datetime) -> None:
        if self._redis is None:
            self._valid_after[user_id] = valid_after
            return
        # Past one token lifetime every older token has expired anyway: the key can go too.
        ttl = int(self._access_lifetime.total_seconds()) + 60
        key = f"{self._prefix}:user:{user_id}"
        await self._redis_call(self._redis.set(key, str(valid_after.timestamp()), ex=ttl))

    async def _ask_redis(self, claims: AccessClaims) -> tuple[bool, datetime | None]:
        assert self._redis is not None
        keys = [
            f"{self._prefix}:ready",
            f"{self._prefix}:jti:{claims.jti}",
            f"{self._prefix}:user:{claims.sub}",
        ]
        ready, revoked, valid_after = await self._redis_call(self._redis.mget(keys))
        if ready is None:
            # Redis was emptied (restart without persistence): rebuild from the record first.
            await self._rebuild_redis()
            ready, revoked, valid_after = await self._redis_call(self._redis.mget(keys))
        after = datetime.fromtimestamp(float(valid_after), tz=claims.iat.tzinfo) if valid_after else None
        return revoked is not None, after

    async def _rebuild_redis(self) -> None:
        assert self._redis is not None
        revoked, valid_after = await self._load(since=None)
        for jti, expires_at in revoked.items():
            await self._cache_token(jti, expires_at)
        for user_id, moment in valid_after.items():
            await self._cache_user(user_id, moment)
        await self._redis_call(self._redis.set(f"{self._prefix}:ready", "1"))
        log.info("revocation_cache_rebuilt", tokens=len(revoked), users=len(valid_after))

    async def _sync_if_stale(self) -> None:
        if self._fresh():
            return
        async with self._sync_lock:
            if self._fresh():
                return  # another request synchronised while we waited
            now = utcnow()
            since = self._synced_at - timedelta(seconds=self._sync_seconds) if self._synced_at else None
            try:
                revoked, valid_after = await self._load(since=since)
            except Exception as exc:
                if self._synced_at is None or utcnow() - self._synced_at > self._max_staleness:
                    raise DependencyUnavailableError("Cannot check token revocation") from exc
                log.warning("revocation_sync_failed", error=repr(exc))
                return
            self._revoked.update(revoked)
            self._valid_after.update(valid_after)
            self._revoked = {jti: exp for jti, exp in self._revoked.items() if exp > now}
            self._synced_at = now

    def _fresh(self) -> bool:
        age = utcnow() - self._synced_at if self._synced_at else None
        return age is not None and age < timedelta(seconds=self._sync_seconds)

    async def _load(self, since: datetime | None) -> tuple[dict[str, datetime], dict[str, datetime]]:
        """Unexpired revocations (changed since ``since``, or all) from the database."""
        now = utcnow()
        revoked_model, user_model = self._revoked_model, self._user_model
        tokens = select(revoked_model.jti, revoked_model.expires_at).where(revoked_model.expires_at > now)
        users = select(user_model.id, user_model.tokens_valid_after).where(
            user_model.tokens_valid_after > now - self._access_lifetime
        )
        if since is not None:
            tokens = tokens.where(revoked_model.revoked_at >= since)
            users = users.where(user_model.tokens_valid_after >= since)
        async with self._database.read_sessions() as session:
            revoked: dict[str, datetime] = {row.jti: row.expires_at for row in await session.execute(tokens)}
            valid_after = {str(row.id): row.tokens_valid_after for row in await session.execute(users)}
        return revoked, valid_after

    async def _redis_call(self, awaitable: Any) -> Any:
        try:
            return await awaitable
        except (RedisError, OSError) as exc:
            raise DependencyUnavailableError("Cannot check token revocation") from exc
