"""``/v1/buildings``: supervisors and admins create and edit; everyone signed in reads."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status

from apikit.conditional import json_bytes_with_etag
from apikit.db.engine import WriteSession
from apikit.db.fastread import Reads
from apikit.openapi import error_responses
from apikit.pagination import PageParams
from firemode.buildings.models import Building
from firemode.buildings.repository import BuildingReads
from firemode.buildings.schemas import (
    BuildingCreateRequest,
    BuildingPage,
    BuildingResponse,
    BuildingUpdateRequest,
)
from firemode.buildings.service import BuildingService
from firemode.identity.roles import CurrentUser, SupervisorOrAdmin

router = APIRouter(prefix="/v1/buildings", tags=["buildings"])


@router.post(
    "",
    response_model=BuildingResponse,
    status_code=status.HTTP_201_CREATED,
    summary="Register a building (supervisor, admin)",
    responses=error_responses(401, 403, 409),
)
async def create_building(
    body: BuildingCreateRequest, caller: SupervisorOrAdmin, session: WriteSession
) -> Building:
    return await BuildingService(session).create(caller, body.model_dump())


@router.get(
    "",
    response_model=BuildingPage,
    summary="Buildings, newest first",
    responses=error_responses(400, 401),
)
async def list_buildings(caller: CurrentUser, reader: Reads, page: PageParams) -> Response:
    found = await BuildingReads(reader, caller).newest_first(page)
    return Response(found.items_and_cursor(), media_type="application/json")


@router.get(
    "/{building_id}",
    response_model=BuildingResponse,
    summary="One building (ETag; If-None-Match answers 304)",
    responses={304: {"description": "Not modified"}, **error_responses(401, 404)},
)
async def read_building(
    request: Request, building_id: uuid.UUID, caller: CurrentUser, reader: Reads
) -> Response:
    return json_bytes_with_etag(request, await BuildingReads(reader, caller).detail(building_id))


@router.patch(
    "/{building_id}",
    response_model=BuildingResponse,
    summary="Change a building (supervisor, admin)",
    responses=error_responses(401, 403, 404, 409),
)
async def update_building(
    building_id: uuid.UUID, body: BuildingUpdateRequest, _caller: SupervisorOrAdmin, session: WriteSession
) -> Building:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    return await BuildingService(session).update(building_id, changes)
