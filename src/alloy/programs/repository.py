"""Program and session queries, each scoped to its owner (another user's does not exist: 404),
and the catalogue as the generator reads it."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import Select, func, select

from alloy.catalogue.models import Circuit, Movement, MovementDiscipline, MovementEquipment
from alloy.catalogue.repository import visible_to
from alloy.generator import CatalogueSnapshot, CircuitFacts, MovementFacts
from alloy.programs.models import Program, ProgramWeek, SessionExercise, TrainingSession
from apikit.db.engine import ReadSession
from apikit.db.repository import Repository
from apikit.errors import NotFoundError


class ProgramRepository(Repository[Program]):
    model = Program

    def __init__(self, session: ReadSession, user_id: uuid.UUID) -> None:
        super().__init__(session)
        self.user_id = user_id

    def scoped(self, statement: Select[Any]) -> Select[Any]:
        return statement.where(Program.user_id == self.user_id)

    def not_found(self, object_id: uuid.UUID) -> NotFoundError:
        return NotFoundError("No such program", code="NF_PROGRAM", details={"program_id": str(object_id)})

    async def session_counts(self, program_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not program_ids:
            return {}
        rows = await self.session.execute(
            select(TrainingSession.program_id, func.count())
            .where(TrainingSession.program_id.in_(program_ids))
            .group_by(TrainingSession.program_id)
        )
        return dict(rows.all())

    async def weeks_of(self, program_id: uuid.UUID) -> list[ProgramWeek]:
        statement = (
            select(ProgramWeek).where(ProgramWeek.program_id == program_id).order_by(ProgramWeek.week_number)
        )
        return list((await self.session.execute(statement)).scalars())

    async def sessions_of(self, program_id: uuid.UUID) -> list[TrainingSession]:
        statement = (
            select(TrainingSession)
            .where(TrainingSession.program_id == program_id)
            .order_by(TrainingSession.scheduled_date, TrainingSession.id)
        )
        return list((await self.session.execute(statement)).scalars())


class TrainingSessionRepository(Repository[TrainingSession]):
    model = TrainingSession

    def __init__(self, session: ReadSession, user_id: uuid.UUID) -> None:
        super().__init__(session)
        self.user_id = user_id

    def scoped(self, statement: Select[Any]) -> Select[Any]:
        return statement.where(TrainingSession.user_id == self.user_id)

    def not_found(self, object_id: uuid.UUID) -> NotFoundError:
        return NotFoundError("No such session", code="NF_SESSION", details={"session_id": str(object_id)})

    async def exercises_of(self, session_id: uuid.UUID) -> list[SessionExercise]:
        statement = (
            select(SessionExercise)
            .where(SessionExercise.session_id == session_id)
            .order_by(SessionExercise.position)
        )
        return list((await self.session.execute(statement)).scalars())

    async def plan_context(self, found: TrainingSession) -> tuple[int, bool]:
        """The scoring version the session was built with, and whether its week is a deload."""
        row = (
            await self.session.execute(
                select(Program.scoring_version, ProgramWeek.is_deload)
                .join(ProgramWeek, ProgramWeek.program_id == Program.id)
                .where(Program.id == found.program_id, ProgramWeek.week_number == found.week_number)
            )
        ).one()
        return int(row.scoring_version), bool(row.is_deload)

    async def day_taken(self, found: TrainingSession, day: Any) -> bool:
        """Whether the session's program already trains on ``day`` (another session)."""
        taken = await self.session.scalar(
            select(func.count()).where(
                TrainingSession.program_id == found.program_id,
                TrainingSession.scheduled_date == day,
                TrainingSession.id != found.id,
            )
        )
        return bool(taken)


async def load_snapshot(
    session: ReadSession, user_id: uuid.UUID, movement_ids: list[uuid.UUID] | None = None
) -> CatalogueSnapshot:
    """The shared catalogue and the caller's own movements (or only ``movement_ids`` of them, and
    no circuits), as the generator's plain values."""
    columns = (
        Movement.id,
        Movement.slug,
        Movement.name,
        Movement.pattern,
        Movement.primary_muscle,
        Movement.secondary_muscles,
        Movement.compound,
        Movement.unilateral,
        Movement.skill_level,
        Movement.cns_load,
        Movement.metric_type,
        Movement.substitution_group,
    )
    statement = select(*columns).where(visible_to(user_id))
    if movement_ids is not None:
        statement = statement.where(Movement.id.in_(movement_ids))
    rows = (await session.execute(statement)).all()
    ids = [row.id for row in rows]
    equipment: dict[uuid.UUID, set[str]] = defaultdict(set)
    disciplines: dict[uuid.UUID, set[str]] = defaultdict(set)
    for movement_id, item in await session.execute(
        select(MovementEquipment.movement_id, MovementEquipment.equipment).where(
            MovementEquipment.movement_id.in_(ids)
        )
    ):
        equipment[movement_id].add(item)
    for movement_id, item in await session.execute(
        select(MovementDiscipline.movement_id, MovementDiscipline.discipline).where(
            MovementDiscipline.movement_id.in_(ids)
        )
    ):
        disciplines[movement_id].add(item)
    movements = tuple(
        MovementFacts(
            id=row.id,
            slug=row.slug,
            name=row.name,
            pattern=row.pattern,
            primary_muscle=row.primary_muscle,
            secondary_muscles=tuple(row.secondary_muscles),
            equipment=frozenset(equipment[row.id]),
            disciplines=frozenset(disciplines[row.id]),
            compound=row.compound,
            unilateral=row.unilateral,
            skill_level=row.skill_level,
            cns_load=row.cns_load,
            metric_type=row.metric_type,
            substitution_group=row.substitution_group,
        )
        for row in rows
    )
    if movement_ids is not None:
        return CatalogueSnapshot(movements=movements)
    circuits = tuple(
        CircuitFacts(
            id=circuit.id,
            name=circuit.name,
            circuit_type=circuit.circuit_type,
            minutes=circuit.duration_minutes or circuit.time_cap_minutes,
            movement_ids=tuple(uuid.UUID(str(item["movement_id"])) for item in circuit.movements),
            difficulty=circuit.difficulty,
            tags=tuple(circuit.tags),
        )
        for circuit in (await session.execute(select(Circuit))).scalars()
    )
    return CatalogueSnapshot(movements=movements, circuits=circuits)
