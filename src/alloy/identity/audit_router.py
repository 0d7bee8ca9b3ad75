"""``/v1/admin/security-events``: the audit log, for admins."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import select

from alloy.identity.models import SecurityEvent
from alloy.identity.roles import AdminUser
from apikit.db.engine import ReadSession
from apikit.envelope import Envelope, envelope
from apikit.openapi import error_responses
from apikit.pagination import BidirectionalPageParams, CursorPage, Keyset, paginate

router = APIRouter(prefix="/v1/admin", tags=["admin"])
EVENTS = Keyset("security_events", (SecurityEvent.created_at, SecurityEvent.id))


class SecurityEventOut(BaseModel):
    event_id: uuid.UUID
    event: str
    created_at: datetime
    user_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    address: str | None
    request_id: str | None
    details: dict[str, Any]


@router.get(
    "/security-events",
    response_model=Envelope[CursorPage[SecurityEventOut]],
    summary="The security audit log, newest first (admin)",
    responses=error_responses(400, 401, 403),
)
async def list_security_events(
    request: Request,
    _admin: AdminUser,
    session: ReadSession,
    page: BidirectionalPageParams,
    event: Annotated[str | None, Query(max_length=64)] = None,
    user_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Envelope[CursorPage[SecurityEventOut]]:
    statement = select(SecurityEvent)
    if event is not None:
        statement = statement.where(SecurityEvent.event == event)
    if user_id is not None:
        statement = statement.where(SecurityEvent.user_id == user_id)
    filters = {"event": event, "user_id": str(user_id) if user_id else None}
    result = await paginate(session, statement, keyset=EVENTS, page=page, filters=filters)
    items = [
        SecurityEventOut(
            event_id=row.id,
            event=row.event,
            created_at=row.created_at,
            user_id=row.user_id,
            actor_id=row.actor_id,
            address=row.address,
            request_id=row.request_id,
            details=row.details,
        )
        for row in result.items
    ]
    page_out = CursorPage[SecurityEventOut].of(result, items)
    return envelope(request, page_out)
