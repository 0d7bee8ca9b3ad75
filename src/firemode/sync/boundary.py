"""The processing boundary: where a batch is merged.

By default in the API process, inside the request's unit of work. With ``FIREMODE_SYNC_URL`` set,
in the separately started ``firemode sync-worker``, reached over HTTP with an internal token; a
worker that is down is a 503, one that does not answer in time a 504. Either way the merge is one
transaction on the worker's side, so a batch is never half-applied.

A worker that did not answer in time may still commit. So the batch travels with its idempotency
operation (an id derived from the caller and the key, and the request's fingerprint), and the
worker records it in the merge's transaction: a retry of the key resolves to that one application
and gets its first answer back.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Sequence
from typing import Annotated, Protocol

import httpx
from fastapi import Depends
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from apikit.auth.dependencies import Principal
from apikit.auth.tokens import InternalTokens
from apikit.context import app_state
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
from apikit.idempotency import REPLAYED_HEADER, IdempotentOperation
from firemode.sync.schemas import ChangeIn, ResultsResponse, WorkerSubmission
from firemode.sync.service import MergeOutcome, ResultsService, SyncLimits, document_cache

WORKER_AUDIENCE = "firemode-sync-worker"


class MergeBoundary(Protocol):
    async def submit(
        self,
        session: AsyncSession,
        session_id: uuid.UUID,
        caller: Principal,
        changes: Sequence[ChangeIn],
        operation: IdempotentOperation | None,
    ) -> MergeOutcome: ...


class InProcessMerge:
    """Merges in this process, one batch per session at a time.

    The database serialises batches on one session (the row lock), but a batch waiting there holds
    a pooled connection: 32 devices syncing one session held the whole pool while one of them
    worked, and other requests timed out waiting for a connection. So batches for one session
    first take turns here, holding nothing; the row lock still orders them across processes. A
    turn ends when the merge is done, before the commit, so at most one batch per session and
    process waits on the row lock, and only for a commit.

    In the API process the idempotency key's row commits with the merge, so the operation is not
    needed here. The sync worker (``remembers_batches``) is another transaction, across the
    network, from the API's key: it records each batch by its operation id with the merge.
    """

    def __init__(self, limits: SyncLimits, *, remembers_batches: bool = False) -> None:
        self.limits = limits
        self.remembers_batches = remembers_batches
        self._turns: weakref.WeakValueDictionary[uuid.UUID, asyncio.Lock] = weakref.WeakValueDictionary()
        self.documents = document_cache(limits)

    async def submit(
        self,
        session: AsyncSession,
        session_id: uuid.UUID,
        caller: Principal,
        changes: Sequence[ChangeIn],
        operation: IdempotentOperation | None,
    ) -> MergeOutcome:
        turn = self._turns.get(session_id)
        if turn is None:  # gone with the last batch that held or awaited it
            turn = self._turns[session_id] = asyncio.Lock()
        async with turn:
            return await ResultsService(session, self.limits, self.documents).submit(
                session_id, caller, changes, operation if self.remembers_batches else None
            )


# The app's merge: in process or the worker; the metric of changes accepted.
Boundary = Annotated[MergeBoundary, Depends(app_state("merge_boundary"))]
ChangesMerged = Annotated[Counter, Depends(app_state("changes_merged"))]


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

    async def ping(self) -> None:
        """Raise :class:`DependencyUnavailableError` unless the worker answers its ``/health``."""
        try:
            response = await self._client.get("/health")
        except httpx.HTTPError as exc:
            raise DependencyUnavailableError("The sync worker is unavailable") from exc
        if response.status_code != 200:
            raise DependencyUnavailableError(
                "The sync worker is unavailable", details={"worker_status": response.status_code}
            )

    async def submit(
        self,
        session: AsyncSession,
        session_id: uuid.UUID,
        caller: Principal,
        changes: Sequence[ChangeIn],
        operation: IdempotentOperation | None,
    ) -> MergeOutcome:
        """The worker's answer. A batch the worker applied for this operation before (a retry
        after this process gave up waiting) comes back as that first answer, ``replayed``."""
        body = WorkerSubmission(
            caller_id=caller.user_id,
            caller_role=caller.role,
            changes=list(changes),
            batch_id=operation.id if operation else None,
            fingerprint=operation.fingerprint if operation else None,
        )
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
        if response.status_code == 200:  # read by the schema the worker answered with
            answer = ResultsResponse.model_validate_json(response.content).model_dump(exclude={"status"})
            return MergeOutcome(**answer, replayed=response.headers.get(REPLAYED_HEADER) == "true")
        error = _ERRORS.get(response.status_code)
        if error is None:  # the worker failed (5xx) or answered something unexpected
            raise DependencyUnavailableError(
                "The sync worker could not process the batch", details={"worker_status": response.status_code}
            )
        body_out = response.json()
        details = body_out.get("details") or {}
        if response.status_code == 401 and "caller_id" not in details:
            # The worker refused this process's internal token (secrets that differ, a clock
            # skewed past the token's five minutes): ours to fix, not the device's. Its own 401
            # would send the device to log in again, and again.
            raise DependencyUnavailableError(
                "The sync worker refused this service's credentials", details={"worker_status": 401}
            )
        raise error(body_out.get("message"), details=details)

    async def close(self) -> None:
        await self._client.aclose()
