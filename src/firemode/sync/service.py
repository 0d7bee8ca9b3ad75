"""Accepting a batch of changes into a session: the one transaction where merging happens.

The session row is locked (``FOR UPDATE`` on PostgreSQL; SQLite's write transactions are already
serial), so concurrent batches on one session apply one after the other and nothing is lost. The
lock reads the row without its document; a batch that changes nothing never reads it, and one that
does takes it decoded from the process's ``DocumentCache`` when the row's version is there (see
``firemode.sync.documents``), from the row otherwise. A
batch is all or nothing: any conflict, limit or closed session rejects it whole. In the sync
worker a batch also carries its idempotency operation, recorded in the same transaction, so a
retry the API sends after giving up on a slow worker finds it applied and gets the first answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, inspect, select, text, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified, set_committed_value

from apikit import jsoncodec
from apikit.auth.dependencies import Principal
from apikit.db.bulk import insert_rows
from apikit.db.engine import after_commit
from apikit.errors import ConflictError, PayloadTooLargeError, UnprocessableError
from apikit.idempotency import HEADER as IDEMPOTENCY_HEADER
from apikit.idempotency import RETENTION as IDEMPOTENCY_RETENTION
from apikit.idempotency import IdempotentOperation
from apikit.ids import utcnow
from firemode.sessions.models import TestSession
from firemode.sessions.repository import SessionRepository
from firemode.sessions.schemas import CLOSED, SessionStatus
from firemode.sessions.service import device_actor, insert_session_if_absent
from firemode.settings import FireModeSettings
from firemode.sync.documents import DocumentCache
from firemode.sync.engine import (
    MAX_COUNTER,
    Change,
    MergeState,
    PointerError,
    Rebuild,
    merge,
    parse_pointer,
)
from firemode.sync.models import AppliedBatch, SessionChange
from firemode.sync.schemas import ChangeIn

# Lookups are sent in slices, so a 1,000-change batch never builds one huge statement.
_LOOKUP_SLICE = 500
_CHANGE_COLUMNS = (
    SessionChange.actor,
    SessionChange.counter,
    SessionChange.op,
    SessionChange.path,
    SessionChange.value,
)

# The changes related to an early batch's roots (see engine.Rebuild), read by byte ranges of
# their paths, _RANGES at a time, in one statement shape whatever the batch, so it is compiled and
# prepared once (unused ranges are empty: "" ≤ path < ""). Each range is a branch of its own
# (UNION ALL) with both columns of the (session_id, path) index bound, so a planner picks that
# index whatever it believes a session's size to be; ranges OR-ed together let PostgreSQL, when
# it took a session for small, read the whole session on an index led by session_id.
_RANGES = 32
_RELATED = union_all(
    *(
        select(*_CHANGE_COLUMNS).where(
            SessionChange.session_id == bindparam("session_id"),
            SessionChange.path >= bindparam(f"low{n}"),
            SessionChange.path < bindparam(f"high{n}"),
        )
        for n in range(_RANGES)
    )
)


@dataclass(frozen=True)
class SyncLimits:
    max_changes: int = 1000
    max_depth: int = 32
    max_value_bytes: int = 64 * 1024
    max_document_bytes: int = 5 * 1024 * 1024
    # What a process keeps of decoded documents between batches (see firemode.sync.documents).
    cached_documents: int = 64
    cached_document_bytes: int = 32 * 1024 * 1024


def limits_from(settings: FireModeSettings) -> SyncLimits:
    return SyncLimits(
        max_changes=settings.sync_max_changes,
        max_depth=settings.sync_max_depth,
        max_value_bytes=settings.sync_max_value_bytes,
        max_document_bytes=settings.sync_max_document_bytes,
        cached_documents=settings.sync_cached_documents,
        cached_document_bytes=settings.sync_cached_document_bytes,
    )


def document_cache(limits: SyncLimits) -> DocumentCache:
    """The process's cache of decoded documents, as large as ``limits`` allow."""
    return DocumentCache(limits.cached_documents, limits.cached_document_bytes)


