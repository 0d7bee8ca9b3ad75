"""``/v1/circuits``: benchmark and conditioning workouts for everyone; curation for admins."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from alloy.catalogue.schemas import CircuitOut, CircuitWriteRequest
from alloy.catalogue.service import CircuitReader, CircuitService, circuit_as_stored
from alloy.catalogue.vocabulary import CircuitType
from alloy.identity.roles import AdminUser, CurrentUser
from apikit.cache import CacheDep
from apikit.conditional import etag_of, not_modified
from apikit.db.engine import ReadSession, WriteSession
from apikit.db.fastread import Reads
from apikit.envelope import Envelope, envelope, enveloped_json
from apikit.openapi import error_responses
from apikit.pagination import BidirectionalPageParams, CursorPage
from apikit.schemas import Lax

router = APIRouter(prefix="/v1/circuits", tags=["circuits"])


@router.get(
    "",
    response_model=Envelope[CursorPage[CircuitOut]],
    summary="Benchmark and conditioning circuits, by name",
    responses=error_responses(400, 401),
)
async def list_circuits(
    request: Request,
    _caller: CurrentUser,
    reader: Reads,
    cache: CacheDep,
    page: BidirectionalPageParams,
    circuit_type: Annotated[Annotated[CircuitType, Lax] | None, Query(alias="type")] = None,
) -> Response:
    kind = None if circuit_type is None else str(circuit_type)
    return enveloped_json(request, await CircuitReader(reader, cache).page_by_name(page, kind))


@router.get(
    "/{circuit_id:uuid}",
    response_model=Envelope[CircuitOut],
    summary="One circuit (ETag; If-None-Match answers 304)",
    responses={304: {"description": "Not modified"}, **error_responses(401, 404)},
)
async def read_circuit(
    request: Request, circuit_id: uuid.UUID, _caller: CurrentUser, reader: Reads, cache: CacheDep
) -> Response:
    data = await CircuitReader(reader, cache).detail(circuit_id)
    etag = etag_of(data)
    return not_modified(request, etag) or enveloped_json(request, data, etag=etag)


@router.post(
    "/admin",
    response_model=Envelope[CircuitOut],
    status_code=status.HTTP_201_CREATED,
    summary="Add a circuit (admin)",
    responses=error_responses(401, 403, 409),
)
async def create_circuit(
    request: Request, body: CircuitWriteRequest, _admin: AdminUser, session: WriteSession, cache: CacheDep
) -> Envelope[CircuitOut]:
    circuit = await CircuitService(session, cache).create(body)
    return envelope(request, CircuitOut.model_validate(circuit))


@router.get(
    "/admin/{circuit_id}",
    response_model=Envelope[CircuitOut],
    summary="One circuit, for editing (admin)",
    responses=error_responses(401, 403, 404),
)
async def read_circuit_for_admin(
    request: Request, circuit_id: uuid.UUID, _admin: AdminUser, session: ReadSession
) -> Envelope[CircuitOut]:
    circuit = await circuit_as_stored(session, circuit_id)
    return envelope(request, CircuitOut.model_validate(circuit))


@router.put(
    "/admin/{circuit_id}",
    response_model=Envelope[CircuitOut],
    summary="Replace a circuit (admin)",
    responses=error_responses(401, 403, 404, 409),
)
async def replace_circuit(
    request: Request,
    circuit_id: uuid.UUID,
    body: CircuitWriteRequest,
    _admin: AdminUser,
    session: WriteSession,
    cache: CacheDep,
) -> Envelope[CircuitOut]:
    circuit = await CircuitService(session, cache).replace(circuit_id, body)
    return envelope(request, CircuitOut.model_validate(circuit))


@router.delete(
    "/admin/{circuit_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Remove a circuit (admin)",
    responses=error_responses(401, 403, 404),
)
async def delete_circuit(
    circuit_id: uuid.UUID, _admin: AdminUser, session: WriteSession, cache: CacheDep
) -> Response:
    await CircuitService(session, cache).delete(circuit_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
