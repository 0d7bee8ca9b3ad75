"""``/v1/defects``: faults found on assets, their lifecycle and the lists that chase them."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status

from apikit.auth.dependencies import IdentityDep
from apikit.conditional import json_bytes_with_etag
from apikit.db.engine import WriteSession
from apikit.db.fastread import Reads
from apikit.ids import utcnow
from apikit.openapi import error_responses
from apikit.pagination import PageParams
from firemode.defects.models import Defect
from firemode.defects.repository import DefectFilters, DefectReads
from firemode.defects.schemas import DefectCreateRequest, DefectPage, DefectResponse, TransitionRequest
from firemode.defects.service import DefectService, Due
from firemode.defects.vocabulary import DefectStatus
from firemode.identity.roles import CurrentUser

router = APIRouter(prefix="/v1/defects", tags=["defects"])


@router.post(
    "",
    response_model=DefectResponse,
    status_code=status.HTTP_201_CREATED,
    summary="Open a defect (severity given, or classified by the rules from the condition)",
    responses=error_responses(401, 404, 422),
)
async def open_defect(
    body: DefectCreateRequest, caller: CurrentUser, session: WriteSession, due: Due
) -> Defect:
    return await DefectService(session, caller).open(body, due)


@router.get(
    "",
    response_model=DefectPage,
    summary="Defects, newest first (filters: building, severity, status, overdue)",
    responses=error_responses(400, 401, 422),
)
async def list_defects(
    caller: CurrentUser,
    reader: Reads,
    page: PageParams,
    building_id: uuid.UUID | None = None,
    severity: Annotated[
        list[Literal["critical", "non_critical", "non_conformance", "unclassified"]] | None,
        Query(description="Repeats; `unclassified` lists defects no rule classified"),
    ] = None,
    status: Annotated[list[DefectStatus] | None, Query(description="Repeats")] = None,
    overdue: Annotated[
        bool | None, Query(description="true: past `due_at` and not yet repaired, verified or closed")
    ] = None,
) -> Response:
    filters = DefectFilters(building_id, severity or [], status or [], overdue)
    found = await DefectReads(reader, caller).newest_first(page, filters, now=utcnow())
    return Response(found.items_and_cursor(), media_type="application/json")


@router.get(
    "/{defect_id}",
    response_model=DefectResponse,
    summary="One defect with its transitions (ETag; If-None-Match answers 304)",
    responses={304: {"description": "Not modified"}, **error_responses(401, 404)},
)
async def read_defect(request: Request, defect_id: uuid.UUID, caller: CurrentUser, reader: Reads) -> Response:
    return json_bytes_with_etag(request, await DefectReads(reader, caller).detail(defect_id))


@router.post(
    "/{defect_id}/transitions",
    response_model=DefectResponse,
    summary="Move a defect one step along its lifecycle (verify and close: supervisor, admin)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def transition_defect(
    request: Request,
    defect_id: uuid.UUID,
    body: TransitionRequest,
    caller: CurrentUser,
    session: WriteSession,
    identity: IdentityDep,
) -> Defect:
    return await DefectService(session, caller).transition(
        defect_id, body.to, body.note, audit=identity.audit, request=request
    )
