"""The processing boundary: where a batch is merged.

By default in the API process, inside the request's unit of work. With ``FIREMODE_SYNC_URL`` set,
in the separately started ``firemode sync-worker``, reached over HTTP with an internal token; a
worker that is down is a 503, one that does not answer in time a 504. Either way the merge is one
transaction on the worker's side, so a batch is never half-applied.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from apikit.auth.dependencies import Principal
from apikit.auth.tokens import InternalTokens
from apikit.errors import (
    ApiError,
    AuthenticationError,
    AuthorizationError,
    ConflictError,
    DependencyTimeoutError,
    DependencyUnavailableError,
    NotFoundError,
    PayloadTooLargeError,
    UnprocessableError,
    ValidationError,
)
from firemode.sync.schemas import ChangeIn, WorkerSubmission
from firemode.sync.service import MergeOutcome, ResultsService, SyncLimits

WORKER_AUDIENCE = "firemode-sync-worker"


class MergeBoundary(Protocol):
    async def submit(
        self, session: AsyncSession, session_id: uuid.UUID, caller: Principal, changes: Sequence[ChangeIn]
    ) -> MergeOutcome: ...


class InProcessMerge:
    """Merges in this process, one batch per session at a time.

    The database serialises batches on one session (the row lock), but a batch waiting there holds
    a pooled connection: 32 devices syncing one session held the whole pool while one of them
    worked, and other requests timed out waiting for a connection. So batches for one session
    first take turns here, holding nothing; the row lock still orders them across processes. A
    turn ends when the merge is done, before the commit, so at most one batch per session and
    process waits on the row lock, and only for a commit.
    """

    def __init__(self, limits: SyncLimits) -> None:
        self.limits = limits
        self._turns: weakref.WeakValueDictionary[uuid.UUID, asyncio.Lock] = weakref.WeakValueDictionary()

    async def submit(
        self, session: AsyncSession, session_id: uuid.UUID, caller: Principal, changes: Sequence[ChangeIn]
    ) -> MergeOutcome:
        turn = self._turns.get(session_id)
        if turn is None:  # gone with the last batch that held or awaited it
            turn = self._turns[session_id] = asyncio.Lock()
        async with turn:
            return await ResultsService(session, self.limits).submit(session_id, caller, changes)


# The worker's error answers (FR-5) become the same errors here.
_ERRORS: dict[int, type[ApiError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: AuthorizationError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: UnprocessableError,
}


class SyncWorkerClient:
    def __init__(
        self,
        base_url: str,
        tokens: InternalTokens,
        timeout_seconds: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._tokens = tokens
        # ``transport`` lets tests and benchmarks reach a worker app in the same process.
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout_seconds, transport=transport)

    async def submit(
        self, session: AsyncSession, session_id: uuid.UUID, caller: Principal, changes: Sequence[ChangeIn]
    ) -> MergeOutcome:
        body = WorkerSubmission(caller_id=caller.user_id, caller_role=caller.role, changes=list(changes))
        try:
            response = await self._client.post(
                f"/internal/v1/tests/sessions/{session_id}/results",
                content=body.model_dump_json(),
                headers={
                    "Content-Type": "application/json",
                    InternalTokens.HEADER: self._tokens.issue(WORKER_AUDIENCE),
                },
            )
        except httpx.TimeoutException as exc:
            raise DependencyTimeoutError("The sync worker did not answer in time") from exc
        except httpx.TransportError as exc:
            raise DependencyUnavailableError("The sync worker is unavailable") from exc
        if response.status_code == 200:
            data = response.json()
            return MergeOutcome(
                session_id=uuid.UUID(data["session_id"]),
                applied=data["applied"],
                duplicates=data["duplicates"],
                vector_clock=data["vector_clock"],
                processed_at=datetime.fromisoformat(data["processed_at"]),
                checkpoint=data["checkpoint"],
            )
        error = _ERRORS.get(response.status_code)
        if error is None:  # the worker failed (5xx) or answered something unexpected
            raise DependencyUnavailableError(
                "The sync worker could not process the batch", details={"worker_status": response.status_code}
            )
        body_out = response.json()
        raise error(body_out.get("message"), details=body_out.get("details") or {})

    async def close(self) -> None:
        await self._client.aclose()
