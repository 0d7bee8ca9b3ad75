"""``/v1/assets/{id}/history``: an asset's service records, newest first. Records are immutable:
no route edits or deletes them (a correction is a new session)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from apikit.db.engine import ReadSession
from apikit.openapi import error_responses
from apikit.pagination import Page, PageParams
from firemode.identity.roles import CurrentUser
from firemode.records.models import ServiceRecord
from firemode.records.schemas import HistoryPage
from firemode.records.service import asset_history

router = APIRouter(tags=["service records"])


@router.get(
    "/v1/assets/{asset_id}/history",
    response_model=HistoryPage,
    summary="An asset's service records, newest first",
    responses=error_responses(400, 401, 404),
)
async def list_asset_history(
    asset_id: uuid.UUID, _caller: CurrentUser, session: ReadSession, page: PageParams
) -> Page[ServiceRecord]:
    return await asset_history(session, asset_id, page)
