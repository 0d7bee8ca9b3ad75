"""Catalogue queries. A private movement is visible to its owner only; everything else is shared."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, or_, select
from sqlalchemy.orm import selectinload

from alloy.catalogue.models import Movement, MovementDiscipline, MovementEquipment
from apikit.filtering import FieldType, FilterField

WITH_TAGS = (selectinload(Movement.equipment_rows), selectinload(Movement.discipline_rows))


def visible_to(user_id: uuid.UUID) -> ColumnElement[bool]:
    return or_(Movement.owner_id.is_(None), Movement.owner_id == user_id)


def visible_movements(user_id: uuid.UUID) -> Select[Any]:
    return select(Movement).options(*WITH_TAGS).where(visible_to(user_id))


def needs_equipment(value: str) -> ColumnElement[bool]:
    return exists().where(MovementEquipment.movement_id == Movement.id, MovementEquipment.equipment == value)


def in_discipline(value: str) -> ColumnElement[bool]:
    return exists().where(
        MovementDiscipline.movement_id == Movement.id, MovementDiscipline.discipline == value
    )


def only_with(equipment: list[str]) -> ColumnElement[bool]:
    """Movements whose every piece of equipment is among ``equipment``."""
    return ~exists().where(
        MovementEquipment.movement_id == Movement.id, MovementEquipment.equipment.not_in(equipment)
    )


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


def movement_filter_fields(
    patterns: frozenset[str],
    muscles: frozenset[str],
    equipment: frozenset[str],
    disciplines: frozenset[str],
    metrics: frozenset[str],
) -> dict[str, FilterField]:
    return {
        "name": FilterField(FieldType.STRING, Movement.name, sortable=True),
        "slug": FilterField(FieldType.STRING, Movement.slug),
        "pattern": FilterField(FieldType.ENUM, Movement.pattern, choices=patterns, sortable=True),
        "primary_muscle": FilterField(
            FieldType.ENUM, Movement.primary_muscle, choices=muscles, sortable=True
        ),
        "metric_type": FilterField(FieldType.ENUM, Movement.metric_type, choices=metrics),
        "substitution_group": FilterField(FieldType.STRING, Movement.substitution_group),
        "compound": FilterField(FieldType.BOOLEAN, Movement.compound),
        "unilateral": FilterField(FieldType.BOOLEAN, Movement.unilateral),
        "skill_level": FilterField(FieldType.INTEGER, Movement.skill_level, sortable=True),
        "cns_load": FilterField(FieldType.INTEGER, Movement.cns_load, sortable=True),
        "equipment": FilterField(FieldType.ENUM, choices=equipment, build=_tag_condition(needs_equipment)),
        "discipline": FilterField(FieldType.ENUM, choices=disciplines, build=_tag_condition(in_discipline)),
        "created_at": FilterField(FieldType.DATETIME, Movement.created_at, sortable=True),
    }
