"""The catalogue's rules: who sees and edits which movement, what makes a circuit, how the scoring
configuration is versioned, and the cache in front of reads."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from alloy.catalogue.coaching import default_facts, fact_problems
from alloy.catalogue.models import Circuit, Movement, MovementDiscipline, MovementEquipment, ScoringConfig
from alloy.catalogue.reads import (
    CircuitReads,
    MovementReads,
    caller_equipment,
    owns_movements,
)
from alloy.catalogue.repository import (
    MOVEMENT_FILTER_FIELDS,
    CircuitRepository,
    MovementRepository,
    ScoringConfigRepository,
    circuit_not_found,
    movement_not_found,
)
from alloy.catalogue.schemas import (
    CircuitWriteRequest,
    ScoringConfigRequest,
    ScoringValidationOut,
    normalised,
)
from alloy.catalogue.scoring import weight_problems
from alloy.catalogue.vocabulary import CircuitType, Equipment
from alloy.identity.roles import ADMIN_ROLES
from apikit.auth.dependencies import Principal
from apikit.cache import Cache
from apikit.db.engine import ReadSession
from apikit.db.fastread import Reader
from apikit.db.unique import add_unique
from apikit.errors import AuthorizationError, ConflictError, UnprocessableError, ValidationError
from apikit.filtering import FilterRequest, offset_page_json, shape_filter
from apikit.ids import new_id, utcnow
from apikit.jsoncodec import canonical
from apikit.pagination import PageRequest

MOVEMENTS = "movements"  # the cache scope every movement write invalidates
CIRCUITS = "circuits"
SCORING = "scoring"
_TIMED = {CircuitType.AMRAP, CircuitType.EMOM, CircuitType.TABATA}


class MovementReader:
    """The catalogue as one caller sees it, from the cache when it can.

    An answer that holds no private movement is cached once for everyone: a caller who owns no
    private movement is given the shared catalogue's answers, read and cached without any (so no
    entry for everyone can hold one). A caller who owns some gets entries of their own. Whether a
    caller owns any is cached in the same scope, so creating one retires what they were given.
    """

    def __init__(self, reader: Reader, cache: Cache, caller: Principal) -> None:
        self.reader = reader
        self.cache = cache
        self.caller = caller

    async def page_by_name(self, page: PageRequest, **filters: str | None) -> bytes:
        """A page's JSON (``CursorPage[MovementOut]``)."""
        parts = ("list", canonical(filters), page.limit, page.cursor, page.direction)
        return await self._remembered(parts, lambda reads: reads.page_by_name(page, **filters))

    async def query(self, body: FilterRequest) -> bytes:
        """A structured query's JSON (``ListResponseWrapper[MovementOut]``)."""
        shaped = shape_filter(body, MOVEMENT_FILTER_FIELDS, default_sort="name")
        request = canonical(body.model_dump(mode="json"))
        digest = hashlib.sha256(request.encode()).hexdigest()

        async def build(reads: MovementReads) -> bytes:
            items, count, total = await reads.matching(body, shaped)
            return offset_page_json(items, count, total, body, shaped.applied)

        return await self._remembered(("query", digest), build)

    async def detail(self, movement_id: uuid.UUID) -> bytes:
        """The movement's JSON (``MovementOut``); 404 unless the caller sees it. A shared movement
        is cached for everyone; a private one is read each time."""
        (key,) = await self.cache.keys(MOVEMENTS, ("detail", movement_id))
        cached = await self.cache.get(key)
        if cached is not None:
            return cached
        found = await MovementReads(self.reader, None).detail(movement_id)
        if found is None:
            raise movement_not_found(movement_id)
        data, owner = found
        if owner is None:
            await self.cache.set(key, data)
        elif owner != self.caller.user_id:
            raise movement_not_found(movement_id)  # another user's private movement is not there
        return data

    async def substitutes(self, movement_id: uuid.UUID) -> bytes:
        """Same pattern and substitution group, that the caller's equipment allows (any when unset),
        as JSON (a ``MovementOut`` array)."""

        # The caller's equipment is part of the answer: read each time, it keys the entry.
        equipment = await caller_equipment(self.reader, self.caller.user_id)
        # Bodyweight needs nothing, so it is always available.
        allowed = sorted({*equipment, Equipment.BODYWEIGHT.value}) if equipment else []

        async def build(reads: MovementReads) -> bytes:
            found = await reads.substitutes(movement_id, allowed)
            if found is None:
                raise movement_not_found(movement_id)
            return found

        return await self._remembered(("substitutes", movement_id, canonical(allowed)), build)

    async def _remembered(
        self, parts: tuple[object, ...], build: Callable[[MovementReads], Awaitable[bytes]]
    ) -> bytes:
        """The answer for ``parts``: everyone's when the caller owns no private movement, else the
        caller's own; read with ``build`` on a miss."""
        user_id = self.caller.user_id
        owns_key, shared_key, own_key = await self.cache.keys(
            MOVEMENTS, ("owns", user_id), (*parts, "shared"), (*parts, user_id)
        )
        owns, shared, own = await self.cache.get_many([owns_key, shared_key, own_key])
        if owns is None:
            owns = b"1" if await owns_movements(self.reader, user_id) else b"0"
            await self.cache.set(owns_key, owns)
        key, cached, audience = (own_key, own, user_id) if owns == b"1" else (shared_key, shared, None)
        if cached is not None:
            return cached
        value = await build(MovementReads(self.reader, audience))
        await self.cache.set(key, value)
        return value


