"""Idempotency keys: a retried request gets the first answer, never a second effect.

Per ``(caller, key)`` the first request claims the key in a transaction of its own (so a concurrent
twin sees the claim at once); its success is recorded in the request's own unit of work (so the
effect and the stored answer commit together); a failure releases the claim (so a retry after a
fix can succeed). The unique constraint on ``(caller, key)`` decides every race.

A claim is a lease (``lease_expires_at``, ``*_IDEMPOTENCY_LEASE_SECONDS`` from the claim): a twin
is told to come back when it ends (``Retry-After``), and once it has ended with no answer recorded
the request is taken to be dead and the next one with the key takes the claim over. The lease is
longer than any request the service runs, and a request that still outlives it cannot record: its
answer is written only while its own claim stands, else it fails and its effect rolls back, so
however slow the first, a key's effect is committed once.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Header, Query, Request
from sqlalchemy import Index, String, UniqueConstraint, and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from starlette.responses import JSONResponse

from apikit.db.base import IdMixin
from apikit.db.engine import Database, DatabaseDep
from apikit.errors import ConflictError, ValidationError
from apikit.ids import utcnow
from apikit.jsoncodec import canonical
from apikit.settings import ServiceSettings, SettingsDep

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
RETENTION = timedelta(hours=24)


class IdempotencyKeyColumns(IdMixin):
    """``idempotency_keys``: one row per (caller, key), holding the first successful answer."""

    caller: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    # Until then the claiming request may still be running; past it, with no answer recorded, the
    # request is dead and the next one with the key takes the claim over.
    lease_expires_at: Mapped[datetime]
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    response_status: Mapped[int | None] = mapped_column(default=None)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(default=None)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (UniqueConstraint("caller", "key"), Index(None, "expires_at"))


class IdempotentReplay(Exception):
    """Raised by the guard to answer with the stored response instead of running the endpoint."""

    def __init__(self, status_code: int, body: dict[str, Any]) -> None:
        self.status_code = status_code
        self.body = body


async def replay_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IdempotentReplay)
    return JSONResponse(exc.body, status_code=exc.status_code, headers={REPLAYED_HEADER: "true"})


# Operation ids are UUIDv5 names under this namespace (fixed: a retry must derive the same id).
_OPERATIONS = uuid.UUID("0b6f1a8e-2c39-5d1e-9a4f-7e3c5b2d8a61")


@dataclass(frozen=True)
class IdempotentOperation:
    """What identifies a keyed request beyond this process: ``id`` is derived from the caller and
    the key (so every retry carries the same one), ``fingerprint`` tells the same request from
    another sent under that key. A process the request is handed on to (a worker) records the
    operation with its effect, so a retry whose first attempt this process gave up on, though
    the effect committed there, resolves to that one effect."""

    id: uuid.UUID
    fingerprint: str

    @classmethod
    def of(cls, caller: str, key: str, fingerprint: str) -> IdempotentOperation:
        # The key is visible ASCII, so a newline cannot occur in it: the name is unambiguous.
        return cls(uuid.uuid5(_OPERATIONS, f"{caller}\n{key}"), fingerprint)


@dataclass
class IdempotencyGuard:
    """What the endpoint holds: ``record(session, status, body)`` stores its successful answer;
    ``operation`` identifies the request to a process it is handed on to."""

    model: Any
    row_id: uuid.UUID | None  # None when the request carried no key (and none was required)
    operation: IdempotentOperation | None = None

    async def record(self, session: AsyncSession, status_code: int, body: dict[str, Any]) -> None:
        """Store the answer, in the unit of work that holds the effect, while the claim stands.

        A request that outlived its lease may have lost the key to a retry: then nothing is
        stored and a retryable 409 rolls the effect back (the taker's is the key's one effect).
        """
        if self.row_id is None:
            return
        recorded = await session.execute(
            update(self.model)
            .where(self.model.id == self.row_id, self.model.completed_at.is_(None))
            .values(completed_at=utcnow(), response_status=status_code, response_body=body)
        )
        if recorded.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError(
                f"This request outlived its claim on the {HEADER} and another request with the key "
                "took it over; retry to get that request's answer",
                code=IN_FLIGHT,
                details={"header": HEADER},
                retryable=True,
                headers={"Retry-After": "1"},
            )


def fingerprint(request: Request, target: str, body: bytes) -> str:
    """Method, target path and canonical body: the same request, however it was serialised. The
    path, not the route's template: one key sent for two sessions is two requests (a 409), never
    the first session's answer replayed for the second."""
    try:
        text = canonical(json.loads(body)).encode()
    except ValueError:
        text = body
    digest = hashlib.sha256()
    for part in (request.method.encode(), target.encode(), text):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


IN_FLIGHT = "CF_IDEMPOTENCY_IN_FLIGHT"
QUERY_ALIAS = "idempotency_key"
KeyHeader = Annotated[
    str | None, Header(alias=HEADER, description="1–255 visible ASCII characters; a retry sends the same key")
]
KeyQuery = Annotated[str | None, Query(alias=QUERY_ALIAS, description=f"The same as the {HEADER} header")]


