"""Loading the shipped catalogue into the database: idempotent, by slug, never overwriting.

Run after the migrations by ``alloy migrate`` (and so by ``serve`` on an embedded database it
migrates, and ``seed-demo``): a fresh database gets the whole catalogue, an existing one the
entries added to the data files since. The migrations themselves stay schema-only. Rows that
exist are left alone: an admin's edits are never undone. The one exception is a fact a migration
added since (a column the row has no value in yet): the shipped movements get it from the data
files, custom ones the defaults of ``alloy.catalogue.coaching``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from alloy.catalogue.coaching import default_facts
from alloy.catalogue.models import (
    SHARED,
    Circuit,
    Movement,
    MovementDiscipline,
    MovementEquipment,
    ScoringConfig,
)
from alloy.catalogue.scoring import DEFAULT_QUALIFYING_SCORE, DEFAULT_WEIGHTS
from alloy.catalogue.seed_data import Catalogue, MovementSeed, load_catalogue
from apikit.ids import new_id, utcnow


@dataclass(frozen=True)
class LoadReport:
    movements_added: int
    circuits_added: int
    scoring_version_added: bool


def load_shipped_catalogue(connection: Connection, catalogue: Catalogue | None = None) -> LoadReport:
    catalogue = catalogue or load_catalogue()
    now = utcnow()
    ids: dict[str, Any] = dict(connection.execute(select(Movement.slug, Movement.id)).all())
    fresh = [seed for seed in catalogue.movements if seed.slug not in ids]
    for seed in fresh:
        ids[seed.slug] = new_id()
    if fresh:
        connection.execute(
            insert(Movement),
            [
                {
                    "id": ids[seed.slug],
                    "slug": seed.slug,
                    "name": seed.name,
                    "name_key": seed.name.casefold(),
                    "scope": SHARED,
                    "owner_id": None,
                    "pattern": seed.pattern,
                    "primary_muscle": seed.primary_muscle,
                    "secondary_muscles": list(seed.secondary_muscles),
                    "compound": seed.compound,
                    "unilateral": seed.unilateral,
                    "skill_level": seed.skill_level,
                    "cns_load": seed.cns_load,
                    "metric_type": seed.metric_type,
                    **_coaching_facts(seed),
                    "substitution_group": seed.substitution_group,
                    "description": seed.description,
                    "created_at": now,
                    "updated_at": now,
                }
                for seed in fresh
            ],
        )
        connection.execute(
            insert(MovementEquipment),
            [
                {"movement_id": ids[seed.slug], "equipment": item, "position": position}
                for seed in fresh
                for position, item in enumerate(seed.equipment)
            ],
        )
        connection.execute(
            insert(MovementDiscipline),
            [
                {"movement_id": ids[seed.slug], "discipline": item, "position": position}
                for seed in fresh
                for position, item in enumerate(seed.disciplines)
            ],
        )
        # Links second: a movement may point at one defined after it.
        for seed in fresh:
            links = {
                "progression_id": ids[seed.progression] if seed.progression else None,
                "regression_id": ids[seed.regression] if seed.regression else None,
            }
            if any(links.values()):
                connection.execute(update(Movement).where(Movement.id == ids[seed.slug]).values(**links))

    _fill_coaching_facts(connection, catalogue)

    known_circuits = set(connection.execute(select(Circuit.slug)).scalars())
    new_circuits = [seed for seed in catalogue.circuits if seed.slug not in known_circuits]
    if new_circuits:
        connection.execute(
            insert(Circuit),
            [
                {
                    "id": new_id(),
                    "slug": seed.slug,
                    "name": seed.name,
                    "name_key": seed.name.casefold(),
                    "circuit_type": seed.circuit_type,
                    "rounds": seed.rounds,
                    "time_cap_minutes": seed.time_cap_minutes,
                    "duration_minutes": seed.duration_minutes,
                    "movements": [
                        {
                            "movement_id": str(ids[item.movement]),
                            **item.model_dump(exclude={"movement"}, exclude_none=True),
                        }
                        for item in seed.movements
                    ],
                    "difficulty": seed.difficulty,
                    "tags": list(seed.tags),
                    "description": seed.description,
                    "created_at": now,
                    "updated_at": now,
                }
                for seed in new_circuits
            ],
        )

    has_scoring = connection.execute(select(ScoringConfig.version).limit(1)).first() is not None
    if not has_scoring:
        connection.execute(
            insert(ScoringConfig).values(
                version=1,
                weights=dict(DEFAULT_WEIGHTS),
                qualifying_score=DEFAULT_QUALIFYING_SCORE,
                note="The shipped defaults",
                created_at=now,
            )
        )
    return LoadReport(len(fresh), len(new_circuits), not has_scoring)


def _coaching_facts(seed: MovementSeed) -> dict[str, Any]:
    return seed.model_dump(include={"tier", "rep_min", "rep_max", "plate_increment_kg", "plate_increment_lb"})


def _fill_coaching_facts(connection: Connection, catalogue: Catalogue) -> None:
    """Give the movements an earlier install stored without coaching facts their values."""
    missing = connection.execute(
        select(Movement.id, Movement.slug, Movement.pattern, Movement.compound, Movement.metric_type).where(
            Movement.tier.is_(None)
        )
    ).all()
    if not missing:
        return
    seeds = {seed.slug: seed for seed in catalogue.movements}
    equipment: dict[Any, list[str]] = {}
    for movement_id, item in connection.execute(
        select(MovementEquipment.movement_id, MovementEquipment.equipment)
        .where(MovementEquipment.movement_id.in_([row.id for row in missing]))
        .order_by(MovementEquipment.position)
    ):
        equipment.setdefault(movement_id, []).append(item)
    for row in missing:
        seed = seeds.get(row.slug)
        facts = (
            _coaching_facts(seed)
            if seed is not None
            else default_facts(row.pattern, row.compound, row.metric_type, equipment.get(row.id, []))
        )
        connection.execute(update(Movement).where(Movement.id == row.id).values(**facts))