class MovementService:
    def __init__(self, session: AsyncSession, cache: Cache, caller: Principal) -> None:
        self.session = session
        self.cache = cache
        self.caller = caller
        self.movements = MovementRepository(session, caller.user_id)

    async def get_for_edit(self, movement_id: uuid.UUID) -> Movement:
        movement = await self.movements.get_or_404(movement_id, for_update=True)
        if movement.owner_id is None and self.caller.role not in ADMIN_ROLES:
            raise AuthorizationError("Only admins edit the shared catalogue", code="AUTH_FORBIDDEN")
        return movement

    async def create_custom(self, fields: dict[str, Any]) -> Movement:
        await self._check_links(fields)
        derived = default_facts(
            fields["pattern"], fields["compound"], fields["metric_type"], fields["equipment"]
        )
        fields = {**fields, **{key: value for key, value in derived.items() if fields.get(key) is None}}
        _check_facts(fields)
        movement_id = new_id()
        movement = Movement(
            id=movement_id,
            slug=f"custom_{movement_id.hex}",
            name=fields["name"],
            name_key=fields["name"].casefold(),
            scope=str(self.caller.user_id),
            owner_id=self.caller.user_id,
            **{
                key: value for key, value in fields.items() if key not in {"name", "equipment", "disciplines"}
            },
        )
        movement.equipment_rows = _equipment_rows(fields["equipment"])
        movement.discipline_rows = _discipline_rows(fields["disciplines"])
        await add_unique(self.session, movement, _duplicate_name(fields["name"]))
        self.cache.invalidate_after_commit(self.session, MOVEMENTS)
        return await self.movements.reloaded(movement.id)

    async def update(self, movement_id: uuid.UUID, changes: dict[str, Any]) -> Movement:
        movement = await self.get_for_edit(movement_id)
        await self._check_links(changes, movement_id)
        for key, value in changes.items():
            if key == "equipment":
                movement.equipment_rows = _equipment_rows(value)
            elif key == "disciplines":
                movement.discipline_rows = _discipline_rows(value)
            else:
                setattr(movement, key, value)
        if "metric_type" in changes and not {"rep_min", "rep_max"} & changes.keys():
            # Counted differently now: the range follows unless the edit gives one.
            derived = default_facts(
                movement.pattern, movement.compound, movement.metric_type, movement.equipment
            )
            movement.rep_min, movement.rep_max = derived["rep_min"], derived["rep_max"]
        _check_facts(
            {key: getattr(movement, key) for key in ("pattern", "metric_type", "tier", "rep_min", "rep_max")}
        )
        if "name" in changes:
            movement.name_key = changes["name"].casefold()
        movement.updated_at = utcnow()
        await add_unique(self.session, movement, _duplicate_name(movement.name))
        self.cache.invalidate_after_commit(self.session, MOVEMENTS)
        return await self.movements.reloaded(movement.id)

    async def _check_links(self, fields: dict[str, Any], movement_id: uuid.UUID | None = None) -> None:
        for link in ("progression_id", "regression_id"):
            target = fields.get(link)
            if target is None:
                continue
            if target == movement_id:
                raise UnprocessableError("A movement cannot link to itself", details={"field": link})
            if not await self.movements.is_visible(target):
                raise UnprocessableError(
                    "No such movement to link to", code="NF_MOVEMENT", details={"field": link}
                )


