"""``/v1/movements``: browse, look up, substitute, query; private custom movements; admin edits."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response
from sqlalchemy import func, select

from alloy.catalogue.models import Movement
from alloy.catalogue.repository import (
    in_discipline,
    movement_filter_fields,
    needs_equipment,
    only_with,
    visible_movements,
)
from alloy.catalogue.schemas import (
    LaxDiscipline,
    LaxEquipment,
    LaxPattern,
    MovementCreateRequest,
    MovementOut,
    MovementUpdateRequest,
)
from alloy.catalogue.service import MOVEMENTS, MovementService, cached_movement, movement_out, not_found
from alloy.catalogue.vocabulary import Discipline, Equipment, MetricType, Muscle, Pattern
from alloy.identity.models import User
from alloy.identity.roles import CurrentUser
from apikit.cache import CacheDep
from apikit.conditional import etag_of, not_modified
from apikit.db.engine import ReadOnlySession, WriteSession
from apikit.envelope import Envelope, envelope, enveloped_json
from apikit.filtering import FilterRequest, ListResponseWrapper, compile_filter, offset_page
from apikit.openapi import error_responses
from apikit.pagination import BidirectionalPageParams, CursorPage, Keyset, paginate

router = APIRouter(prefix="/v1/movements", tags=["catalogue"])
BY_NAME = Keyset("movements", (Movement.name, Movement.id), descending=False)
FILTER_FIELDS = movement_filter_fields(
    frozenset(Pattern), frozenset(Muscle), frozenset(Equipment), frozenset(Discipline), frozenset(MetricType)
)


@router.get(
    "",
    response_model=Envelope[CursorPage[MovementOut]],
    summary="Browse the catalogue (and your own movements) by name",
    responses=error_responses(400, 401),
)
async def list_movements(
    request: Request,
    caller: CurrentUser,
    session: ReadOnlySession,
    cache: CacheDep,
    page: BidirectionalPageParams,
    pattern: Annotated[LaxPattern | None, Query()] = None,
    equipment: Annotated[LaxEquipment | None, Query(description="Movements that use this equipment")] = None,
    discipline: Annotated[LaxDiscipline | None, Query()] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=80, description="Part of the name")] = None,
) -> Response:
    filters = {"pattern": pattern, "equipment": equipment, "discipline": discipline, "q": q}

    async def build() -> bytes:
        statement = visible_movements(caller.user_id)
        if pattern is not None:
            statement = statement.where(Movement.pattern == pattern)
        if equipment is not None:
            statement = statement.where(needs_equipment(equipment))
        if discipline is not None:
            statement = statement.where(in_discipline(discipline))
        if q is not None:
            escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            statement = statement.where(func.lower(Movement.name).like(f"%{escaped}%", escape="\\"))
        result = await paginate(session, statement, keyset=BY_NAME, page=page, filters=filters)
        items = [movement_out(movement) for movement in result.items]
        return CursorPage[MovementOut].of(result, items).model_dump_json().encode()

    key = await cache.key(
        MOVEMENTS, "list", caller.user_id, json.dumps(filters), page.limit, page.cursor, page.direction
    )
    return enveloped_json(request, await cache.remember(key, build))


@router.post(
    "/query",
    response_model=Envelope[ListResponseWrapper[MovementOut]],
    summary="Structured query: typed filters from an allow-list, sorting, limit and offset",
    responses=error_responses(400, 401),
)
async def query_movements(
    request: Request, body: FilterRequest, caller: CurrentUser, session: ReadOnlySession
) -> Envelope[ListResponseWrapper[MovementOut]]:
    compiled = compile_filter(body, FILTER_FIELDS, tiebreaker=Movement.id, default_sort="name")
    statement = visible_movements(caller.user_id).where(*compiled.conditions)
    total = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = await session.execute(statement.order_by(*compiled.order_by).limit(body.limit).offset(body.offset))
    items = [movement_out(movement) for movement in rows.scalars()]
    return envelope(request, offset_page(items, int(total or 0), body, compiled.applied))


@router.get(
    "/{movement_id:uuid}",
    response_model=Envelope[MovementOut],
    summary="One movement (ETag; If-None-Match answers 304)",
    responses={304: {"description": "Not modified"}, **error_responses(401, 404)},
)
async def read_movement(
    request: Request, movement_id: uuid.UUID, caller: CurrentUser, session: ReadOnlySession, cache: CacheDep
) -> Response:
    data = await cached_movement(session, cache, movement_id, caller)
    etag = etag_of(data)
    return not_modified(request, etag) or enveloped_json(request, data, etag=etag)


@router.get(
    "/{movement_id:uuid}/substitutes",
    response_model=Envelope[list[MovementOut]],
    summary="Movements of the same pattern and substitution group that your equipment allows",
    responses=error_responses(401, 404),
)
async def list_substitutes(
    request: Request, movement_id: uuid.UUID, caller: CurrentUser, session: ReadOnlySession
) -> Envelope[list[MovementOut]]:
    original = (
        await session.execute(visible_movements(caller.user_id).where(Movement.id == movement_id))
    ).scalar_one_or_none()
    if original is None:
        raise not_found(movement_id)
    statement = (
        visible_movements(caller.user_id)
        .where(
            Movement.pattern == original.pattern,
            Movement.substitution_group == original.substitution_group,
            Movement.id != movement_id,
        )
        .order_by(Movement.skill_level, Movement.name, Movement.id)
    )
    user = await session.get(User, caller.user_id)
    if user is not None and user.equipment:
        # Bodyweight needs nothing, so it is always available.
        statement = statement.where(only_with([*user.equipment, Equipment.BODYWEIGHT.value]))
    substitutes = [movement_out(movement) for movement in (await session.execute(statement)).scalars()]
    return envelope(request, substitutes)


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
    movement = await MovementService(session, cache).create_custom(caller, body.model_dump())
    return envelope(request, movement_out(movement))


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
    movement = await MovementService(session, cache).update(
        movement_id, caller, body.model_dump(exclude_unset=True, exclude_none=True)
    )
    return envelope(request, movement_out(movement))
