"""Idempotency keys: a retried request gets the first answer, never a second effect.

Per ``(caller, key)`` the first request claims the key in a transaction of its own (so a concurrent
twin sees the claim at once); its success is recorded in the request's own unit of work (so the
effect and the stored answer commit together); a failure releases the claim (so a retry after a
fix can succeed). The unique constraint on ``(caller, key)`` decides every race.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Header, Query, Request
from sqlalchemy import Index, String, UniqueConstraint, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from starlette.responses import JSONResponse

from apikit.db.base import IdMixin
from apikit.db.engine import Database, database_of
from apikit.errors import ConflictError, ValidationError
from apikit.ids import utcnow

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
RETENTION = timedelta(hours=24)
# A claim older than this belongs to a request that died mid-flight; it may be taken over.
ABANDONED_AFTER = timedelta(minutes=5)


class IdempotencyKeyColumns(IdMixin):
    """``idempotency_keys``: one row per (caller, key), holding the first successful answer."""

    caller: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
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
        if self.row_id is None:
            return
        await session.execute(
            update(self.model)
            .where(self.model.id == self.row_id)
            .values(completed_at=utcnow(), response_status=status_code, response_body=body)
        )


def fingerprint(request: Request, route: str, body: bytes) -> str:
    """Method, route template and canonical body: the same request, however it was serialised."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256()
    for part in (request.method.encode(), route.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


QUERY_ALIAS = "idempotency_key"
KeyHeader = Annotated[
    str | None, Header(alias=HEADER, description="1–255 visible ASCII characters; a retry sends the same key")
]
KeyQuery = Annotated[str | None, Query(alias=QUERY_ALIAS, description=f"The same as the {HEADER} header")]


def idempotency(
    model: Any, caller_of: Callable[[Request], str], *, required: bool, accept_query: bool = False
) -> Callable[..., AsyncIterator[IdempotencyGuard]]:
    """A dependency for operations that honour ``Idempotency-Key`` (and, with ``accept_query``,
    the ``idempotency_key`` query parameter).

    Declare it after the caller's authentication and before the endpoint's ``WriteSession``, so
    that its clean-up runs after the unit of work has committed or rolled back. ``caller_of``
    names the caller — keys are per caller, so one user's key never replays another's answer.
    """

    @asynccontextmanager
    async def guard(request: Request, key: str | None) -> AsyncIterator[IdempotencyGuard]:
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
        route = getattr(request.scope.get("route"), "path", request.url.path)
        database = database_of(request)
        caller, print_ = caller_of(request), fingerprint(request, route, await request.body())
        row_id = await _claim(database, model, caller, key, print_)
        try:
            yield IdempotencyGuard(model, row_id, IdempotentOperation.of(caller, key, print_))
        except BaseException:
            await _release(database, model, row_id)
            raise

    # `async with`, so an exception from the endpoint reaches the guard and releases the claim.
    async def from_header(request: Request, header: KeyHeader = None) -> AsyncIterator[IdempotencyGuard]:
        async with guard(request, header) as claimed:
            yield claimed

    async def from_header_or_query(
        request: Request, header: KeyHeader = None, query: KeyQuery = None
    ) -> AsyncIterator[IdempotencyGuard]:
        async with guard(request, header or query) as claimed:
            yield claimed

    return from_header_or_query if accept_query else from_header


async def _claim(database: Database, model: Any, caller: str, key: str, print_: str) -> uuid.UUID:
    now = utcnow()
    for _ in range(2):  # a second pass after clearing an expired or abandoned claim
        try:
            async with database.transactional() as session:
                row = model(caller=caller, key=key, fingerprint=print_, expires_at=now + RETENTION)
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
            stale = existing.expires_at <= now or (
                existing.completed_at is None and existing.created_at <= now - ABANDONED_AFTER
            )
            if stale:
                await session.execute(delete(model).where(model.id == existing.id))
                continue
            if existing.fingerprint != print_:
                raise ConflictError(
                    f"This {HEADER} was used for a different request",
                    code="CF_IDEMPOTENCY_KEY_REUSED",
                    details={"header": HEADER},
                )
            if existing.completed_at is None:
                raise ConflictError(
                    f"A request with this {HEADER} is still being processed; retry shortly",
                    code="CF_IDEMPOTENCY_IN_FLIGHT",
                    details={"header": HEADER},
                    retryable=True,
                    headers={"Retry-After": "1"},
                )
            raise IdempotentReplay(existing.response_status or 200, existing.response_body or {})
    raise ConflictError(f"Could not claim this {HEADER}; retry", retryable=True)


async def _release(database: Database, model: Any, row_id: uuid.UUID) -> None:
    """Forget a claim whose request failed (only if it did not record an answer)."""
    async with database.transactional() as session:
        await session.execute(delete(model).where(model.id == row_id, model.completed_at.is_(None)))
