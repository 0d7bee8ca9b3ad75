"""Evidence as one caller sees it. Visibility follows the session, by the sessions domain's one rule
(``sees_session``); evidence with no session is its uploader's, and every session's viewers'
(supervisors and admins). Another's evidence is never returned, so the API answers 404."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, or_, select

from apikit.auth.dependencies import Principal
from apikit.db.engine import ReadSession
from apikit.db.repository import Repository
from apikit.errors import NotFoundError
from apikit.pagination import Keyset, Page, PageRequest, paginate
from firemode.evidence.models import Evidence
from firemode.sessions.repository import sees_session

EVIDENCE = Keyset("evidence", (Evidence.created_at, Evidence.id))


class EvidenceRepository(Repository[Evidence]):
    model = Evidence

    def __init__(self, session: ReadSession, caller: Principal) -> None:
        super().__init__(session)
        self.caller = caller

    def scoped(self, statement: Select[Any]) -> Select[Any]:
        in_a_session_seen = sees_session(self.caller, Evidence.session_id)
        if in_a_session_seen is None:
            return statement
        uploaded_alone = Evidence.session_id.is_(None) & (Evidence.uploaded_by == self.caller.user_id)
        return statement.where(or_(uploaded_alone, in_a_session_seen))

    def not_found(self, object_id: uuid.UUID) -> NotFoundError:
        return NotFoundError("No such evidence", details={"evidence_id": str(object_id)})

    async def unseen(self, evidence_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
        """Those of ``evidence_ids`` that do not exist or that the caller may not see, once each, in
        the order given (a record linking evidence names only what its author may see)."""
        wanted = list(dict.fromkeys(evidence_ids))
        if not wanted:
            return []
        statement = self.scoped(select(Evidence.id).where(Evidence.id.in_(wanted)))
        seen = set((await self.session.execute(statement)).scalars())
        return [evidence_id for evidence_id in wanted if evidence_id not in seen]

    async def of_session_newest_first(self, session_id: uuid.UUID, page: PageRequest) -> Page[Evidence]:
        statement = self.query().where(Evidence.session_id == session_id)
        return await paginate(
            self.session, statement, keyset=EVIDENCE, page=page, filters={"session_id": str(session_id)}
        )
