"""``/v1/buildings/{building_id}/assets``: a building's register. Everyone signed in reads;
supervisors and admins register, one at a time or a whole spreadsheet."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status

from apikit.db.engine import WriteSession
from apikit.db.fastread import Reads
from apikit.openapi import error_responses
from apikit.pagination import PageParams
from firemode.assets.asset_types import AssetType
from firemode.assets.models import Asset
from firemode.assets.repository import AssetReads
from firemode.assets.schemas import AssetCreateRequest, AssetPage, AssetResponse, AssetStatus, ImportResponse
from firemode.assets.service import AssetService, ImportMaxRows
from firemode.identity.roles import CurrentUser, SupervisorOrAdmin

router = APIRouter(prefix="/v1/buildings/{building_id}/assets", tags=["assets"])


@router.post(
    "",
    response_model=AssetResponse,
    status_code=status.HTTP_201_CREATED,
    summary="Register an asset in the building (supervisor, admin)",
    responses=error_responses(401, 403, 404, 409),
)
async def register_asset(
    building_id: uuid.UUID, body: AssetCreateRequest, caller: SupervisorOrAdmin, session: WriteSession
) -> Asset:
    return await AssetService(session).register(caller, building_id, body)


@router.get(
    "",
    response_model=AssetPage,
    summary="The building's assets in tag order",
    responses=error_responses(400, 401, 404),
)
async def list_building_assets(
    building_id: uuid.UUID,
    caller: CurrentUser,
    reader: Reads,
    page: PageParams,
    asset_type: AssetType | None = None,
    asset_status: Annotated[AssetStatus | None, Query(alias="status")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Part of the tag or location, any case")
    ] = None,
) -> Response:
    found = await AssetReads(reader, caller).by_tag(
        building_id, page, asset_type=asset_type, status=asset_status, q=q
    )
    return Response(found.items_and_cursor(), media_type="application/json")


@router.post(
    "/import",
    response_model=ImportResponse,
    status_code=status.HTTP_201_CREATED,
    summary="Import a CSV of assets: every row or none (supervisor, admin)",
    description=(
        "Columns `tag`, `asset_type`, `location`, optionally `installed_on` and the type columns "
        "of `GET /v1/asset-types` (a row fills those of its type). Header names ignore case, "
        "surrounding spaces, and spaces, underscores or hyphens between words. A bad file is a 422 "
        "listing every bad line with its number (the header is line 1) and why."
    ),
    responses=error_responses(400, 401, 403, 404, 409, 413, 415),
)
async def import_assets(
    building_id: uuid.UUID,
    file: Annotated[UploadFile, File(description="The sheet, saved as CSV (UTF-8)")],
    caller: SupervisorOrAdmin,
    session: WriteSession,
    max_rows: ImportMaxRows,
) -> ImportResponse:
    imported = await AssetService(session).import_sheet(caller, building_id, file.file, max_rows=max_rows)
    return ImportResponse(building_id=building_id, imported=imported)