def authenticated_user(request: Request) -> str:
    """The user the bearer dependency authenticated (it records the id on the request)."""
    return str(request.scope["state"]["user_id"])


def idempotency(
    model: Any,
    caller_of: Callable[[Request], str] = authenticated_user,
    *,
    required: bool,
    accept_query: bool = False,
) -> Callable[..., AsyncIterator[IdempotencyGuard]]:
    """A dependency for operations that honour ``Idempotency-Key`` (and, with ``accept_query``,
    the ``idempotency_key`` query parameter).

    Declare it after the caller's authentication and before the endpoint's ``WriteSession``, so
    that its clean-up runs after the unit of work has committed or rolled back. ``caller_of``
    names the caller (the authenticated user by default) — keys are per caller, so one user's key
    never replays another's answer.
    """

    @asynccontextmanager
    async def guard(
        request: Request, key: str | None, database: Database, settings: ServiceSettings
    ) -> AsyncIterator[IdempotencyGuard]:
        if key is None:
            if required:
                raise ValidationError(
                    f"The {HEADER} header is required", code="VAL_IDEMPOTENCY_KEY", details={"header": HEADER}
                )
            yield IdempotencyGuard(model, None)
            return
        if not _KEY.fullmatch(key):
            raise ValidationError(
                f"{HEADER} must be 1–255 visible ASCII characters",
                code="VAL_IDEMPOTENCY_KEY",
                details={"header": HEADER},
            )
        caller, print_ = caller_of(request), fingerprint(request, request.url.path, await request.body())
        lease = timedelta(seconds=settings.idempotency_lease_seconds)
        row_id = await _claim(database, model, caller, key, print_, lease)
        try:
            yield IdempotencyGuard(model, row_id, IdempotentOperation.of(caller, key, print_))
        except BaseException:
            await _release(database, model, row_id)
            raise

    # `async with`, so an exception from the endpoint reaches the guard and releases the claim.
    async def from_header(
        request: Request, database: DatabaseDep, settings: SettingsDep, header: KeyHeader = None
    ) -> AsyncIterator[IdempotencyGuard]:
        async with guard(request, header, database, settings) as claimed:
            yield claimed

    async def from_header_or_query(
        request: Request,
        database: DatabaseDep,
        settings: SettingsDep,
        header: KeyHeader = None,
        query: KeyQuery = None,
    ) -> AsyncIterator[IdempotencyGuard]:
        async with guard(request, header or query, database, settings) as claimed:
            yield claimed

    return from_header_or_query if accept_query else from_header


async def _claim(
    database: Database, model: Any, caller: str, key: str, print_: str, lease: timedelta
) -> uuid.UUID:
    for _ in range(2):  # a second pass after clearing an expired claim or a dead request's
        now = utcnow()
        try:
            async with database.transactional() as session:
                row = model(
                    caller=caller,
                    key=key,
                    fingerprint=print_,
                    expires_at=now + RETENTION,
                    lease_expires_at=now + lease,
                )
                session.add(row)
                await session.flush()
                return row.id  # type: ignore[no-any-return]
        except IntegrityError:
            pass
        async with database.transactional() as session:
            existing = (
                await session.execute(select(model).where(model.caller == caller, model.key == key))
            ).scalar_one_or_none()
            if existing is None:
                continue  # released meanwhile: claim again
            if existing.expires_at <= now or (
                existing.completed_at is None and existing.lease_expires_at <= now
            ):
                # Conditional, so an answer recorded since the read above is never deleted: the
                # next pass then replays it.
                await session.execute(delete(model).where(model.id == existing.id, _reclaimable(model, now)))
                continue
            if existing.fingerprint != print_:
                raise ConflictError(
                    f"This {HEADER} was used for a different request",
                    code="CF_IDEMPOTENCY_KEY_REUSED",
                    details={"header": HEADER},
                )
            if existing.completed_at is None:
                # The claim may last as long as its lease: that is when a retry can succeed.
                retry_after = max(1, math.ceil((existing.lease_expires_at - now).total_seconds()))
                raise ConflictError(
                    f"A request with this {HEADER} is still being processed; retry shortly",
                    code=IN_FLIGHT,
                    details={"header": HEADER},
                    retryable=True,
                    headers={"Retry-After": str(retry_after)},
                )
            raise IdempotentReplay(existing.response_status or 200, existing.response_body or {})
    raise ConflictError(f"Could not claim this {HEADER}; retry", retryable=True)


def _reclaimable(model: Any, now: datetime) -> Any:
    """Past its 24 hours, or claimed by a request whose lease ran out before it answered."""
    return or_(model.expires_at <= now, and_(model.completed_at.is_(None), model.lease_expires_at <= now))


async def _release(database: Database, model: Any, row_id: uuid.UUID) -> None:
    """Forget a claim whose request failed (only if it did not record an answer)."""
    async with database.transactional() as session:
        await session.execute(delete(model).where(model.id == row_id, model.completed_at.is_(None)))
