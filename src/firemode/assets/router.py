"""``/v1/assets/{asset_id}``: one asset. Everyone signed in reads; supervisors and admins edit,
decommission (never delete) and set a stair-pressurisation baseline."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from apikit.conditional import json_bytes_with_etag
from apikit.db.engine import ReadSession, WriteSession
from apikit.db.fastread import Reads
from apikit.openapi import error_responses
from firemode.assets.models import Asset, AssetBaseline
from firemode.assets.repository import AssetReads, AssetRepository
from firemode.assets.schemas import AssetResponse, AssetUpdateRequest, BaselineRequest, BaselineResponse
from firemode.assets.service import AssetService
from firemode.identity.roles import CurrentUser, SupervisorOrAdmin

router = APIRouter(prefix="/v1/assets", tags=["assets"])


@router.get(
    "/{asset_id}",
    response_model=AssetResponse,
    summary="One asset (ETag; If-None-Match answers 304)",
    responses={304: {"description": "Not modified"}, **error_responses(401, 404)},
)
async def read_asset(request: Request, asset_id: uuid.UUID, caller: CurrentUser, reader: Reads) -> Response:
    return json_bytes_with_etag(request, await AssetReads(reader, caller).detail(asset_id))


@router.patch(
    "/{asset_id}",
    response_model=AssetResponse,
    summary="Change an asset's tag, location, details or installation date (supervisor, admin)",
    responses=error_responses(401, 403, 404, 409),
)
async def update_asset(
    asset_id: uuid.UUID, body: AssetUpdateRequest, _caller: SupervisorOrAdmin, session: WriteSession
) -> Asset:
    return await AssetService(session).update(asset_id, body.model_dump(exclude_unset=True))


@router.post(
    "/{asset_id}/decommission",
    response_model=AssetResponse,
    summary="Take an asset out of service, keeping its history (supervisor, admin; idempotent)",
    responses=error_responses(401, 403, 404),
)
async def decommission_asset(asset_id: uuid.UUID, _caller: SupervisorOrAdmin, session: WriteSession) -> Asset:
    return await AssetService(session).decommission(asset_id)


@router.put(
    "/{asset_id}/baseline",
    response_model=BaselineResponse,
    summary="Set a stair pressurisation system's baseline (supervisor, admin)",
    responses=error_responses(401, 403, 404, 409),
)
async def set_asset_baseline(
    asset_id: uuid.UUID, body: BaselineRequest, caller: SupervisorOrAdmin, session: WriteSession
) -> AssetBaseline:
    return await AssetService(session).set_baseline(caller, asset_id, body)


@router.get(
    "/{asset_id}/baseline",
    response_model=BaselineResponse,
    summary="A stair pressurisation system's baseline",
    responses=error_responses(401, 404),
)
async def read_asset_baseline(
    asset_id: uuid.UUID, _caller: CurrentUser, session: ReadSession
) -> AssetBaseline:
    return await AssetRepository(session).baseline_or_404(asset_id)
