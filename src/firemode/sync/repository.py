"""The change log's read: what a device missed, on the fast read path. A change is visible with
its session (``sees_session``): the session is read first, and another's is a 404."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import BigInteger, Integer, Uuid, bindparam, select

from apikit.auth.dependencies import Principal
from apikit.db.fastread import Reader, ReadStatement, ReadStatements, raw_json, row_json, rows_json, written
from firemode.sessions.models import TestSession
from firemode.sessions.repository import SEES_EVERY_SESSION, SessionRepository, seen_sessions
from firemode.sync.models import SessionChange

_SESSION_ID = bindparam("session_id", type_=Uuid())
SYNC_STATE = ReadStatements(
    lambda sees_all: seen_sessions(
        select(TestSession.checkpoint, raw_json(TestSession.vector_clock)), sees_all
    ).where(TestSession.id == _SESSION_ID)
)
CHANGES_AFTER = ReadStatement(  # ChangeOut, in its order
    select(
        SessionChange.seq,
        SessionChange.actor,
        SessionChange.counter,
        SessionChange.op,
        SessionChange.path,
        raw_json(SessionChange.value),
        SessionChange.accepted_at,
    )
    .where(
        SessionChange.session_id == _SESSION_ID, SessionChange.seq > bindparam("since", type_=BigInteger())
    )
    .order_by(SessionChange.seq)
    .limit(bindparam("limit", type_=Integer()))
)


class ChangeReads:
    """The change log as ``caller`` sees it."""

    def __init__(self, reader: Reader, caller: Principal) -> None:
        self.reader = reader
        self.caller = caller

    async def after(self, session_id: uuid.UUID, since: int, limit: int) -> bytes:
        """Up to ``limit`` changes after ``since`` in arrival order as JSON (``ChangesPage``):
        whether more follow, the checkpoint to pass next (with none, ``since`` or the session's,
        whichever is lower) and the session's vector clock. A 404 when the caller does not see it."""
        statement = SYNC_STATE(self.caller.role in SEES_EVERY_SESSION)
        session = await self.reader.one(
            statement, {"session_id": session_id, "caller_id": self.caller.user_id}
        )
        if session is None:
            raise SessionRepository.not_found(session_id)
        changes = await self.reader.all(
            CHANGES_AFTER, {"session_id": session_id, "since": since, "limit": limit + 1}
        )
        has_more = len(changes) > limit
        changes = changes[:limit]
        page: dict[str, Any] = {
            "data": written(rows_json(changes, CHANGES_AFTER)),
            "checkpoint": changes[-1]["seq"] if changes else min(since, session["checkpoint"]),
            "vector_clock": session["vector_clock"],
            "has_more": has_more,
        }
        return row_json(page, statement)
