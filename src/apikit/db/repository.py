"""The base of a domain's repository: the queries of one model, scoped to what the caller may see.

A subclass names its ``model`` and its ``not_found`` error and narrows ``scoped`` for object-level
authorization. Every lookup goes through ``scoped``, so another user's row simply does not exist
for the caller: the API answers 404, never 403, and never leaks that the id is taken. Locking is
explicit (``for_update=True``), as is the session: a write session for edits, a read-only one for
reads.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Select, select

from apikit.db.engine import ReadSession
from apikit.errors import NotFoundError

M = TypeVar("M")


class Repository(Generic[M]):
    model: ClassVar[type[Any]]

    def __init__(self, session: ReadSession) -> None:
        self.session = session

    def scoped(self, statement: Select[Any]) -> Select[Any]:
        """The rows the caller may see; every query starts here. Unscoped by default."""
        return statement

    def not_found(self, object_id: uuid.UUID) -> NotFoundError:
        return NotFoundError(f"No such {self.model.__name__}", details={"id": str(object_id)})

    def query(self) -> Select[Any]:
        return self.scoped(select(self.model))

    async def get(self, object_id: uuid.UUID, *, for_update: bool = False) -> M | None:
        statement = self.query().where(self.model.id == object_id)
        if for_update:
            statement = statement.with_for_update()
        found: M | None = (await self.session.execute(statement)).scalar_one_or_none()
        return found

    async def get_or_404(self, object_id: uuid.UUID, *, for_update: bool = False) -> M:
        found = await self.get(object_id, for_update=for_update)
        if found is None:
            raise self.not_found(object_id)
        return found
