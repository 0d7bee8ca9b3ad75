"""Identity queries of Alloy's own: the security audit log, newest first."""

from __future__ import annotations

import uuid

from alloy.identity.models import SecurityEvent
from apikit.auth.models import SecurityEventColumns
from apikit.db.repository import Repository
from apikit.pagination import Keyset, Page, PageRequest, paginate

EVENTS = Keyset("security_events", (SecurityEvent.created_at, SecurityEvent.id))


class SecurityEventRepository(Repository[SecurityEventColumns]):
    model = SecurityEvent

    async def newest_first(
        self, page: PageRequest, *, event: str | None, user_id: uuid.UUID | None
    ) -> Page[SecurityEventColumns]:
        """One page of the log, optionally of one event or one user (each has its index)."""
        statement = self.query()
        if event is not None:
            statement = statement.where(SecurityEvent.event == event)
        if user_id is not None:
            statement = statement.where(SecurityEvent.user_id == user_id)
        filters = {"event": event, "user_id": str(user_id) if user_id else None}
        return await paginate(self.session, statement, keyset=EVENTS, page=page, filters=filters)
