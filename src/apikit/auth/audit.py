"""The security audit log: stored in the service's database and written to the log."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from apikit.context import request_id_of
from apikit.logging import get_logger
from apikit.ratelimit import client_address

log = get_logger("apikit.audit")


class AuditLog:
    def __init__(self, model: Any) -> None:
        self._model = model

    async def record(
        self,
        session: AsyncSession,
        event: str,
        *,
        request: Request | None = None,
        user_id: uuid.UUID | None = None,
        actor_id: uuid.UUID | None = None,
        **details: Any,
    ) -> None:
        """Record inside the caller's unit of work: kept when the request succeeds, or when it
        fails with an error raised with ``keep_changes=True``."""
        row = self._model(
            event=event,
            user_id=user_id,
            actor_id=actor_id,
            address=client_address(request) if request else None,
            request_id=request_id_of(request.scope) if request else None,
            details=details,
        )
        session.add(row)
        await session.flush()
        log.info(
            "security_event",
            security_event=event,
            user_id=str(user_id) if user_id else None,
            actor_id=str(actor_id) if actor_id else None,
            address=row.address,
            **details,
        )
