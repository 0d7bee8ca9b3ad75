"""``/v1/buildings/{id}/schedule`` and ``/v1/schedule/due``: everyone signed in reads them, as
they read buildings and assets."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from apikit import jsoncodec
from apikit.db.engine import ReadSession
from apikit.openapi import error_responses
from apikit.pagination import PageParams
from apikit.schemas import IsoDate
from firemode.clock import Today
from firemode.identity.roles import CurrentUser
from firemode.schedule.schemas import BuildingSchedule, DuePage
from firemode.schedule.service import ScheduleService

router = APIRouter(tags=["schedule"])
# Past these, month arithmetic would leave the calendar; no schedule needs them.
EARLIEST, LATEST = date(1900, 1, 1), date(9000, 12, 31)


@router.get(
    "/v1/buildings/{building_id}/schedule",
    response_model=BuildingSchedule,
    summary="Each active asset's routines: last done, next due, window and state",
    responses=error_responses(401, 404),
)
async def building_schedule(
    building_id: uuid.UUID, _caller: CurrentUser, session: ReadSession, today: Today
) -> Response:
    # Written straight from plain data (the schema above documents it): validating and
    # serialising every one of a large building's items through models would triple the time.
    schedule = await ScheduleService(session).building(building_id, today)
    return Response(jsoncodec.dumps_bytes(schedule), media_type="application/json")


@router.get(
    "/v1/schedule/due",
    response_model=DuePage,
    summary="The work list across buildings: routines due in a period, and those never done",
    responses=error_responses(400, 401, 404, 422),
)
async def due_work(
    _caller: CurrentUser,
    session: ReadSession,
    page: PageParams,
    today: Today,
    start: Annotated[
        IsoDate | None,
        Query(alias="from", ge=EARLIEST, le=LATEST, description="ISO date; absent: overdue work too"),
    ] = None,
    end: Annotated[
        IsoDate | None,
        Query(alias="to", ge=EARLIEST, le=LATEST, description="ISO date; default today + 30 days"),
    ] = None,
    building_id: uuid.UUID | None = None,
) -> DuePage:
    return await ScheduleService(session).due(
        page, today=today, start=start, end=end, building_id=building_id
    )
