"""``/v1/admin/security-events``: the audit log, for admins."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from alloy.identity.repository import SecurityEventRepository
from alloy.identity.roles import AdminUser
from alloy.identity.schemas import SecurityEventOut
from apikit.db.engine import ReadSession
from apikit.envelope import Envelope, envelope
from apikit.openapi import error_responses
from apikit.pagination import BidirectionalPageParams, CursorPage

router = APIRouter(prefix="/v1/admin", tags=["admin"])


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
    found = await SecurityEventRepository(session).newest_first(page, event=event, user_id=user_id)
    items = [SecurityEventOut.model_validate(row) for row in found.items]
    return envelope(request, CursorPage[SecurityEventOut].of(found, items))