def _check_facts(fields: dict[str, Any]) -> None:
    problems = fact_problems(
        fields["pattern"], fields["metric_type"], fields["tier"], fields["rep_min"], fields["rep_max"]
    )
    if problems:
        raise UnprocessableError(
            "The movement's tier and rep range do not fit",
            code="VAL_COACHING_FACTS",
            details={"problems": problems},
        )


def _equipment_rows(items: list[str]) -> list[MovementEquipment]:
    return [
        MovementEquipment(equipment=item, position=position)
        for position, item in enumerate(dict.fromkeys(items))
    ]


def _discipline_rows(items: list[str]) -> list[MovementDiscipline]:
    return [
        MovementDiscipline(discipline=item, position=position)
        for position, item in enumerate(dict.fromkeys(items))
    ]


def _duplicate_name(name: str) -> ConflictError:
    return ConflictError(
        "A movement with this name exists", code="CF_DUPLICATE_MOVEMENT", details={"name": name}
    )


# --- circuits --------------------------------------------------------------------------------------


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:80] or "circuit"


class CircuitReader:
    """Circuits, the same for everyone: cached once for all."""

    def __init__(self, reader: Reader, cache: Cache) -> None:
        self.reads = CircuitReads(reader)
        self.cache = cache

    async def page_by_name(self, page: PageRequest, circuit_type: str | None) -> bytes:
        """A page's JSON (``CursorPage[CircuitOut]``)."""
        key = await self.cache.key(CIRCUITS, "list", circuit_type, page.limit, page.cursor, page.direction)
        return await self.cache.remember(key, lambda: self.reads.page_by_name(page, circuit_type))

    async def detail(self, circuit_id: uuid.UUID) -> bytes:
        """The circuit's JSON (``CircuitOut``), or a 404."""

        async def build() -> bytes:
            found = await self.reads.detail(circuit_id)
            if found is None:
                raise circuit_not_found(circuit_id)
            return found

        return await self.cache.remember(await self.cache.key(CIRCUITS, "detail", circuit_id), build)


async def circuit_as_stored(session: ReadSession, circuit_id: uuid.UUID) -> Circuit:
    """A circuit as stored now, uncached, for an admin about to edit it."""
    return await CircuitRepository(session).get_or_404(circuit_id)


