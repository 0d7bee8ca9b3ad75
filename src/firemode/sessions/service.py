"""The rules of test sessions: creation with client-chosen ids, lifecycle, participants."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from apikit.auth.dependencies import Principal
from apikit.errors import AuthorizationError, BusinessRuleError, ConflictError, UnprocessableError
from apikit.ids import new_id, utcnow
from firemode.buildings.repository import BuildingRepository
from firemode.defects.service import DuePolicy
from firemode.identity.models import User
from firemode.identity.roles import Role
from firemode.records.schemas import CompletionSummary
from firemode.records.service import SessionCompletion
from firemode.sessions.models import SessionParticipant, TestSession
from firemode.sessions.repository import SEES_EVERY_SESSION, SessionRepository
from firemode.sessions.schemas import CLOSED, TRANSITIONS, SessionStatus


def device_actor(user_id: uuid.UUID) -> str:
    """The actor the server stamps on a caller's changes that name none."""
    return f"user-{user_id}"


async def insert_session_if_absent(
    session: AsyncSession, session_id: uuid.UUID, caller: uuid.UUID, *, status: SessionStatus, **fields: Any
) -> bool:
    """Create the session (with its creator as participant) unless the id exists. True if created.

    ``INSERT … ON CONFLICT DO NOTHING`` makes two racing creators of one id safe on both databases.
    """
    now = utcnow()
    values = {
        "id": session_id,
        "status": status,
        "created_by": caller,
        "vector_clock": {device_actor(caller): 1},  # creation is the creator's first event
        "document": {},
        "document_bytes": 2,
        "change_count": 0,
        "checkpoint": 0,
        "created_at": now,
        "updated_at": now,
        **fields,
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(TestSession)
        .values(values)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(TestSession.id)
    )
    created = (await session.execute(statement)).scalar_one_or_none() is not None
    if created:
        session.add(SessionParticipant(session_id=session_id, user_id=caller, added_by=caller))
        await session.flush()
    return created


class SessionService:
    def __init__(self, session: AsyncSession, caller: Principal) -> None:
        self.session = session
        self.caller = caller
        self.sessions = SessionRepository(session, caller)

    async def create(
        self, *, building_id: uuid.UUID | None, session_id: uuid.UUID | None, name: str | None
    ) -> tuple[TestSession, bool]:
        """``(session, created)``. Re-creating an id the caller made returns it (filling in the
        building an early results batch could not know); an id someone else made is a 409."""
        if building_id is None:
            raise UnprocessableError("building_id is required", details={"field": "building_id"})
        if await BuildingRepository(self.session).get(building_id) is None:
            raise UnprocessableError(
                "No such building", details={"field": "building_id", "building_id": str(building_id)}
            )
        session_id = session_id or new_id()
        created = await insert_session_if_absent(
            self.session,
            session_id,
            self.caller.user_id,
            status=SessionStatus.PENDING,
            building_id=building_id,
            name=name,
        )
        row = await self.session.get(TestSession, session_id, populate_existing=True)
        assert row is not None
        if created:
            return row, True
        if row.created_by != self.caller.user_id:
            raise ConflictError(
                "This session id belongs to another user", details={"session_id": str(session_id)}
            )
        if row.building_id is not None and row.building_id != building_id:
            raise ConflictError(
                "This session exists for another building",
                details={"session_id": str(session_id), "building_id": str(row.building_id)},
            )
        row.building_id = building_id
        row.name = row.name or name
        row.updated_at = utcnow()
        await self.session.flush()
        return row, False

    async def update(
        self, session_id: uuid.UUID, changes: dict[str, Any], now: datetime, due: DuePolicy
    ) -> tuple[TestSession, CompletionSummary | None]:
        """The session, and what completing it wrote when this update completed it (a session
        with a building). A closed session's status never changes again, even to itself: a
        second completion is a 409 and writes nothing."""
        row = await self.sessions.get_or_404(session_id, for_update=True)
        completion = None
        if "status" in changes and (changes["status"] != row.status or row.status in CLOSED):
            current, wanted = SessionStatus(row.status), SessionStatus(changes["status"])
            allowed = TRANSITIONS[current]
            if wanted not in allowed:
                raise BusinessRuleError(
                    f"A {current} session cannot become {wanted}",
                    details={"status": current, "requested": wanted, "allowed": sorted(allowed)},
                )
            row.status = wanted
            if wanted == SessionStatus.COMPLETED and row.building_id is not None:
                completion = await SessionCompletion(self.session, self.caller.user_id, due).complete(
                    row, now
                )
        if "name" in changes:
            row.name = changes["name"]
        row.updated_at = now
        await self.session.flush()
        return row, completion

    async def add_participant(
        self, session_id: uuid.UUID, user_id: uuid.UUID
    ) -> tuple[bool, list[uuid.UUID]]:
        """Whether added (not there yet), and the participants; the creator, supervisors, admins add."""
        caller = self.caller
        row = await self.sessions.get_or_404(session_id, for_update=True)
        if caller.role not in SEES_EVERY_SESSION and row.created_by != caller.user_id:
            raise AuthorizationError("Only the session's creator, a supervisor or an admin adds participants")
        user = await self.session.get(User, user_id)
        if user is None or not user.is_active or user.role != Role.TECHNICIAN:
            raise UnprocessableError(
                "Participants are active technicians",
                details={"field": "user_id", "user_id": str(user_id)},
            )
        if await self.sessions.is_participant(session_id, user_id):
            return False, await self.sessions.participants(session_id)
        self.session.add(SessionParticipant(session_id=session_id, user_id=user_id, added_by=caller.user_id))
        await self.session.flush()
        return True, await self.sessions.participants(session_id)
