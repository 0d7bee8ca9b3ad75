"""The catalogue's hot reads on the fast read path (:mod:`apikit.db.fastread`): statements built
once per shape, rows written as ``MovementOut`` and ``CircuitOut`` are, without the ORM.

Who sees a movement is decided here, in two audiences: the shared catalogue alone (an answer any
caller may be given, so it can be cached for everyone) or the shared catalogue with one caller's
private movements (``caller_id``). Another user's private movement is in neither.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import orjson
from sqlalchemy import (
    Boolean,
    Select,
    String,
    Uuid,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import aliased

from alloy.catalogue.models import Circuit, Movement, MovementDiscipline, MovementEquipment
from alloy.catalogue.repository import (
    CIRCUITS_BY_NAME,
    MOVEMENT_FILTER_FIELDS,
    MOVEMENTS_BY_NAME,
    SUBSTITUTE_ORDER,
    in_discipline,
    needs_equipment,
    substitutes_for,
)
from alloy.identity.models import User
from apikit.db.fastread import Reader, ReadStatement, ReadStatements, json_list, raw_json, row_json, rows_json
from apikit.filtering import FilterRequest, FilterShape, ShapedFilter, filter_conditions, filter_order
from apikit.pagination import KeysetReads, PageRequest, RowPage, read_page

_CALLER = bindparam("caller_id", type_=Uuid())
_MOVEMENT_ID = bindparam("movement_id", type_=Uuid())
# The most structured-query shapes kept built: clients choose their filters, so the shapes are many.
MAX_QUERY_SHAPES = 256


def _visible(statement: Select[Any], shared_only: bool, movement: Any = Movement) -> Select[Any]:
    """``statement`` limited to the shared catalogue, or to it and the caller's own movements."""
    if shared_only:
        return statement.where(movement.owner_id.is_(None))
    return statement.where(or_(movement.owner_id.is_(None), movement.owner_id == _CALLER))


# MovementOut's fields, in its order.
MOVEMENT_FIELDS: tuple[Any, ...] = (
    Movement.id.label("movement_id"),
    Movement.slug,
    Movement.name,
    Movement.pattern,
    Movement.primary_muscle,
    raw_json(Movement.secondary_muscles),
    json_list(
        MovementEquipment.equipment,
        where=MovementEquipment.movement_id == Movement.id,
        order_by=MovementEquipment.position,
        name="equipment",
    ),
    json_list(
        MovementDiscipline.discipline,
        where=MovementDiscipline.movement_id == Movement.id,
        order_by=MovementDiscipline.position,
        name="disciplines",
    ),
    Movement.compound,
    Movement.unilateral,
    Movement.skill_level,
    Movement.cns_load,
    Movement.metric_type,
    Movement.tier,
    Movement.rep_min,
    Movement.rep_max,
    Movement.plate_increment_kg,
    Movement.plate_increment_lb,
    Movement.substitution_group,
    Movement.progression_id,
    Movement.regression_id,
    Movement.description,
    type_coerce(Movement.owner_id.is_not(None), Boolean).label("custom"),
    Movement.created_at,
    Movement.updated_at,
)


def _listed(
    shared_only: bool, pattern: bool, tier: bool, equipment: bool, discipline: bool, q: bool
) -> Select[Any]:
    statement = _visible(select(*MOVEMENT_FIELDS), shared_only)
    if pattern:
        statement = statement.where(Movement.pattern == bindparam("pattern", type_=String()))
    if tier:
        statement = statement.where(Movement.tier == bindparam("tier", type_=String()))
    if equipment:
        statement = statement.where(needs_equipment(bindparam("equipment", type_=String())))
    if discipline:
        statement = statement.where(in_discipline(bindparam("discipline", type_=String())))
    if q:
        statement = statement.where(
            func.lower(Movement.name).like(bindparam("q", type_=String()), escape="\\")
        )
    return statement


def _matching(shared_only: bool, shape: FilterShape) -> Select[Any]:
    # The total comes with each row (a window over every match, before the limit).
    statement = _visible(select(*MOVEMENT_FIELDS, func.count().over().label("_total")), shared_only)
    return (
        statement.where(*filter_conditions(shape, MOVEMENT_FILTER_FIELDS))
        .order_by(*filter_order(shape, MOVEMENT_FILTER_FIELDS, tiebreaker=Movement.id))
        .limit(bindparam("_limit"))
        .offset(bindparam("_offset"))
    )


