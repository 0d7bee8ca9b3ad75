"""Catalogue queries. A private movement is visible to its owner only; everything else is shared."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, or_, select
from sqlalchemy.orm import selectinload

from alloy.catalogue.models import Circuit, Movement, MovementDiscipline, MovementEquipment, ScoringConfig
from alloy.catalogue.vocabulary import Discipline, Equipment, MetricType, Muscle, Pattern, Tier
from alloy.identity.models import User
from apikit.db.engine import ReadSession
from apikit.db.repository import Repository
from apikit.errors import NotFoundError
from apikit.filtering import FieldType, FilterField
from apikit.pagination import Keyset

WITH_TAGS = (selectinload(Movement.equipment_rows), selectinload(Movement.discipline_rows))


def visible_to(user_id: uuid.UUID) -> ColumnElement[bool]:
    return or_(Movement.owner_id.is_(None), Movement.owner_id == user_id)


def needs_equipment(value: Any) -> ColumnElement[bool]:
    return exists().where(MovementEquipment.movement_id == Movement.id, MovementEquipment.equipment == value)


def in_discipline(value: Any) -> ColumnElement[bool]:
    return exists().where(
        MovementDiscipline.movement_id == Movement.id, MovementDiscipline.discipline == value
    )


def only_with(equipment: Sequence[Any]) -> ColumnElement[bool]:
    """Movements whose every piece of equipment is among ``equipment``."""
    return ~exists().where(
        MovementEquipment.movement_id == Movement.id, MovementEquipment.equipment.not_in(equipment)
    )


SUBSTITUTE_ORDER = (Movement.skill_level, Movement.name, Movement.id)  # easiest first


def substitutes_for(pattern: Any, group: Any, equipment: Sequence[Any] | None) -> ColumnElement[bool]:
    """What makes a movement a substitute: the same pattern and substitution group (values, or
    another movement's columns), and only ``equipment`` when given (values or parameters)."""
    condition = and_(Movement.pattern == pattern, Movement.substitution_group == group)
    return condition if equipment is None else and_(condition, only_with(equipment))


def _tag_condition(test: Any) -> Any:
    """Filter semantics for a list-valued field: eq = has it, ne = lacks it, in = has any, nin = has none."""

    def build(operator: str, value: Any) -> ColumnElement[bool]:
        if operator == "eq":
            return test(value)  # type: ignore[no-any-return]
        if operator == "ne":
            return ~test(value)  # type: ignore[no-any-return]
        any_of = or_(*(test(item) for item in value))
        return any_of if operator == "in" else ~any_of

    return build


# The structured query's allow-list (apikit.filtering).
MOVEMENT_FILTER_FIELDS = {
    "name": FilterField(FieldType.STRING, Movement.name, sortable=True),
    "slug": FilterField(FieldType.STRING, Movement.slug),
    "pattern": FilterField(FieldType.ENUM, Movement.pattern, choices=frozenset(Pattern), sortable=True),
    "primary_muscle": FilterField(
        FieldType.ENUM, Movement.primary_muscle, choices=frozenset(Muscle), sortable=True
    ),
    "metric_type": FilterField(FieldType.ENUM, Movement.metric_type, choices=frozenset(MetricType)),
    "substitution_group": FilterField(FieldType.STRING, Movement.substitution_group),
    "compound": FilterField(FieldType.BOOLEAN, Movement.compound),
    "unilateral": FilterField(FieldType.BOOLEAN, Movement.unilateral),
    "skill_level": FilterField(FieldType.INTEGER, Movement.skill_level, sortable=True),
    "cns_load": FilterField(FieldType.INTEGER, Movement.cns_load, sortable=True),
    "tier": FilterField(FieldType.ENUM, Movement.tier, choices=frozenset(Tier), sortable=True),
    "rep_min": FilterField(FieldType.INTEGER, Movement.rep_min, sortable=True),
    "rep_max": FilterField(FieldType.INTEGER, Movement.rep_max, sortable=True),
    "equipment": FilterField(
        FieldType.ENUM, choices=frozenset(Equipment), build=_tag_condition(needs_equipment)
    ),
    "discipline": FilterField(
        FieldType.ENUM, choices=frozenset(Discipline), build=_tag_condition(in_discipline)
    ),
    "created_at": FilterField(FieldType.DATETIME, Movement.created_at, sortable=True),
}
MOVEMENTS_BY_NAME = Keyset("movements", (Movement.name, Movement.id), descending=False)
CIRCUITS_BY_NAME = Keyset("circuits", (Circuit.name, Circuit.id), descending=False)


def movement_not_found(movement_id: uuid.UUID) -> NotFoundError:
    return NotFoundError("No such movement", code="NF_MOVEMENT", details={"movement_id": str(movement_id)})


class MovementRepository(Repository[Movement]):
    """The shared catalogue and the caller's own movements, with their tags loaded."""

    model = Movement

    def __init__(self, session: ReadSession, user_id: uuid.UUID) -> None:
        super().__init__(session)
        self.user_id = user_id

    def scoped(self, statement: Select[Any]) -> Select[Any]:
        return statement.options(*WITH_TAGS).where(visible_to(self.user_id))

    def not_found(self, object_id: uuid.UUID) -> NotFoundError:
        return movement_not_found(object_id)

    async def substitute_ids(
        self, originals: list[tuple[uuid.UUID, str, str]], equipment: list[str] | None
    ) -> dict[uuid.UUID, list[uuid.UUID]]:
        """The substitutes of several movements (id, pattern, substitution group) in one query: the
        ids of each one's substitutes, in the order the substitutes route lists them."""
        if not originals:
            return {}
        groups = {(pattern, group) for _, pattern, group in originals}
        statement = (
            select(Movement.id, Movement.pattern, Movement.substitution_group)
            .where(visible_to(self.user_id))
            .where(or_(*(substitutes_for(pattern, group, equipment) for pattern, group in sorted(groups))))
            .order_by(*SUBSTITUTE_ORDER)
        )
        by_group: dict[tuple[str, str], list[uuid.UUID]] = {}
        for movement_id, pattern, group in await self.session.execute(statement):
            by_group.setdefault((pattern, group), []).append(movement_id)
        return {
            original: [m for m in by_group.get((pattern, group), []) if m != original]
            for original, pattern, group in originals
        }

    async def equipment_of_caller(self) -> list[str]:
        user = await self.session.get(User, self.user_id)
        return list(user.equipment) if user is not None and user.equipment else []

    async def is_visible(self, movement_id: uuid.UUID) -> bool:
        count = await self.session.scalar(
            select(func.count())
            .select_from(Movement)
            .where(Movement.id == movement_id, visible_to(self.user_id))
        )
        return bool(count)

    async def reloaded(self, movement_id: uuid.UUID) -> Movement:
        statement = select(Movement).options(*WITH_TAGS).where(Movement.id == movement_id)
        result = await self.session.execute(statement.execution_options(populate_existing=True))
        movement: Movement = result.scalar_one()
        return movement


def circuit_not_found(circuit_id: uuid.UUID) -> NotFoundError:
    return NotFoundError("No such circuit", code="NF_CIRCUIT", details={"circuit_id": str(circuit_id)})


class CircuitRepository(Repository[Circuit]):
    model = Circuit

    def not_found(self, object_id: uuid.UUID) -> NotFoundError:
        return circuit_not_found(object_id)

    async def shared_movement_ids(self, wanted: set[uuid.UUID]) -> set[uuid.UUID]:
        """Those of ``wanted`` in the shared catalogue (a circuit uses no private movement)."""
        statement = select(Movement.id).where(Movement.id.in_(wanted), Movement.owner_id.is_(None))
        return set((await self.session.execute(statement)).scalars())

    async def slugs_like(self, prefix: str, *, other_than: uuid.UUID | None) -> set[str]:
        """The slugs starting with ``prefix``, but ``other_than``'s."""
        statement = select(Circuit.slug).where(Circuit.slug.startswith(prefix, autoescape=True))
        if other_than is not None:
            statement = statement.where(Circuit.id != other_than)
        return set((await self.session.execute(statement)).scalars())

    async def delete(self, circuit_id: uuid.UUID) -> bool:
        removed = await self.session.execute(delete(Circuit).where(Circuit.id == circuit_id))
        return bool(getattr(removed, "rowcount", 0))


class ScoringConfigRepository:
    """The versions of the scoring configuration (keyed by version, not by id)."""

    def __init__(self, session: ReadSession) -> None:
        self.session = session

    async def current(self) -> ScoringConfig:
        """The version in force (the highest)."""
        statement = select(ScoringConfig).order_by(ScoringConfig.version.desc()).limit(1)
        config: ScoringConfig | None = (await self.session.execute(statement)).scalar_one_or_none()
        if config is None:
            raise NotFoundError("No scoring configuration is installed", code="NF_SCORING_CONFIG")
        return config

    async def list_newest_first(self) -> list[ScoringConfig]:
        rows = await self.session.execute(select(ScoringConfig).order_by(ScoringConfig.version.desc()))
        return list(rows.scalars())