class CircuitService:
    """Admins' curation: a circuit's rules, its slug, and the cache it invalidates."""

    def __init__(self, session: AsyncSession, cache: Cache) -> None:
        self.session = session
        self.cache = cache
        self.circuits = CircuitRepository(session)

    async def create(self, body: CircuitWriteRequest) -> Circuit:
        circuit = Circuit(id=new_id(), **await self._checked_fields(body, replacing=None))
        await add_unique(self.session, circuit, _duplicate_circuit())
        self.cache.invalidate_after_commit(self.session, CIRCUITS)
        return circuit

    async def replace(self, circuit_id: uuid.UUID, body: CircuitWriteRequest) -> Circuit:
        circuit = await self.circuits.get_or_404(circuit_id, for_update=True)
        for key, value in (await self._checked_fields(body, replacing=circuit)).items():
            setattr(circuit, key, value)
        circuit.updated_at = utcnow()
        await add_unique(self.session, circuit, _duplicate_circuit())
        self.cache.invalidate_after_commit(self.session, CIRCUITS)
        return circuit

    async def delete(self, circuit_id: uuid.UUID) -> None:
        if not await self.circuits.delete(circuit_id):
            raise self.circuits.not_found(circuit_id)
        self.cache.invalidate_after_commit(self.session, CIRCUITS)

    async def _checked_fields(self, body: CircuitWriteRequest, replacing: Circuit | None) -> dict[str, Any]:
        """The circuit's columns, after the checks a schema cannot express."""
        for index, item in enumerate(body.movements):
            if item.measure_count() != 1:
                raise UnprocessableError(
                    "Each movement needs exactly one of reps, rep_scheme, distance_m, seconds, calories",
                    details={"field": f"movements.{index}"},
                )
        if body.type in _TIMED and body.duration_minutes is None:
            raise UnprocessableError(
                f"An {body.type} needs duration_minutes", details={"field": "duration_minutes"}
            )
        wanted = {item.movement_id for item in body.movements}
        if missing := sorted(str(each) for each in wanted - await self.circuits.shared_movement_ids(wanted)):
            raise UnprocessableError(
                "Circuits use movements of the shared catalogue",
                code="NF_MOVEMENT",
                details={"missing": missing},
            )
        return {
            "slug": await self._slug(body, replacing),
            "name": body.name,
            "name_key": body.name.casefold(),
            "circuit_type": body.type,
            "rounds": body.rounds,
            "time_cap_minutes": body.time_cap_minutes,
            "duration_minutes": body.duration_minutes,
            "movements": [item.model_dump(mode="json", exclude_none=True) for item in body.movements],
            "difficulty": body.difficulty,
            "tags": body.tags,
            "description": body.description,
        }

    async def _slug(self, body: CircuitWriteRequest, replacing: Circuit | None) -> str:
        """The client's slug when they chose it (taken: 409); otherwise one derived and free.

        A slug is the server's, not the client's choice, when it is absent or when it is the one
        the server gave the circuit being replaced or the circuit the body was read from (its
        ``circuit_id``): a document read by GET and sent back carries it unchanged.
        """
        given = {replacing.slug} if replacing is not None else set()
        if body.circuit_id is not None and (read := await self.circuits.get(body.circuit_id)) is not None:
            given.add(read.slug)
        if body.slug is not None and body.slug not in given:
            return body.slug
        own = replacing.id if replacing is not None else None
        if body.slug is not None and body.slug not in await self.circuits.slugs_like(
            body.slug, other_than=own
        ):
            return body.slug  # the server's, and still free
        base = slugify(body.name)
        taken = await self.circuits.slugs_like(base, other_than=own)
        return next(
            slug for slug in (base, *(f"{base}_{n}" for n in range(2, len(taken) + 3))) if slug not in taken
        )


def _duplicate_circuit() -> ConflictError:
    return ConflictError("A circuit with this name or slug exists", code="CF_DUPLICATE_CIRCUIT")


# --- scoring ---------------------------------------------------------------------------------------


def validated(body: ScoringConfigRequest) -> ScoringValidationOut:
    problems = weight_problems(body.weights)
    return ScoringValidationOut(
        valid=not problems,
        problems=problems,
        normalised_weights=None if problems else normalised(body.weights),
    )


class ScoringService:
    """A new configuration is a new version; the old ones stay, for the programs built with them."""

    def __init__(self, session: AsyncSession, cache: Cache) -> None:
        self.session = session
        self.cache = cache

    async def put_in_force(self, body: ScoringConfigRequest, created_by: uuid.UUID | None) -> ScoringConfig:
        problems = weight_problems(body.weights)
        if problems:
            raise ValidationError(
                "The scoring configuration is not valid",
                code="VAL_SCORING_WEIGHTS",
                details={"problems": problems},
            )
        previous = await ScoringConfigRepository(self.session).current()
        config = ScoringConfig(
            version=previous.version + 1,
            weights=body.weights,
            qualifying_score=body.qualifying_score,
            note=body.note,
            created_by=created_by,
        )
        self.session.add(config)
        await self.session.flush()  # two admins racing for one version number: the primary key decides
        self.cache.invalidate_after_commit(self.session, SCORING)
        return config