@dataclass(frozen=True)
class MergeOutcome:
    session_id: uuid.UUID
    applied: int
    duplicates: int
    vector_clock: dict[str, int]
    processed_at: datetime
    checkpoint: int
    replayed: bool = False  # the answer given when this batch was applied, not a new application

    def stored(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "duplicates": self.duplicates,
            "vector_clock": self.vector_clock,
            "processed_at": self.processed_at.isoformat(),
            "checkpoint": self.checkpoint,
        }

    @classmethod
    def replay(cls, session_id: uuid.UUID, stored: dict[str, Any]) -> MergeOutcome:
        return cls(
            session_id=session_id,
            applied=stored["applied"],
            duplicates=stored["duplicates"],
            vector_clock=stored["vector_clock"],
            processed_at=datetime.fromisoformat(stored["processed_at"]),
            checkpoint=stored["checkpoint"],
            replayed=True,
        )


class ResultsService:
    def __init__(
        self, session: AsyncSession, limits: SyncLimits, documents: DocumentCache | None = None
    ) -> None:
        """``documents``: the process's decoded documents (without one, each batch reads its
        session's document from the row)."""
        self.session = session
        self.limits = limits
        self.documents = documents

    async def submit(
        self,
        session_id: uuid.UUID,
        caller: Principal,
        changes: Sequence[ChangeIn],
        operation: IdempotentOperation | None = None,
    ) -> MergeOutcome:
        """Merge ``changes``. With ``operation`` (the sync worker's case), the batch is recorded
        by its id in this transaction, and one recorded before is answered as it was then."""
        if len(changes) > self.limits.max_changes:
            raise PayloadTooLargeError(
                f"A batch holds at most {self.limits.max_changes} changes",
                details={"max_changes": self.limits.max_changes, "actual": len(changes)},
            )
        row = await self._lock_or_create(session_id, caller)
        if operation is not None:
            # Looked up under the session's row lock: a twin still merging has committed by now.
            earlier = await self._applied_before(row, operation)
            if earlier is not None:
                return earlier
        outcome = await self._merge(row, caller, changes)
        if operation is not None:
            await self._remember(row, operation, outcome)
        return outcome

    async def _merge(self, row: TestSession, caller: Principal, changes: Sequence[ChangeIn]) -> MergeOutcome:
        batch = self._stamp(self._validated(changes), caller, row)
        new, duplicates = await self._classify(row, batch)
        if new and SessionStatus(row.status) in CLOSED:
            raise ConflictError(
                f"The session is {row.status}: it accepts no new changes",
                details={"session_id": str(row.id), "status": row.status},
            )
        if new:
            await self._apply(row, new, caller)
        return MergeOutcome(
            session_id=row.id,
            applied=len(new),
            duplicates=duplicates,
            vector_clock=dict(row.vector_clock),
            processed_at=utcnow(),
            checkpoint=row.checkpoint,
        )

    async def _applied_before(self, row: TestSession, operation: IdempotentOperation) -> MergeOutcome | None:
        """The answer given when this operation's batch was applied, if it was (and has not
        expired); the same key for another request is a 409, as the API's own key store says."""
        applied = (
            await self.session.execute(select(AppliedBatch).where(AppliedBatch.batch_id == operation.id))
        ).scalar_one_or_none()
        if applied is None:
            return None
        if applied.expires_at <= utcnow():
            await self.session.delete(applied)  # its key has expired too: this is a new request
            await self.session.flush()
            return None
        if applied.session_id != row.id or applied.fingerprint != operation.fingerprint:
            raise _key_reused()
        return MergeOutcome.replay(row.id, applied.outcome)

    async def _remember(
        self, row: TestSession, operation: IdempotentOperation, outcome: MergeOutcome
    ) -> None:
        now = utcnow()
        self.session.add(
            AppliedBatch(
                batch_id=operation.id,
                session_id=row.id,
                fingerprint=operation.fingerprint,
                outcome=outcome.stored(),
                created_at=now,
                expires_at=now + IDEMPOTENCY_RETENTION,
            )
        )
        try:
            await self.session.flush()
        except IntegrityError:
            # The same key merged meanwhile for another session (the row lock orders one
            # session's batches, not two sessions'): another request, and the constraint let the
            # other one through.
            raise _key_reused() from None

    async def _lock_or_create(self, session_id: uuid.UUID, caller: Principal) -> TestSession:
        """The locked session; an unknown id is created for the caller (offline devices may sync
        before their create request arrives). An id the caller may not see is a 404."""
        sessions = SessionRepository(self.session, caller)
        row = await sessions.lock_for_merge(session_id)
        if row is not None:
            return row  # the common case: one statement
        created = await insert_session_if_absent(
            self.session, session_id, caller.user_id, status=SessionStatus.IN_PROGRESS
        )
        row = await sessions.lock_for_merge(session_id)
        if row is None:
            raise sessions.not_found(session_id)
        if created:
            await self.session.refresh(row)
        return row

    async def _document(self, row: TestSession) -> dict[str, Any]:
        """The locked session's document, to merge into in place: the one this unit of work holds,
        else this process's decoded copy of the row's version, else the row's."""
        if "document" not in inspect(row).unloaded:
            return row.document  # read or written earlier in this unit of work
        version = (row.checkpoint, row.updated_at)
        document = self.documents.take(row.id, version) if self.documents is not None else None
        if document is None:
            statement = select(TestSession.document).where(TestSession.id == row.id)
            document = (await self.session.execute(statement)).scalar_one()
        set_committed_value(row, "document", document)
        return document

    def _keep_after_commit(self, row: TestSession, document: dict[str, Any], size: int) -> None:
        """Hand the merged document to the cache once this version of the row has committed."""
        documents = self.documents
        if documents is None:
            return
        session_id, version = row.id, (row.checkpoint, row.updated_at)

        async def keep() -> None:
            documents.put(session_id, version, document, size)

        after_commit(self.session, keep)

    def _validated(self, changes: Sequence[ChangeIn]) -> list[tuple[ChangeIn, tuple[str, ...]]]:
        checked = []
        for index, change in enumerate(changes):
            try:
                tokens = parse_pointer(change.path, max_depth=self.limits.max_depth)
            except PointerError as error:
                raise UnprocessableError(
                    "A change's path is not a valid JSON Pointer",
                    details={"index": index, "path": change.path, "reason": str(error)},
                ) from None
            if change.op == "set":
                size = len(jsoncodec.dumps_bytes(change.value))
                if size > self.limits.max_value_bytes:
                    raise PayloadTooLargeError(
                        f"A value may take at most {self.limits.max_value_bytes} bytes",
                        details={
                            "index": index,
                            "max_value_bytes": self.limits.max_value_bytes,
                            "actual": size,
                        },
                    )
            checked.append((change, tokens))
        return checked

    def _stamp(
        self, checked: list[tuple[ChangeIn, tuple[str, ...]]], caller: Principal, row: TestSession
    ) -> list[Change]:
        """Changes without actor and counter get the caller's actor and the next counters, never
        past ``MAX_COUNTER`` (the batch is refused instead)."""
        next_counter = max(row.vector_clock.values(), default=0) + 1
        stamped = []
        for index, (change, tokens) in enumerate(checked):
            actor, counter = change.actor, change.counter
            if actor is None or counter is None:
                if next_counter > MAX_COUNTER:
                    raise UnprocessableError(
                        "The session's counters are at their limit: the server cannot stamp this change",
                        details={"index": index, "max_counter": MAX_COUNTER},
                    )
                actor, counter = device_actor(caller.user_id), next_counter
                next_counter += 1
            value = change.value if change.op == "set" else None
            stamped.append(Change(actor, counter, change.op, change.path, value, tokens))
        return stamped

    async def _classify(self, row: TestSession, batch: list[Change]) -> tuple[list[Change], int]:
        """``(new changes, number of duplicates)``; a clash of identities is a 409 for the batch.

        Only changes at or below their actor's clock can have been accepted before (the clock
        holds each actor's highest accepted counter), so only those are looked up: a device's
        in-order batch needs no query at all."""
        unique: dict[tuple[str, int], Change] = {}
        duplicates = 0
        for change in batch:
            seen = unique.get((change.actor, change.counter))
            if seen is None:
                unique[(change.actor, change.counter)] = change
            elif seen.same_content(change):
                duplicates += 1
            else:
                raise _conflict(seen, change)
        clock = row.vector_clock
        maybe_seen = [(actor, counter) for actor, counter in unique if counter <= clock.get(actor, 0)]
        accepted = await self._accepted(row.id, maybe_seen) if maybe_seen else {}
        new = []
        for identity, change in unique.items():
            existing = accepted.get(identity)
            if existing is None:
                new.append(change)
            elif existing.same_content(change):
                duplicates += 1
            else:
                raise _conflict(existing, change)
        return new, duplicates

    async def _accepted(
        self, session_id: uuid.UUID, identities: list[tuple[str, int]]
    ) -> dict[tuple[str, int], Change]:
        found: dict[tuple[str, int], Change] = {}
        by_actor: dict[str, list[int]] = {}
        for actor, counter in identities:
            by_actor.setdefault(actor, []).append(counter)
        # Per actor, ``actor = ? AND counter IN (…)``: both databases answer it from the unique
        # index on (session_id, actor, counter), where a tuple IN read the session's whole log.
        for actor, counters in by_actor.items():
            for start in range(0, len(counters), _LOOKUP_SLICE):
                rows = await self.session.execute(
                    select(*_CHANGE_COLUMNS).where(
                        SessionChange.session_id == session_id,
                        SessionChange.actor == actor,
                        SessionChange.counter.in_(counters[start : start + _LOOKUP_SLICE]),
                    )
                )
                for found_actor, counter, op, path, value in rows:
                    found[(found_actor, counter)] = Change(found_actor, counter, op, path, value)
        return found

    async def _related(self, session_id: uuid.UUID, rebuild: Rebuild) -> list[Change]:
        """The changes held at, above and under the rebuild's roots: all an early batch needs."""
        found: dict[tuple[str, int], Change] = {}
        if self.session.get_bind().dialect.name == "postgresql":
            # Planned for the ranges at hand every time: a generic plan, which PostgreSQL adopts
            # for a prepared statement after five runs, reads whole sessions (seconds, not ms).
            await self.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        ranges = rebuild.path_ranges()
        for start in range(0, len(ranges), _RANGES):
            chunk = ranges[start : start + _RANGES]
            chunk += [("", "")] * (_RANGES - len(chunk))
            parameters: dict[str, object] = {"session_id": session_id}
            for n, (low, high) in enumerate(chunk):
                parameters[f"low{n}"], parameters[f"high{n}"] = low, high
            for actor, counter, op, path, value in await self.session.execute(_RELATED, parameters):
                found[(actor, counter)] = Change(actor, counter, op, path, value)
        return list(found.values())

    async def _apply(self, row: TestSession, new: list[Change], caller: Principal) -> None:
        last_key = (row.last_counter, row.last_actor) if row.last_counter is not None else None
        state = MergeState(await self._document(row), dict(row.vector_clock), last_key)  # type: ignore[arg-type]
        history, rebuild = None, None
        if not state.in_order(new):
            rebuild = Rebuild.of(state.document, new)
            history = await self._related(row.id, rebuild)
        merged = merge(state, new, history, rebuild)
        size = len(jsoncodec.dumps_bytes(merged.document))
        if size > self.limits.max_document_bytes:
            raise PayloadTooLargeError(
                f"The session's document may take at most {self.limits.max_document_bytes} bytes",
                details={"max_document_bytes": self.limits.max_document_bytes, "actual": size},
            )
        now = utcnow()
        # Arrival order numbers the log (what devices pull); the document order is the key order.
        await insert_rows(
            self.session,
            cast(Table, SessionChange.__table__),
            [
                {
                    "session_id": row.id,
                    "seq": row.checkpoint + offset,
                    "actor": change.actor,
                    "counter": change.counter,
                    "op": change.op,
                    "path": change.path,
                    "value": change.value,
                    "submitted_by": caller.user_id,
                    "accepted_at": now,
                }
                for offset, change in enumerate(new, start=1)
            ],
        )
        row.document = merged.document
        flag_modified(row, "document")
        row.document_bytes = size
        row.vector_clock = merged.vector_clock
        row.change_count += len(new)
        row.checkpoint += len(new)
        assert merged.last_key is not None
        row.last_counter, row.last_actor = merged.last_key
        if row.status == SessionStatus.PENDING:
            row.status = SessionStatus.IN_PROGRESS  # the first accepted change starts the session
        row.updated_at = now
        await self.session.flush()
        self._keep_after_commit(row, merged.document, size)


def _key_reused() -> ConflictError:
    return ConflictError(
        f"This {IDEMPOTENCY_HEADER} was used for a different request", details={"header": IDEMPOTENCY_HEADER}
    )


def _conflict(accepted: Change, submitted: Change) -> ConflictError:
    return ConflictError(
        "A change with this actor and counter was accepted with other content; the batch was rejected",
        details={
            "actor": submitted.actor,
            "counter": submitted.counter,
            "accepted": {"op": accepted.op, "path": accepted.path, "value": accepted.value},
            "submitted": {"op": submitted.op, "path": submitted.path, "value": submitted.value},
        },
    )
