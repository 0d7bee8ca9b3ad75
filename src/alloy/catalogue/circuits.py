"""``/v1/circuits``: benchmark and conditioning workouts for everyone; curation for admins."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from alloy.catalogue.models import Circuit, Movement
from alloy.catalogue.schemas import CircuitOut, CircuitWriteRequest, as_circuit_movements
from alloy.catalogue.vocabulary import CircuitType
from alloy.identity.roles import AdminUser, CurrentUser
from apikit.cache import Cache, CacheDep
from apikit.conditional import etag_of, not_modified
from apikit.db.engine import ReadOnlySession, WriteSession
from apikit.db.unique import add_unique
from apikit.envelope import Envelope, envelope, enveloped_json
from apikit.errors import ConflictError, NotFoundError, UnprocessableError
from apikit.ids import new_id, utcnow
from apikit.openapi import error_responses
from apikit.pagination import BidirectionalPageParams, CursorPage, Keyset, paginate
from apikit.schemas import Lax

router = APIRouter(prefix="/v1/circuits", tags=["circuits"])
CIRCUITS = "circuits"
BY_NAME = Keyset("circuits", (Circuit.name, Circuit.id), descending=False)
_TIMED = {CircuitType.AMRAP, CircuitType.EMOM, CircuitType.TABATA}


def circuit_out(circuit: Circuit) -> CircuitOut:
    return CircuitOut(
        circuit_id=circuit.id,
        slug=circuit.slug,
        name=circuit.name,
        circuit_type=CircuitType(circuit.circuit_type),
        rounds=circuit.rounds,
        time_cap_minutes=circuit.time_cap_minutes,
        duration_minutes=circuit.duration_minutes,
        movements=as_circuit_movements(circuit.movements),
        difficulty=circuit.difficulty,
        tags=circuit.tags,
        description=circuit.description,
        created_at=circuit.created_at,
        updated_at=circuit.updated_at,
    )


def not_found(circuit_id: uuid.UUID) -> NotFoundError:
    return NotFoundError("No such circuit", code="NF_CIRCUIT", details={"circuit_id": str(circuit_id)})


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:80] or "circuit"


async def _checked_fields(session: AsyncSession, body: CircuitWriteRequest) -> dict[str, Any]:
    """The circuit's columns, after the checks a schema cannot express."""
    for index, item in enumerate(body.movements):
        if item.measure_count() != 1:
            raise UnprocessableError(
                "Each movement needs exactly one of reps, rep_scheme, distance_m, seconds, calories",
                details={"field": f"movements.{index}"},
            )
    if CircuitType(body.circuit_type) in _TIMED and body.duration_minutes is None:
        raise UnprocessableError(
            f"An {body.circuit_type} needs duration_minutes", details={"field": "duration_minutes"}
        )
    wanted = {item.movement_id for item in body.movements}
    shared = set(
        (
            await session.execute(
                select(Movement.id).where(Movement.id.in_(wanted), Movement.owner_id.is_(None))
            )
        ).scalars()
    )
    if missing := sorted(str(movement_id) for movement_id in wanted - shared):
        raise UnprocessableError(
            "Circuits use movements of the shared catalogue", code="NF_MOVEMENT", details={"missing": missing}
        )
    return {
        "slug": body.slug or slugify(body.name),
        "name": body.name,
        "name_key": body.name.casefold(),
        "circuit_type": body.circuit_type,
        "rounds": body.rounds,
        "time_cap_minutes": body.time_cap_minutes,
        "duration_minutes": body.duration_minutes,
        "movements": [item.model_dump(mode="json", exclude_none=True) for item in body.movements],
        "difficulty": body.difficulty,
        "tags": body.tags,
        "description": body.description,
    }


def _duplicate() -> ConflictError:
    return ConflictError("A circuit with this name or slug exists", code="CF_DUPLICATE_CIRCUIT")


async def _cached_circuit(session: Any, cache: Cache, circuit_id: uuid.UUID) -> bytes:
    async def build() -> bytes:
        circuit = await session.get(Circuit, circuit_id)
        if circuit is None:
            raise not_found(circuit_id)
        return circuit_out(circuit).model_dump_json().encode()

    return await cache.remember(await cache.key(CIRCUITS, "detail", circuit_id), build)


@router.get(
    "",
    response_model=Envelope[CursorPage[CircuitOut]],
    summary="Benchmark and conditioning circuits, by name",
    responses=error_responses(400, 401),
)
async def list_circuits(
    request: Request,
    _caller: CurrentUser,
    session: ReadOnlySession,
    cache: CacheDep,
    page: BidirectionalPageParams,
    circuit_type: Annotated[Annotated[CircuitType, Lax] | None, Query(alias="type")] = None,
) -> Response:

    async def build() -> bytes:
        statement = select(Circuit)
        if circuit_type is not None:
            statement = statement.where(Circuit.circuit_type == circuit_type)
        result = await paginate(session, statement, keyset=BY_NAME, page=page, filters={"type": circuit_type})
        items = [circuit_out(circuit) for circuit in result.items]
        return CursorPage[CircuitOut].of(result, items).model_dump_json().encode()

    key = await cache.key(CIRCUITS, "list", circuit_type, page.limit, page.cursor, page.direction)
    return enveloped_json(request, await cache.remember(key, build))


@router.get(
    "/{circuit_id:uuid}",
    response_model=Envelope[CircuitOut],
    summary="One circuit (ETag; If-None-Match answers 304)",
    responses={304: {"description": "Not modified"}, **error_responses(401, 404)},
)
async def read_circuit(
    request: Request, circuit_id: uuid.UUID, _caller: CurrentUser, session: ReadOnlySession, cache: CacheDep
) -> Response:
    data = await _cached_circuit(session, cache, circuit_id)
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
    circuit = Circuit(id=new_id(), **await _checked_fields(session, body))
    await add_unique(session, circuit, _duplicate())
    cache.invalidate_after_commit(session, CIRCUITS)
    return envelope(request, circuit_out(circuit))


@router.get(
    "/admin/{circuit_id}",
    response_model=Envelope[CircuitOut],
    summary="One circuit, for editing (admin)",
    responses=error_responses(401, 403, 404),
)
async def read_circuit_for_admin(
    request: Request, circuit_id: uuid.UUID, _admin: AdminUser, session: ReadOnlySession
) -> Envelope[CircuitOut]:
    circuit = await session.get(Circuit, circuit_id)
    if circuit is None:
        raise not_found(circuit_id)
    return envelope(request, circuit_out(circuit))


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
    circuit = await session.get(Circuit, circuit_id, with_for_update=True)
    if circuit is None:
        raise not_found(circuit_id)
    for key, value in (await _checked_fields(session, body)).items():
        setattr(circuit, key, value)
    circuit.updated_at = utcnow()
    await add_unique(session, circuit, _duplicate())
    cache.invalidate_after_commit(session, CIRCUITS)
    return envelope(request, circuit_out(circuit))


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
    removed = await session.execute(delete(Circuit).where(Circuit.id == circuit_id))
    if not getattr(removed, "rowcount", 0):
        raise not_found(circuit_id)
    cache.invalidate_after_commit(session, CIRCUITS)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
