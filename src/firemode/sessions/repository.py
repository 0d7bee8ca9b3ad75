"""Queries for test sessions as one caller sees them. Who sees a session is decided here, once
(``sees_session``): another's session is never returned, so the API answers 404 and lists omit it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Uuid, bindparam, exists, select
from sqlalchemy.orm import QueryableAttribute, defer

from apikit.auth.dependencies import Principal
from apikit.db.engine import ReadSession
from apikit.db.fastread import Reader, ReadStatement, ReadStatements, raw_json, row_json
from apikit.db.repository import Repository
from apikit.db.types import UTCDateTime
from apikit.errors import NotFoundError
from apikit.pagination import Keyset, KeysetReads, PageRequest, RowPage, read_page
from firemode.identity.roles import Role
from firemode.sessions.models import SessionParticipant, TestSession

SEES_EVERY_SESSION = frozenset({Role.SUPERVISOR, Role.ADMIN})
SESSIONS = Keyset("test_sessions", (TestSession.created_at, TestSession.id))


def sees_session(
    caller: Principal, session_id: QueryableAttribute[uuid.UUID | None]
) -> ColumnElement[bool] | None:
    """Whether ``caller`` sees the session whose id is in ``session_id`` (a column of any table):
    supervisors and admins see every one (None: no condition), others those they take part in."""
    if caller.role in SEES_EVERY_SESSION:
        return None
    return _takes_part(session_id, caller.user_id)


def _takes_part(session_id: QueryableAttribute[uuid.UUID | None], user: Any) -> ColumnElement[bool]:
    return exists().where(SessionParticipant.session_id == session_id, SessionParticipant.user_id == user)


# --- The fast read path (apikit.db.fastread): statements built once, rows written as they are -----

_CALLER = bindparam("caller_id", type_=Uuid())


def seen_sessions(statement: Select[Any], sees_all: bool) -> Select[Any]:
    """``statement`` (of test sessions) narrowed by :func:`sees_session` for a statement built once
    per ``sees_all`` on the fast read path: the caller's id is its ``caller_id`` parameter."""
    return statement if sees_all else statement.where(_takes_part(TestSession.id, _CALLER))


_SUMMARY: tuple[Any, ...] = (
    TestSession.id.label("session_id"),
    TestSession.building_id,
    TestSession.status,
    TestSession.created_at,
)


def _listed(sees_all: bool, statuses: int, since: bool, until: bool) -> Select[Any]:
    statement = seen_sessions(select(*_SUMMARY), sees_all)
    if statuses:
        statement = statement.where(
            TestSession.status.in_([bindparam(f"status{i}") for i in range(statuses)])
        )
    if since:
        statement = statement.where(TestSession.created_at >= bindparam("date_from", type_=UTCDateTime()))
    if until:
        statement = statement.where(TestSession.created_at <= bindparam("date_to", type_=UTCDateTime()))
    return statement


SESSION_LIST = KeysetReads(SESSIONS, _listed)
SESSION_DETAIL = ReadStatements(
    lambda sees_all: seen_sessions(
        select(
            *_SUMMARY,
            TestSession.updated_at,
            TestSession.name,
            raw_json(TestSession.vector_clock),
            raw_json(TestSession.document, "results"),
            TestSession.change_count,
            TestSession.checkpoint,
        ),
        sees_all,
    ).where(TestSession.id == bindparam("session_id", type_=Uuid()))
)
PARTICIPANTS = ReadStatement(
    select(SessionParticipant.user_id)
    .where(SessionParticipant.session_id == bindparam("session_id", type_=Uuid()))
    .order_by(SessionParticipant.added_at, SessionParticipant.user_id)
)


class SessionReads:
    """Test sessions as ``caller`` sees them, on the fast read path: the list and the detail."""

    def __init__(self, reader: Reader, caller: Principal) -> None:
        self.reader = reader
        self.caller = caller
        self.sees_all = caller.role in SEES_EVERY_SESSION

    async def newest_first(
        self,
        page: PageRequest,
        statuses: Iterable[str] | None,
        date_from: datetime | None,
        date_to: datetime | None,
    ) -> RowPage:
        statuses = sorted(set(statuses or ()))  # one cursor whatever the order or repeats
        params: dict[str, Any] = {
            "caller_id": self.caller.user_id,
            "date_from": date_from,
            "date_to": date_to,
        }
        params.update({f"status{i}": value for i, value in enumerate(statuses)})
        return await read_page(
            self.reader,
            SESSION_LIST,
            page=page,
            shape=(self.sees_all, len(statuses), date_from is not None, date_to is not None),
            params=params,
            filters={"status": statuses, "from": date_from, "to": date_to},
        )

    async def detail(self, session_id: uuid.UUID) -> bytes:
        """The session as JSON (``SessionDetail``), or a 404 when the caller does not see it."""
        statement = SESSION_DETAIL(self.sees_all)
        row = await self.reader.one(statement, {"session_id": session_id, "caller_id": self.caller.user_id})
        if row is None:
            raise SessionRepository.not_found(session_id)
        participants = await self.reader.all(PARTICIPANTS, {"session_id": session_id})
        fields = dict(row)
        fields["participants"] = [found["user_id"] for found in participants]
        # In SessionDetail's order: the participants come after the name.
        for key in ("vector_clock", "results", "change_count", "checkpoint"):
            fields[key] = fields.pop(key)
        return row_json(fields, statement)


class SessionRepository(Repository[TestSession]):
    model = TestSession

    def __init__(self, session: ReadSession, caller: Principal | None = None) -> None:
        super().__init__(session)
        self.caller = caller

    def scoped(self, statement: Select[Any]) -> Select[Any]:
        assert self.caller is not None, "a SessionRepository reads sessions for a caller"
        condition = sees_session(self.caller, TestSession.id)
        return statement if condition is None else statement.where(condition)

    @staticmethod
    def not_found(object_id: uuid.UUID) -> NotFoundError:
        return NotFoundError("No such test session", details={"session_id": str(object_id)})

    async def lock_for_merge(self, session_id: uuid.UUID) -> TestSession | None:
        """The session locked (``FOR UPDATE``) with its document left unread: a merge takes it
        from the process's cache when the row's version is there, and reads it only otherwise."""
        statement = (
            self.query()
            .where(TestSession.id == session_id)
            .options(defer(TestSession.document))
            .with_for_update()
        )
        found: TestSession | None = (await self.session.execute(statement)).scalar_one_or_none()
        return found

    async def participants(self, session_id: uuid.UUID) -> list[uuid.UUID]:
        result = await self.session.execute(
            select(SessionParticipant.user_id)
            .where(SessionParticipant.session_id == session_id)
            .order_by(SessionParticipant.added_at, SessionParticipant.user_id)
        )
        return list(result.scalars())

    async def is_participant(self, session_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        return await self.session.get(SessionParticipant, (session_id, user_id)) is not None