def _counted(shared_only: bool, shape: FilterShape) -> Select[Any]:
    statement = _visible(select(func.count().label("total")).select_from(Movement), shared_only)
    return statement.where(*filter_conditions(shape, MOVEMENT_FILTER_FIELDS))


def _substitutes(shared_only: bool, allowed: int) -> Select[Any]:
    """The movements of the original's pattern and substitution group, but the original, with only
    the ``allowed`` equipment (any when 0), easiest first."""
    original = aliased(Movement)
    equipment = [bindparam(f"allowed{index}", type_=String()) for index in range(allowed)]
    statement = (
        _visible(select(*MOVEMENT_FIELDS), shared_only)
        .join(original, and_(original.id == _MOVEMENT_ID, Movement.id != original.id))
        .where(substitutes_for(original.pattern, original.substitution_group, equipment or None))
    )
    return statement.order_by(*SUBSTITUTE_ORDER)


MOVEMENT_LIST = KeysetReads(MOVEMENTS_BY_NAME, _listed)
MOVEMENT_QUERY = ReadStatements(_matching, max_shapes=MAX_QUERY_SHAPES)
MOVEMENT_COUNT = ReadStatements(_counted, max_shapes=MAX_QUERY_SHAPES)
MOVEMENT_DETAIL = ReadStatement(
    select(*MOVEMENT_FIELDS, Movement.owner_id.label("_owner")).where(Movement.id == _MOVEMENT_ID)
)
SUBSTITUTES = ReadStatements(_substitutes)
SEES_MOVEMENT = ReadStatements(
    lambda shared_only: _visible(select(Movement.id), shared_only).where(Movement.id == _MOVEMENT_ID)
)
CALLER_EQUIPMENT = ReadStatement(select(raw_json(User.equipment)).where(User.id == _CALLER))
OWNS_MOVEMENTS = ReadStatement(
    # By scope, which is indexed: a private movement's scope is its owner's id.
    select(exists().where(Movement.scope == bindparam("scope", type_=String())).label("owns"))
)


class MovementReads:
    """The catalogue as an audience sees it: ``caller_id`` None for the shared catalogue alone."""

    def __init__(self, reader: Reader, caller_id: uuid.UUID | None) -> None:
        self.reader = reader
        self.caller_id = caller_id
        self.shared_only = caller_id is None

    async def page_by_name(self, page: PageRequest, **filters: str | None) -> bytes:
        """A page's JSON (``CursorPage[MovementOut]``)."""
        q = filters["q"]
        params: dict[str, Any] = {**filters, "caller_id": self.caller_id}
        if q is not None:
            escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params["q"] = f"%{escaped}%"
        shape = (
            self.shared_only,
            *(filters[name] is not None for name in ("pattern", "tier", "equipment", "discipline", "q")),
        )
        found: RowPage = await read_page(
            self.reader, MOVEMENT_LIST, page=page, shape=shape, params=params, filters=filters
        )
        return found.cursor_page()

    async def matching(self, body: FilterRequest, shaped: ShapedFilter) -> tuple[bytes, int, int]:
        """One page of a structured query (``MovementOut`` items, as a JSON array), its length,
        and how many movements match in all."""
        params = {**shaped.params, "caller_id": self.caller_id, "_limit": body.limit, "_offset": body.offset}
        statement = MOVEMENT_QUERY(self.shared_only, shaped.shape)
        rows = await self.reader.all(statement, params)
        if rows:
            total = int(rows[0]["_total"])
        elif body.offset == 0:
            total = 0
        else:  # past the end: the window saw no row to count
            counted = await self.reader.one(MOVEMENT_COUNT(self.shared_only, shaped.shape), params)
            total = int(counted["total"]) if counted is not None else 0
        return rows_json(rows, statement), len(rows), total

    async def detail(self, movement_id: uuid.UUID) -> tuple[bytes, uuid.UUID | None] | None:
        """The movement's JSON (``MovementOut``) and its owner (None: shared), whoever owns it;
        the caller decides who may see it. None when there is no such movement."""
        row = await self.reader.one(MOVEMENT_DETAIL, {"movement_id": movement_id})
        if row is None:
            return None
        owner = row["_owner"]
        return row_json(row, MOVEMENT_DETAIL), (None if owner is None else uuid.UUID(str(owner)))

    async def substitutes(self, movement_id: uuid.UUID, allowed: Sequence[str]) -> bytes | None:
        """The substitutes' JSON (a ``MovementOut`` array), easiest first, with only the ``allowed``
        equipment (any when empty); None when the audience does not see ``movement_id``."""
        params: dict[str, Any] = {"movement_id": movement_id, "caller_id": self.caller_id}
        if await self.reader.one(SEES_MOVEMENT(self.shared_only), params) is None:
            return None
        statement = SUBSTITUTES(self.shared_only, len(allowed))
        params.update({f"allowed{index}": value for index, value in enumerate(allowed)})
        return rows_json(await self.reader.all(statement, params), statement)


