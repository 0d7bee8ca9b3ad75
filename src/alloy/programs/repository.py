"""Program and session queries, each scoped to its owner (another user's does not exist: 404),
and the catalogue as the generator reads it."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Annotated, Any, cast

from fastapi import Depends
from sqlalchemy import ColumnElement, Select, Table, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload, with_expression

from alloy.catalogue.models import Circuit, Movement, MovementDiscipline, MovementEquipment
from alloy.catalogue.repository import visible_to
from alloy.generator import CatalogueSnapshot, CircuitFacts, MovementFacts
from alloy.programs.models import Program, ProgramWeek, SessionExercise, TrainingSession
from apikit.context import app_state
from apikit.db.bulk import insert_rows
from apikit.db.engine import ReadSession
from apikit.db.repository import Repository
from apikit.errors import NotFoundError
from apikit.ids import utcnow
from apikit.pagination import Keyset

NEWEST_FIRST = Keyset("programs", (Program.created_at, Program.id), descending=True)
BY_DATE = Keyset("program-sessions", (TrainingSession.scheduled_date, TrainingSession.id), descending=False)
SESSION_COUNT = (
    select(func.count())
    .where(TrainingSession.program_id == Program.id)
    .correlate_except(TrainingSession)
    .scalar_subquery()
)


def program_not_found(program_id: uuid.UUID) -> NotFoundError:
    return NotFoundError("No such program", code="NF_PROGRAM", details={"program_id": str(program_id)})


class ProgramRepository(Repository[Program]):
    """Programs with their session counts; ``current(schedule=True)`` with their weeks and sessions."""

    model = Program

    def __init__(self, session: ReadSession, user_id: uuid.UUID) -> None:
        super().__init__(session)
        self.user_id = user_id

    def scoped(self, statement: Select[Any]) -> Select[Any]:
        return statement.where(Program.user_id == self.user_id)

    def not_found(self, object_id: uuid.UUID) -> NotFoundError:
        return program_not_found(object_id)

    def query(self) -> Select[Any]:
        return super().query().options(with_expression(Program.session_count, SESSION_COUNT))

    async def equipment_and_rules(self, program_id: uuid.UUID) -> tuple[list[str], list[dict[str, Any]]]:
        """The program's equipment and movement rules: what adapting one of its sessions needs."""
        statement = self.scoped(select(Program.equipment, Program.movement_rules)).where(
            Program.id == program_id
        )
        found = (await self.session.execute(statement)).one_or_none()
        if found is None:
            raise self.not_found(program_id)
        return list(found.equipment), list(found.movement_rules)

    async def deactivate_all_but(self, program_id: uuid.UUID) -> None:
        """The owner's other programs made inactive, before ``program_id`` is made the active one."""
        await self.session.execute(
            update(Program)
            .where(Program.user_id == self.user_id, Program.is_active.is_(True), Program.id != program_id)
            .values(is_active=False, updated_at=utcnow())
        )

    async def current(self, program_id: uuid.UUID, *, schedule: bool = False) -> Program:
        """The program as it now stands (a flush leaves its session count unloaded), with its
        weeks and their sessions when ``schedule``."""
        statement = self.query().where(Program.id == program_id).execution_options(populate_existing=True)
        if schedule:
            statement = statement.options(selectinload(Program.weeks).selectinload(ProgramWeek.sessions))
        found: Program | None = (await self.session.execute(statement)).scalar_one_or_none()
        if found is None:
            raise self.not_found(program_id)
        return found


class TrainingSessionRepository(Repository[TrainingSession]):
    model = TrainingSession

    def __init__(self, session: ReadSession, user_id: uuid.UUID) -> None:
        super().__init__(session)
        self.user_id = user_id

    def scoped(self, statement: Select[Any]) -> Select[Any]:
        return statement.where(TrainingSession.user_id == self.user_id)

    def not_found(self, object_id: uuid.UUID) -> NotFoundError:
        return NotFoundError("No such session", code="NF_SESSION", details={"session_id": str(object_id)})

    async def detail(self, session_id: uuid.UUID) -> TrainingSession:
        """The session as it now stands, in one query: its program, week and exercises (with the
        names of their movements and circuits) loaded with it."""
        statement = (
            self.query()
            .where(TrainingSession.id == session_id)
            .options(
                joinedload(TrainingSession.program),
                joinedload(TrainingSession.week),
                joinedload(TrainingSession.exercises).options(
                    joinedload(SessionExercise.movement), joinedload(SessionExercise.circuit)
                ),
            )
            .execution_options(populate_existing=True)
        )
        found: TrainingSession | None = (await self.session.execute(statement)).unique().scalar_one_or_none()
        if found is None:
            raise self.not_found(session_id)
        return found

    async def exercises_of(self, session_id: uuid.UUID) -> list[SessionExercise]:
        statement = (
            select(SessionExercise)
            .where(SessionExercise.session_id == session_id)
            .order_by(SessionExercise.position)
        )
        return list((await self.session.execute(statement)).scalars())

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


