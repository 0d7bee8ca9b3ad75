"""Queries for test sessions as one caller sees them. Who sees a session is decided here, once
(``sees_session``): another's session is never returned, so the API answers 404 and lists omit it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.orm import QueryableAttribute, load_only

from apikit.auth.dependencies import Principal
from apikit.db.engine import ReadSession
from apikit.db.repository import Repository
from apikit.errors import NotFoundError
from apikit.pagination import Keyset, Page, PageRequest, paginate
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
    return exists().where(
        SessionParticipant.session_id == session_id, SessionParticipant.user_id == caller.user_id
    )


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

    async def newest_first(
        self,
        page: PageRequest,
        statuses: Iterable[str] | None,
        date_from: datetime | None,
        date_to: datetime | None,
    ) -> Page[TestSession]:
        # A summary needs four columns; the document and the clocks can be megabytes of JSON each.
        statement = self.query().options(
            load_only(TestSession.id, TestSession.building_id, TestSession.status, TestSession.created_at)
        )
        statuses = sorted(set(statuses or ()))  # one cursor whatever the order or repeats
        if statuses:
            statement = statement.where(TestSession.status.in_(statuses))
        if date_from is not None:
            statement = statement.where(TestSession.created_at >= date_from)
        if date_to is not None:
            statement = statement.where(TestSession.created_at <= date_to)
        filters = {"status": statuses, "from": date_from, "to": date_to}
        return await paginate(self.session, statement, keyset=SESSIONS, page=page, filters=filters)

    async def participants(self, session_id: uuid.UUID) -> list[uuid.UUID]:
        result = await self.session.execute(
            select(SessionParticipant.user_id)
            .where(SessionParticipant.session_id == session_id)
            .order_by(SessionParticipant.added_at, SessionParticipant.user_id)
        )
        return list(result.scalars())

    async def is_participant(self, session_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        return await self.session.get(SessionParticipant, (session_id, user_id)) is not None