async def owns_movements(reader: Reader, user_id: uuid.UUID) -> bool:
    """Whether the user has private movements of their own."""
    row = await reader.one(OWNS_MOVEMENTS, {"scope": str(user_id)})
    return row is not None and bool(row["owns"])


async def caller_equipment(reader: Reader, user_id: uuid.UUID) -> list[str]:
    """The equipment the user has said they have (empty: not said)."""
    row = await reader.one(CALLER_EQUIPMENT, {"caller_id": user_id})
    return list(orjson.loads(row["equipment"])) if row is not None and row["equipment"] else []


# --- circuits ----------------------------------------------------------------------------------

_CIRCUIT_MOVEMENT_FIELDS = ("movement_id", "reps", "rep_scheme", "distance_m", "seconds", "calories")
CIRCUIT_FIELDS: tuple[Any, ...] = (
    Circuit.id.label("circuit_id"),
    Circuit.slug,
    Circuit.name,
    Circuit.circuit_type.label("type"),
    Circuit.circuit_type,
    Circuit.rounds,
    Circuit.time_cap_minutes,
    Circuit.duration_minutes,
    raw_json(Circuit.movements),
    Circuit.difficulty,
    raw_json(Circuit.tags),
    Circuit.description,
    Circuit.created_at,
    Circuit.updated_at,
)


def _circuits(typed: bool) -> Select[Any]:
    statement = select(*CIRCUIT_FIELDS)
    return statement.where(Circuit.circuit_type == bindparam("type", type_=String())) if typed else statement


CIRCUIT_LIST = KeysetReads(CIRCUITS_BY_NAME, _circuits)
CIRCUIT_DETAIL = ReadStatement(
    select(*CIRCUIT_FIELDS).where(Circuit.id == bindparam("circuit_id", type_=Uuid()))
)


def _circuit_movement(item: dict[str, Any]) -> dict[str, Any]:
    """A stored circuit movement (only its measure kept) as ``CircuitMovementOut`` writes it."""
    load = item.get("load")
    written = {name: item.get(name) for name in _CIRCUIT_MOVEMENT_FIELDS}
    written["load"] = (
        None if load is None else {"male_kg": float(load["male_kg"]), "female_kg": float(load["female_kg"])}
    )
    return written


def _circuit_row(row: Any) -> dict[str, Any]:
    values = dict(row)
    values["movements"] = orjson.dumps(
        [_circuit_movement(item) for item in orjson.loads(values["movements"])]
    )
    return values


class CircuitReads:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    async def page_by_name(self, page: PageRequest, circuit_type: str | None) -> bytes:
        """A page's JSON (``CursorPage[CircuitOut]``)."""
        found = await read_page(
            self.reader,
            CIRCUIT_LIST,
            page=page,
            shape=(circuit_type is not None,),
            params={"type": circuit_type},
            filters={"type": circuit_type},
        )
        rows: list[Mapping[str, Any]] = [_circuit_row(row) for row in found.page.items]
        return RowPage(found.statement, replace(found.page, items=rows)).cursor_page()

    async def detail(self, circuit_id: uuid.UUID) -> bytes | None:
        """The circuit's JSON (``CircuitOut``), or None when there is none."""
        row = await self.reader.one(CIRCUIT_DETAIL, {"circuit_id": circuit_id})
        return None if row is None else row_json(_circuit_row(row), CIRCUIT_DETAIL)
