"""The change log's queries. A change is visible with its session: check the session first."""

from __future__ import annotations

import uuid

from apikit.db.repository import Repository
from firemode.sync.models import SessionChange


class ChangeRepository(Repository[SessionChange]):
    model = SessionChange

    async def after(self, session_id: uuid.UUID, seq: int, limit: int) -> tuple[list[SessionChange], bool]:
        """Up to ``limit`` changes after ``seq`` in arrival order, and whether more follow."""
        statement = (
            self.query()
            .where(SessionChange.session_id == session_id, SessionChange.seq > seq)
            .order_by(SessionChange.seq)
            .limit(limit + 1)
        )
        changes = list((await self.session.execute(statement)).scalars())
        return changes[:limit], len(changes) > limit
