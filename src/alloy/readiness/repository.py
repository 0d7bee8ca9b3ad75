"""Readiness queries, each scoped to its owner: another user's day does not exist for the caller."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select

from alloy.readiness.models import Readiness
from apikit.db.engine import ReadSession
from apikit.db.repository import Repository
from apikit.errors import NotFoundError
from apikit.pagination import Keyset, Page, PageRequest, paginate

NEWEST_FIRST = Keyset("readiness", (Readiness.day, Readiness.id), descending=True)


class ReadinessRepository(Repository[Readiness]):
    model = Readiness

    def __init__(self, session: ReadSession, user_id: uuid.UUID) -> None:
        super().__init__(session)
        self.user_id = user_id

    def scoped(self, statement: Select[Any]) -> Select[Any]:
        return statement.where(Readiness.user_id == self.user_id)

    def day_not_found(self, day: date) -> NotFoundError:
        return NotFoundError(
            "No readiness for that day", code="NF_READINESS", details={"date": day.isoformat()}
        )

    async def on(self, day: date, *, for_update: bool = False) -> Readiness | None:
        statement = self.query().where(Readiness.day == day)
        if for_update:
            statement = statement.with_for_update()
        found: Readiness | None = (await self.session.execute(statement)).scalar_one_or_none()
        return found

    async def on_or_404(self, day: date) -> Readiness:
        found = await self.on(day)
        if found is None:
            raise self.day_not_found(day)
        return found

    async def newest_first(self, page: PageRequest, first: date | None, last: date | None) -> Page[Readiness]:
        """The caller's days, newest first, between ``first`` and ``last`` (inclusive) when given."""
        statement = self.query()
        if first is not None:
            statement = statement.where(Readiness.day >= first)
        if last is not None:
            statement = statement.where(Readiness.day <= last)
        filters = {"from": first and first.isoformat(), "to": last and last.isoformat()}
        return await paginate(self.session, statement, keyset=NEWEST_FIRST, page=page, filters=filters)
