"""The revocation list: logout revokes one access token, "tokens valid after" revokes a user's all.

The database is the record. Every authenticated request asks this list, so each process keeps it
in memory: with Redis, loaded from the database and kept current over pub/sub (every revocation is
published after its commit and applied by every process, see :mod:`apikit.auth.revocation_feed`);
without Redis, synchronised from the database every few seconds. Either way the check fails closed:
when the answer cannot be known, the request is refused with a 503.
A user who no longer exists has every token revoked with them.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from apikit.auth.models import UserColumns
from apikit.auth.revocation_feed import Message, RevocationFeed
from apikit.auth.tokens import AccessClaims
from apikit.db.engine import Database, after_commit
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
        timeout_seconds: float = 2.0,
    ) -> None:
        self._database = database
        self._revoked_model = revoked_model
        self._user_model = user_model
        self._access_lifetime = access_lifetime
        self._sync_seconds = sync_seconds
        self._max_staleness = timedelta(seconds=max_staleness_seconds)
        self._revoked: dict[str, datetime] = {}  # jti → when the token expires anyway
        self._valid_after: dict[str, datetime] = {}  # user id → tokens issued before are revoked
        self._pruned_at = time.monotonic()
        self._synced_at: datetime | None = None
        self._sync_lock = asyncio.Lock()
        self._users_seen: OrderedDict[str, float] = OrderedDict()  # user id → when found (monotonic)
        self._feed = (
            RevocationFeed(
                redis,
                f"{namespace}:revocation",
                reload=self._reload,
                apply=self._apply,
                timeout_seconds=timeout_seconds,
            )
            if redis is not None
            else None
        )

    async def start(self) -> None:
        """With Redis, subscribe now (at app start-up) rather than at the first request."""
        if self._feed is not None:
            self._feed.start()

    async def stop(self) -> None:
        if self._feed is not None:
            await self._feed.stop()

    # --- checking ---------------------------------------------------------------------------

    async def assert_valid(self, claims: AccessClaims) -> None:
        """Raise ``AuthenticationError`` when the token is revoked; 503 when that is unknowable."""
        if self._feed is not None:
            await self._feed.assert_live()
        else:
            await self._sync_if_stale()
        valid_after = self._valid_after.get(claims.sub)
        if claims.jti in self._revoked or (valid_after is not None and claims.iat < valid_after):
            raise token_revoked()
        await self._assert_user_exists(claims.sub)

    async def _assert_user_exists(self, user_id: str) -> None:
        """A deleted user's tokens are revoked with the user: seen within ``sync_seconds``, like
        any revocation in process memory (a positive answer is remembered that long)."""
        now = time.monotonic()
        seen = self._users_seen.get(user_id)
        if seen is not None and now - seen < self._sync_seconds:
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

    # --- revoking (inside the caller's unit of work; announced once it commits) --------------

    async def revoke_token(self, session: AsyncSession, claims: AccessClaims) -> None:
        session.add(self._revoked_model(jti=claims.jti, user_id=uuid.UUID(claims.sub), expires_at=claims.exp))
        await session.flush()
        message = {"jti": claims.jti, "exp": claims.exp.isoformat()}
        after_commit(session, lambda: self._announce(message))

    async def revoke_user(self, session: AsyncSession, user: UserColumns) -> None:
        """Every token the user holds stops working (password change, disabled, role change)."""
        user.tokens_valid_after = utcnow()
        await session.flush()
        message = {"user": str(user.id), "after": user.tokens_valid_after.isoformat()}
        after_commit(session, lambda: self._announce(message))

    async def _announce(self, message: Message) -> None:
        """This process applies a committed revocation at once; with Redis, every other process
        hears it over pub/sub (and a failure to publish is a 503: the record stands, but the
        caller must not be told every process knows)."""
        self._apply(message)
        if self._feed is not None:
            await self._feed.publish(message)

    # --- the copy in process memory ---------------------------------------------------------

    def _apply(self, message: Message) -> None:
        if "jti" in message:
            self._revoked[str(message["jti"])] = _moment(message["exp"])
        else:
            self._note_valid_after({str(message["user"]): _moment(message["after"])})
        if time.monotonic() - self._pruned_at > self._access_lifetime.total_seconds() / 4:
            self._prune()

    def _note_valid_after(self, moments: dict[str, datetime]) -> None:
        # "Valid after" only moves forward: a message and a reload may arrive in either order.
        for user_id, moment in moments.items():
            known = self._valid_after.get(user_id)
            if known is None or moment > known:
                self._valid_after[user_id] = moment

    def _prune(self) -> None:
        """Forget what no unexpired token can be affected by any more."""
        now = utcnow()
        self._revoked = {jti: exp for jti, exp in self._revoked.items() if exp > now}
        oldest = now - self._access_lifetime
        self._valid_after = {user: moment for user, moment in self._valid_after.items() if moment > oldest}
        self._pruned_at = time.monotonic()

    async def _reload(self) -> None:
        """Everything from the record (the primary: a replica may not have the newest yet)."""
        async with asyncio.timeout(self._max_staleness.total_seconds()):
            revoked, valid_after = await self._load(since=None, primary=True)
        self._revoked.update(revoked)
        self._note_valid_after(valid_after)
        self._prune()
        log.info("revocation_list_loaded", tokens=len(self._revoked), users=len(self._valid_after))

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
            self._note_valid_after(valid_after)
            self._revoked = {jti: exp for jti, exp in self._revoked.items() if exp > now}
            self._synced_at = now

    def _fresh(self) -> bool:
        age = utcnow() - self._synced_at if self._synced_at else None
        return age is not None and age < timedelta(seconds=self._sync_seconds)

    async def _load(
        self, since: datetime | None, *, primary: bool = False
    ) -> tuple[dict[str, datetime], dict[str, datetime]]:
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
        database = self._database
        replicated = database.read_engine is not database.engine and database.dialect != "sqlite"
        async with (database.sessions if primary and replicated else database.read_sessions)() as session:
            revoked: dict[str, datetime] = {row.jti: row.expires_at for row in await session.execute(tokens)}
            valid_after = {str(row.id): row.tokens_valid_after for row in await session.execute(users)}
        return revoked, valid_after


def _moment(value: Any) -> datetime:
    """An ISO 8601 time from a message (aware, as the columns give them back; UTC if naive)."""
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
