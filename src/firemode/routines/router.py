"""``/v1/routines``: which routine services each asset type receives, and their tolerance
windows. Everyone signed in reads; admins publish a new version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from apikit.db.engine import ReadSession, WriteSession
from apikit.openapi import error_responses
from firemode.identity.roles import Admin, CurrentUser
from firemode.routines.models import RoutineVersion
from firemode.routines.repository import RoutineRepository
from firemode.routines.schemas import RoutineTableRequest, RoutineTableResponse, RoutineVersionList
from firemode.routines.service import RoutineService

router = APIRouter(prefix="/v1/routines", tags=["routines"])


@router.get(
    "",
    response_model=RoutineTableResponse,
    summary="The routine table in force (its highest version)",
    responses=error_responses(401, 404),
)
async def read_routines(_caller: CurrentUser, session: ReadSession) -> RoutineVersion:
    return await RoutineRepository(session).current()


@router.put(
    "",
    response_model=RoutineTableResponse,
    summary="Publish a new version of the routine table (admin)",
    description="The whole table; a routine without `tolerance_days` takes its frequency's default.",
    responses=error_responses(401, 403, 409),
)
async def publish_routines(body: RoutineTableRequest, caller: Admin, session: WriteSession) -> RoutineVersion:
    return await RoutineService(session).publish(caller, body)


@router.get(
    "/versions",
    response_model=RoutineVersionList,
    summary="Every version of the routine table, newest first",
    responses=error_responses(401),
)
async def list_routine_versions(_caller: CurrentUser, session: ReadSession) -> RoutineVersionList:
    versions = await RoutineRepository(session).newest_first()
    return RoutineVersionList.model_validate({"data": versions}, from_attributes=True)


@router.get(
    "/versions/{version}",
    response_model=RoutineTableResponse,
    summary="One version of the routine table",
    responses=error_responses(401, 404),
)
async def read_routine_version(
    version: Annotated[int, Path(ge=1, le=2**31 - 1)], _caller: CurrentUser, session: ReadSession
) -> RoutineVersion:
    return await RoutineRepository(session).version_or_404(version)
