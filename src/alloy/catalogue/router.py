"""``/v1/movements``: browse, look up, substitute, query; private custom movements; admin edits."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response

from alloy.catalogue.schemas import (
    LaxDiscipline,
    LaxEquipment,
    LaxPattern,
    LaxTier,
    MovementCreateRequest,
    MovementOut,
    MovementUpdateRequest,
)
from alloy.catalogue.service import MovementReader, MovementService
from alloy.identity.roles import CurrentUser
from apikit.cache import CacheDep
from apikit.conditional import etag_of, not_modified
from apikit.db.engine import WriteSession
from apikit.db.fastread import Reads
from apikit.envelope import Envelope, envelope, enveloped_json
from apikit.filtering import FilterRequest, ListResponseWrapper
from apikit.openapi import error_responses
from apikit.pagination import BidirectionalPageParams, CursorPage

router = APIRouter(prefix="/v1/movements", tags=["catalogue"])


@router.get(
    "",
    response_model=Envelope[CursorPage[MovementOut]],
    summary="Browse the catalogue (and your own movements) by name",
    responses=error_responses(400, 401),
)
async def list_movements(
    request: Request,
    caller: CurrentUser,
    reader: Reads,
    cache: CacheDep,
    page: BidirectionalPageParams,
    pattern: Annotated[LaxPattern | None, Query()] = None,
    equipment: Annotated[LaxEquipment | None, Query(description="Movements that use this equipment")] = None,
    discipline: Annotated[LaxDiscipline | None, Query()] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=80, description="Part of the name")] = None,
    tier: Annotated[LaxTier | None, Query(description="primary, secondary or accessory")] = None,
) -> Response:
    filters = {"pattern": pattern, "equipment": equipment, "discipline": discipline, "q": q, "tier": tier}
    # The vocabularies' values as plain text, for the driver and the cursor's digest alike.
    data = await MovementReader(reader, cache, caller).page_by_name(
        page, **{name: None if value is None else str(value) for name, value in filters.items()}
    )
    return enveloped_json(request, data)


@router.post(
    "/query",
    response_model=Envelope[ListResponseWrapper[MovementOut]],
    summary="Structured query: typed filters from an allow-list, sorting, limit and offset",
    responses=error_responses(400, 401),
)
async def query_movements(
    request: Request, body: FilterRequest, caller: CurrentUser, reader: Reads, cache: CacheDep
) -> Response:
    return enveloped_json(request, await MovementReader(reader, cache, caller).query(body))


@router.get(
    "/{movement_id:uuid}",
    response_model=Envelope[MovementOut],
    summary="One movement (ETag; If-None-Match answers 304)",
    responses={304: {"description": "Not modified"}, **error_responses(401, 404)},
)
async def read_movement(
    request: Request, movement_id: uuid.UUID, caller: CurrentUser, reader: Reads, cache: CacheDep
) -> Response:
    data = await MovementReader(reader, cache, caller).detail(movement_id)
    etag = etag_of(data)
    return not_modified(request, etag) or enveloped_json(request, data, etag=etag)


@router.get(
    "/{movement_id:uuid}/substitutes",
    response_model=Envelope[list[MovementOut]],
    summary="Movements of the same pattern and substitution group that your equipment allows",
    responses=error_responses(401, 404),
)
async def list_substitutes(
    request: Request, movement_id: uuid.UUID, caller: CurrentUser, reader: Reads, cache: CacheDep
) -> Response:
    return enveloped_json(request, await MovementReader(reader, cache, caller).substitutes(movement_id))


@router.post(
    "",
    response_model=Envelope[MovementOut],
    status_code=status.HTTP_201_CREATED,
    summary="Add a private movement of your own",
    responses=error_responses(401, 409),
)
async def create_movement(
    request: Request, body: MovementCreateRequest, caller: CurrentUser, session: WriteSession, cache: CacheDep
) -> Envelope[MovementOut]:
    movement = await MovementService(session, cache, caller).create_custom(body.model_dump())
    return envelope(request, MovementOut.model_validate(movement))


@router.patch(
    "/{movement_id:uuid}",
    response_model=Envelope[MovementOut],
    summary="Change a movement: your own, or (admins) one of the shared catalogue",
    responses=error_responses(401, 403, 404, 409),
)
async def update_movement(
    request: Request,
    movement_id: uuid.UUID,
    body: MovementUpdateRequest,
    caller: CurrentUser,
    session: WriteSession,
    cache: CacheDep,
) -> Envelope[MovementOut]:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    movement = await MovementService(session, cache, caller).update(movement_id, changes)
    return envelope(request, MovementOut.model_validate(movement))
