"""``/v1/buildings``: supervisors and admins create and edit; everyone signed in reads."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status
from fastapi.responses import Response
from sqlalchemy import select

from apikit.conditional import json_with_etag
from apikit.db.engine import ReadOnlySession, WriteSession
from apikit.db.unique import add_unique
from apikit.errors import ConflictError, NotFoundError
from apikit.ids import utcnow
from apikit.openapi import error_responses
from apikit.pagination import Keyset, PageParams, paginate
from firemode.buildings.models import Building
from firemode.buildings.schemas import (
    BuildingCreateRequest,
    BuildingPage,
    BuildingResponse,
    BuildingUpdateRequest,
)
from firemode.identity.roles import CurrentUser, SupervisorOrAdmin

router = APIRouter(prefix="/v1/buildings", tags=["buildings"])
BUILDINGS = Keyset("buildings", (Building.created_at, Building.id))


def building_response(building: Building) -> BuildingResponse:
    return BuildingResponse(
        building_id=building.id,
        name=building.name,
        address=building.address,
        building_type=building.building_type,
        created_at=building.created_at,
        updated_at=building.updated_at,
    )


def duplicate(name: str, address: str) -> ConflictError:
    return ConflictError(
        "A building with this name and address exists", details={"name": name, "address": address}
    )


def not_found(building_id: uuid.UUID) -> NotFoundError:
    return NotFoundError("No such building", code="NF_BUILDING", details={"building_id": str(building_id)})


@router.post(
    "",
    response_model=BuildingResponse,
    status_code=status.HTTP_201_CREATED,
    summary="Register a building (supervisor, admin)",
    responses=error_responses(401, 403, 409),
)
async def create_building(
    body: BuildingCreateRequest, caller: SupervisorOrAdmin, session: WriteSession
) -> BuildingResponse:
    building = Building(
        name=body.name, address=body.address, building_type=body.building_type, created_by=caller.user_id
    )
    await add_unique(session, building, duplicate(body.name, body.address))
    return building_response(building)


@router.get(
    "",
    response_model=BuildingPage,
    summary="Buildings, newest first",
    responses=error_responses(400, 401),
)
async def list_buildings(_caller: CurrentUser, session: ReadOnlySession, page: PageParams) -> BuildingPage:
    result = await paginate(session, select(Building), keyset=BUILDINGS, page=page)
    return BuildingPage(data=[building_response(b) for b in result.items], next_cursor=result.next_cursor)


@router.get(
    "/{building_id}",
    response_model=BuildingResponse,
    summary="One building (ETag; If-None-Match answers 304)",
    responses={304: {"description": "Not modified"}, **error_responses(401, 404)},
)
async def read_building(
    request: Request, building_id: uuid.UUID, _caller: CurrentUser, session: ReadOnlySession
) -> Response:
    building = await session.get(Building, building_id)
    if building is None:
        raise not_found(building_id)
    return json_with_etag(request, building_response(building))


@router.patch(
    "/{building_id}",
    response_model=BuildingResponse,
    summary="Change a building (supervisor, admin)",
    responses=error_responses(401, 403, 404, 409),
)
async def update_building(
    building_id: uuid.UUID, body: BuildingUpdateRequest, _caller: SupervisorOrAdmin, session: WriteSession
) -> BuildingResponse:
    building = await session.get(Building, building_id, with_for_update=True)
    if building is None:
        raise not_found(building_id)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if changes:
        for field, value in changes.items():
            setattr(building, field, value)
        building.updated_at = utcnow()
        await add_unique(session, building, duplicate(building.name, building.address))
    return building_response(building)
