"""Queries for test sessions. Visibility is decided here: a session the caller may not see is
never returned, so the API answers 404 for it and it is absent from lists."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, select

from apikit.auth.dependencies import Principal
from firemode.identity.roles import Role
from firemode.sessions.models import SessionParticipant, TestSession

SEES_EVERY_SESSION = frozenset({Role.SUPERVISOR, Role.ADMIN})


def is_visible(caller: Principal) -> ColumnElement[bool] | None:
    """The condition a session must meet for ``caller`` to see it (None: sees all)."""
    if caller.role in SEES_EVERY_SESSION:
        return None
    return exists().where(
        SessionParticipant.session_id == TestSession.id, SessionParticipant.user_id == caller.user_id
    )


def visible_sessions(caller: Principal) -> Select[Any]:
    statement = select(TestSession)
    condition = is_visible(caller)
    return statement if condition is None else statement.where(condition)


class SessionRepository:
    def __init__(self, session: Any) -> None:
        self.session = session  # a write session, or a read-only one for the read paths

    async def get_visible(
        self, session_id: uuid.UUID, caller: Principal, *, lock: bool = False
    ) -> TestSession | None:
        statement = visible_sessions(caller).where(TestSession.id == session_id)
        if lock:
            statement = statement.with_for_update()
        result = await self.session.execute(statement)
        return result.scalar_one_or_none()  # type: ignore[no-any-return]

    async def exists(self, session_id: uuid.UUID) -> bool:
        return bool(await self.session.scalar(select(exists().where(TestSession.id == session_id))))

    async def participants(self, session_id: uuid.UUID) -> list[uuid.UUID]:
        result = await self.session.execute(
            select(SessionParticipant.user_id)
            .where(SessionParticipant.session_id == session_id)
            .order_by(SessionParticipant.added_at, SessionParticipant.user_id)
        )
        return list(result.scalars())

    async def is_participant(self, session_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        return await self.session.get(SessionParticipant, (session_id, user_id)) is not None