MOVEMENT_FACTS = (
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
    Movement.tier,
    Movement.rep_min,
    Movement.rep_max,
)
SHARED_MOVEMENT = Movement.owner_id.is_(None)


async def add_plan_rows(
    session: AsyncSession,
    weeks: list[dict[str, Any]],
    sessions: list[dict[str, Any]],
    exercises: list[dict[str, Any]],
) -> None:
    """A plan's rows, table by table, through the kit's bulk insert (a 12-week, 6-day plan is ~800
    rows: the ORM's bulk path cost several times Core's executemany, which costs about twice
    this). Every row gives every column: no Python-side default is applied."""
    for model, rows in ((ProgramWeek, weeks), (TrainingSession, sessions), (SessionExercise, exercises)):
        await insert_rows(session, cast(Table, model.__table__), rows)


async def load_snapshot(
    session: ReadSession, user_id: uuid.UUID, movement_ids: list[uuid.UUID] | None = None
) -> CatalogueSnapshot:
    """The shared catalogue and the caller's own movements (or only ``movement_ids`` of them, and
    no circuits), as the generator's plain values."""
    condition = visible_to(user_id)
    if movement_ids is not None:
        condition = and_(condition, Movement.id.in_(movement_ids))
    movements = await _movement_facts(session, condition)
    if movement_ids is not None:
        return CatalogueSnapshot(movements=movements)
    return CatalogueSnapshot(movements=movements, circuits=await _circuit_facts(session))


async def _movement_facts(session: ReadSession, condition: ColumnElement[bool]) -> tuple[MovementFacts, ...]:
    """The movements ``condition`` selects, with their equipment and disciplines (read by a join on
    the same condition: no list of ids to bind)."""
    rows = (await session.execute(select(*MOVEMENT_FACTS).where(condition))).all()
    if not rows:
        return ()
    equipment: dict[uuid.UUID, set[str]] = defaultdict(set)
    disciplines: dict[uuid.UUID, set[str]] = defaultdict(set)
    for movement_id, item in await session.execute(
        select(MovementEquipment.movement_id, MovementEquipment.equipment).join(Movement).where(condition)
    ):
        equipment[movement_id].add(item)
    for movement_id, item in await session.execute(
        select(MovementDiscipline.movement_id, MovementDiscipline.discipline).join(Movement).where(condition)
    ):
        disciplines[movement_id].add(item)
    return tuple(
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
            tier=row.tier,
            rep_min=row.rep_min,
            rep_max=row.rep_max,
        )
        for row in rows
    )


async def _circuit_facts(session: ReadSession) -> tuple[CircuitFacts, ...]:
    return tuple(
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


def _stamp(user_id: uuid.UUID) -> Select[Any]:
    """What changes when the shared catalogue does (a movement or circuit added, edited or
    deleted: the count or the newest ``updated_at``), and how many movements of their own the
    caller has; one statement."""

    def one(statement: Select[Any]) -> Any:
        return statement.scalar_subquery()

    return select(
        one(select(func.count()).select_from(Movement).where(SHARED_MOVEMENT)),
        one(select(func.max(Movement.updated_at)).where(SHARED_MOVEMENT)),
        one(select(func.count()).select_from(Circuit)),
        one(select(func.max(Circuit.updated_at))),
        one(select(func.count()).select_from(Movement).where(Movement.owner_id == user_id)),
    )


class CatalogueSnapshots:
    """The shared catalogue as the generator reads it, kept in the process between program
    creations: reading and converting ~260 movements and their tags costs more than building
    some plans. It is reused while the stamp the database gives (one cheap query per creation)
    is the one it was read under, so an admin's edit made through any worker is seen by the next
    program built anywhere. The caller's own movements are read each time (most have none)."""

    def __init__(self) -> None:
        self._stamp: tuple[Any, ...] | None = None
        self._shared: CatalogueSnapshot | None = None

    async def load(self, session: ReadSession, user_id: uuid.UUID) -> CatalogueSnapshot:
        """What ``load_snapshot(session, user_id)`` gives, as of this transaction."""
        *stamp, own_count = (await session.execute(_stamp(user_id))).one()
        shared = self._shared
        if shared is None or tuple(stamp) != self._stamp:
            shared = CatalogueSnapshot(
                movements=await _movement_facts(session, SHARED_MOVEMENT),
                circuits=await _circuit_facts(session),
            )
            self._stamp, self._shared = tuple(stamp), shared
        if not own_count:
            return shared
        own = await _movement_facts(session, Movement.owner_id == user_id)
        return CatalogueSnapshot(movements=shared.movements + own, circuits=shared.circuits)


CatalogueSnapshotsDep = Annotated[CatalogueSnapshots, Depends(app_state("catalogue_snapshots"))]
