"""Workout-log queries, each scoped to the owner (another user's log does not exist: 404), and the
history reads behind records, progress and load targets — each one index range."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, and_, case, delete, exists, func, insert, select, tuple_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from alloy.catalogue.models import Movement
from alloy.catalogue.repository import visible_to
from alloy.identity.models import User
from alloy.programs.models import Program, SessionExercise, TrainingSession
from alloy.training.e1rm import Formula
from alloy.training.models import MovementBest, WorkoutLog, WorkoutSet
from alloy.training.records import Bests, LiftedSet
from apikit.db.engine import ReadSession
from apikit.db.repository import Repository
from apikit.errors import NotFoundError
from apikit.pagination import Keyset, Page, PageRequest, paginate

NEWEST_FIRST = Keyset("workout-logs", (WorkoutLog.performed_at, WorkoutLog.id), descending=True)
# A set counts towards records when it was completed with a load and at least one rep.
COUNTS = and_(WorkoutSet.completed.is_(True), WorkoutSet.load_kg > 0, WorkoutSet.reps >= 1)


E1RM_NAMES = tuple(f"e1rm_{formula.value}" for formula in Formula)


def _fold(found: Bests, load: float, reps: int, best_e1rm: float | None) -> None:
    """One (load, most reps, best e1RM) row into a movement's bests."""
    found.reps_at[load] = reps
    found.load = load if found.load is None else max(found.load, load)
    if best_e1rm is not None and (found.e1rm is None or best_e1rm > found.e1rm):
        found.e1rm = best_e1rm


def e1rm_column(formula: Formula) -> InstrumentedAttribute[float | None]:
    return cast(InstrumentedAttribute[float | None], getattr(WorkoutSet, f"e1rm_{formula.value}"))


async def preferences(session: ReadSession, user_id: uuid.UUID) -> tuple[str, Formula]:
    """The caller's units and e1RM formula."""
    row = (await session.execute(select(User.units, User.e1rm_formula).where(User.id == user_id))).one()
    return row.units, Formula(row.e1rm_formula)


async def invisible_movements(
    session: ReadSession, user_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of ``ids`` the caller cannot see (unknown, or another user's own)."""
    wanted = set(ids)
    seen = await session.scalars(select(Movement.id).where(Movement.id.in_(wanted), visible_to(user_id)))
    return wanted - set(seen)


def lifted(row: Any, formula: Formula) -> LiftedSet:
    return LiftedSet(
        log_id=row.log_id,
        performed_at=row.performed_at,
        movement_id=row.movement_id,
        load_kg=row.load_kg,
        reps=row.reps,
        e1rm_kg=getattr(row, f"e1rm_{formula.value}"),
        completed=row.completed,
    )


class WorkoutLogRepository(Repository[WorkoutLog]):
    model = WorkoutLog

    def __init__(self, session: ReadSession, user_id: uuid.UUID) -> None:
        super().__init__(session)
        self.user_id = user_id

    def scoped(self, statement: Select[Any]) -> Select[Any]:
        return statement.where(WorkoutLog.user_id == self.user_id)

    def not_found(self, object_id: uuid.UUID) -> NotFoundError:
        return NotFoundError("No such workout log", code="NF_WORKOUT_LOG", details={"log_id": str(object_id)})

    async def newest_first(
        self,
        page: PageRequest,
        first: datetime | None,
        before: datetime | None,
        movement_id: uuid.UUID | None,
    ) -> Page[WorkoutLog]:
        """The caller's logs performed in ``[first, before)``, optionally those with a movement."""
        statement = self.query()
        if first is not None:
            statement = statement.where(WorkoutLog.performed_at >= first)
        if before is not None:
            statement = statement.where(WorkoutLog.performed_at < before)
        if movement_id is not None:
            statement = statement.where(
                exists().where(WorkoutSet.log_id == WorkoutLog.id, WorkoutSet.movement_id == movement_id)
            )
        filters = {
            "from": first and first.isoformat(),
            "before": before and before.isoformat(),
            "movement_id": movement_id and str(movement_id),
        }
        return await paginate(self.session, statement, keyset=NEWEST_FIRST, page=page, filters=filters)

    async def session_logged(self, session_id: uuid.UUID) -> bool:
        found = await self.session.scalar(select(func.count()).where(WorkoutLog.session_id == session_id))
        return bool(found)

    async def sets_of(self, log_ids: Sequence[uuid.UUID]) -> list[WorkoutSet]:
        statement = (
            select(WorkoutSet)
            .where(WorkoutSet.log_id.in_(log_ids))
            .order_by(WorkoutSet.log_id, WorkoutSet.entry_position, WorkoutSet.position)
        )
        return list(await self.session.scalars(statement))

    async def add_sets(self, rows: list[dict[str, Any]]) -> None:
        """One multi-row insert (Core executemany: the ORM's unit of work costs several times more)."""
        await self.session.execute(insert(cast(Table, WorkoutSet.__table__)), rows)

    async def remove_sets(self, log_id: uuid.UUID) -> None:
        await self.session.execute(delete(WorkoutSet).where(WorkoutSet.log_id == log_id))

    # --- history ------------------------------------------------------------------------------

    async def bests_before(
        self, movement_ids: Iterable[uuid.UUID], key: tuple[datetime, uuid.UUID], formula: Formula
    ) -> dict[uuid.UUID, Bests]:
        """Each movement's bests over the sets performed before ``key`` (performed_at, log id):
        one row per (movement, load) from the history index."""
        e1rm = e1rm_column(formula)
        statement = (
            select(WorkoutSet.movement_id, WorkoutSet.load_kg, func.max(WorkoutSet.reps), func.max(e1rm))
            .where(
                WorkoutSet.user_id == self.user_id,
                WorkoutSet.movement_id.in_(set(movement_ids)),
                COUNTS,
                tuple_(WorkoutSet.performed_at, WorkoutSet.log_id) < tuple_(*key),
            )
            .group_by(WorkoutSet.movement_id, WorkoutSet.load_kg)
        )
        bests: dict[uuid.UUID, Bests] = {}
        for movement_id, load, reps, best_e1rm in await self.session.execute(statement):
            _fold(bests.setdefault(movement_id, Bests()), load, reps, best_e1rm)
        return bests

    async def performed_after(
        self, movement_ids: Iterable[uuid.UUID], key: tuple[datetime, uuid.UUID]
    ) -> bool:
        """Whether any set of ``movement_ids`` was performed after ``key`` (performed_at, log id)."""
        found = await self.session.scalar(
            select(WorkoutSet.id)
            .where(
                WorkoutSet.user_id == self.user_id,
                WorkoutSet.movement_id.in_(set(movement_ids)),
                tuple_(WorkoutSet.performed_at, WorkoutSet.log_id) > tuple_(*key),
            )
            .limit(1)
        )
        return found is not None

    async def bests(self, movement_ids: Iterable[uuid.UUID], formula: Formula) -> dict[uuid.UUID, Bests]:
        """Each movement's bests over all its counted sets, from the kept table (a row per load)."""
        e1rm = getattr(MovementBest, f"e1rm_{formula.value}")
        statement = select(MovementBest.movement_id, MovementBest.load_kg, MovementBest.reps, e1rm).where(
            MovementBest.user_id == self.user_id, MovementBest.movement_id.in_(set(movement_ids))
        )
        found: dict[uuid.UUID, Bests] = {}
        for movement_id, load, reps, best_e1rm in await self.session.execute(statement):
            _fold(found.setdefault(movement_id, Bests()), load, reps, best_e1rm)
        return found

    async def raise_bests(self, rows: list[dict[str, Any]]) -> None:
        """Fold new sets (``_set_rows``' dicts) into the kept bests: one upsert per (movement, load)."""
        per_load: dict[tuple[uuid.UUID, float], dict[str, Any]] = {}
        for row in rows:
            if not (row["completed"] and (row["load_kg"] or 0) > 0 and (row["reps"] or 0) >= 1):
                continue
            key = (row["movement_id"], row["load_kg"])
            best = per_load.setdefault(
                key, {"user_id": self.user_id, "movement_id": key[0], "load_kg": key[1], "reps": 0}
            )
            best["reps"] = max(best["reps"], row["reps"])
            for name in E1RM_NAMES:
                values = [value for value in (best.get(name), row[name]) if value is not None]
                best[name] = max(values) if values else None
        if not per_load:
            return
        # Called with the request's write session (a ReadSession has no bind to ask).
        dialect = cast(AsyncSession, self.session).get_bind().dialect.name
        insert_into = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert_into(MovementBest)
        table = MovementBest.__table__.c

        def higher(name: str) -> Any:
            ours, theirs = table[name], statement.excluded[name]
            if dialect == "postgresql":
                return func.greatest(ours, theirs)  # NULLs ignored
            return func.max(func.coalesce(ours, theirs), func.coalesce(theirs, ours))

        statement = statement.on_conflict_do_update(
            index_elements=["user_id", "movement_id", "load_kg"],
            set_={name: higher(name) for name in ("reps", *E1RM_NAMES)},
        )
        await self.session.execute(statement, [dict.fromkeys(E1RM_NAMES) | row for row in per_load.values()])

    async def rebuild_bests(self, movement_ids: Iterable[uuid.UUID]) -> None:
        """The kept bests of ``movement_ids`` recomputed from the sets as they stand."""
        wanted = set(movement_ids)
        await self.session.execute(
            delete(MovementBest).where(
                MovementBest.user_id == self.user_id, MovementBest.movement_id.in_(wanted)
            )
        )
        columns = [func.max(getattr(WorkoutSet, name)) for name in E1RM_NAMES]
        aggregate = (
            select(
                WorkoutSet.user_id,
                WorkoutSet.movement_id,
                WorkoutSet.load_kg,
                func.max(WorkoutSet.reps),
                *columns,
            )
            .where(WorkoutSet.user_id == self.user_id, WorkoutSet.movement_id.in_(wanted), COUNTS)
            .group_by(WorkoutSet.user_id, WorkoutSet.movement_id, WorkoutSet.load_kg)
        )
        await self.session.execute(
            insert(MovementBest).from_select(
                ["user_id", "movement_id", "load_kg", "reps", *E1RM_NAMES], aggregate
            )
        )

    async def sets_between(
        self,
        movement_ids: Iterable[uuid.UUID] | None,
        first: tuple[datetime, uuid.UUID] | datetime | None,
        last: tuple[datetime, uuid.UUID] | datetime | None,
    ) -> list[Any]:
        """The caller's sets (of ``movement_ids``, or all) from ``first`` to ``last`` in the order
        they were performed, as plain rows. Keys are (performed_at, log id) tuples or bare times; a
        bare ``last`` is exclusive, a tuple one inclusive."""
        statement = select(cast(Table, WorkoutSet.__table__)).where(WorkoutSet.user_id == self.user_id)
        if movement_ids is not None:
            statement = statement.where(WorkoutSet.movement_id.in_(set(movement_ids)))
        order_key = tuple_(WorkoutSet.performed_at, WorkoutSet.log_id)
        if isinstance(first, tuple):
            statement = statement.where(order_key >= tuple_(*first))
        elif first is not None:
            statement = statement.where(WorkoutSet.performed_at >= first)
        if isinstance(last, tuple):
            statement = statement.where(order_key <= tuple_(*last))
        elif last is not None:
            statement = statement.where(WorkoutSet.performed_at < last)
        statement = statement.order_by(
            WorkoutSet.performed_at, WorkoutSet.log_id, WorkoutSet.entry_position, WorkoutSet.position
        )
        return list(await self.session.execute(statement))


async def week_sets(session: ReadSession, user_id: uuid.UUID, first: datetime, before: datetime) -> list[Any]:
    """The caller's sets performed in ``[first, before)`` with their movement's pattern and primary
    muscle: the logs' (owner, time) index, then each log's sets."""
    statement = (
        select(cast(Table, WorkoutSet.__table__), Movement.pattern, Movement.primary_muscle)
        .join(WorkoutLog, WorkoutLog.id == WorkoutSet.log_id)
        .join(Movement, Movement.id == WorkoutSet.movement_id)
        .where(
            WorkoutLog.user_id == user_id, WorkoutLog.performed_at >= first, WorkoutLog.performed_at < before
        )
        .order_by(WorkoutSet.performed_at, WorkoutSet.log_id, WorkoutSet.entry_position, WorkoutSet.position)
    )
    return list(await session.execute(statement))


async def active_program_days(
    session: ReadSession, user_id: uuid.UUID, first: date, last: date
) -> tuple[uuid.UUID | None, list[tuple[date, str]]]:
    """The active program, and its sessions' (scheduled day, status) from ``first`` to ``last``."""
    program_id = await session.scalar(
        select(Program.id).where(Program.user_id == user_id, Program.is_active.is_(True))
    )
    if program_id is None:
        return None, []
    rows = await session.execute(
        select(TrainingSession.scheduled_date, TrainingSession.status).where(
            TrainingSession.program_id == program_id,
            TrainingSession.scheduled_date >= first,
            TrainingSession.scheduled_date <= last,
        )
    )
    return program_id, [(row.scheduled_date, row.status) for row in rows]


async def recent_sets(
    session: ReadSession, user_id: uuid.UUID, movement_ids: Iterable[uuid.UUID], since: datetime
) -> list[Any]:
    """The caller's sets of ``movement_ids`` performed since ``since``, in the order performed, each
    with the rep range and effort of the planned exercise it performed (when it names one)."""
    statement = (
        select(
            cast(Table, WorkoutSet.__table__),
            SessionExercise.reps_min.label("planned_reps_min"),
            SessionExercise.reps_max.label("planned_reps_max"),
            SessionExercise.target_rpe.label("planned_rpe"),
            SessionExercise.target_rir.label("planned_rir"),
        )
        .outerjoin(SessionExercise, SessionExercise.id == WorkoutSet.exercise_id)
        .where(
            WorkoutSet.user_id == user_id,
            WorkoutSet.movement_id.in_(set(movement_ids)),
            WorkoutSet.performed_at >= since,
        )
        .order_by(WorkoutSet.performed_at, WorkoutSet.log_id, WorkoutSet.entry_position, WorkoutSet.position)
    )
    return list(await session.execute(statement))


def _history(user_id: uuid.UUID, movement_id: uuid.UUID) -> list[ColumnElement[bool]]:
    return [WorkoutSet.user_id == user_id, WorkoutSet.movement_id == movement_id]


async def movement_days(
    session: ReadSession,
    user_id: uuid.UUID,
    movement_id: uuid.UUID,
    formula: Formula,
    first: date | None,
    last: date | None,
) -> list[Any]:
    """Per day (UTC) of the movement from ``first`` to ``last``: its best e1RM, its volume and its
    top set (the heaviest counted set, the first of equals), folded by the database: one row a day."""
    counts = case((COUNTS, 1), else_=0)
    day = WorkoutSet.performed_on
    ranked = select(
        day.label("day"),
        func.max(e1rm_column(formula)).over(partition_by=day).label("best_e1rm"),
        func.sum(case((COUNTS, WorkoutSet.load_kg * WorkoutSet.reps), else_=0.0))
        .over(partition_by=day)
        .label("volume_kg"),
        counts.label("counts"),
        WorkoutSet.load_kg,
        WorkoutSet.reps,
        WorkoutSet.rpe,
        func.row_number()
        .over(
            partition_by=day,
            order_by=(
                counts.desc(),
                WorkoutSet.load_kg.desc(),
                WorkoutSet.reps.desc(),
                WorkoutSet.performed_at,
                WorkoutSet.log_id,
                WorkoutSet.entry_position,
                WorkoutSet.position,
            ),
        )
        .label("rank"),
    ).where(*_history(user_id, movement_id))
    if first is not None:
        ranked = ranked.where(day >= first)
    if last is not None:
        ranked = ranked.where(day <= last)
    days = ranked.subquery()
    statement = select(days).where(days.c.rank == 1).order_by(days.c.day)
    return list(await session.execute(statement))


_EARLIEST = (WorkoutSet.performed_at, WorkoutSet.log_id, WorkoutSet.entry_position, WorkoutSet.position)


async def movement_records(
    session: ReadSession, user_id: uuid.UUID, movement_id: uuid.UUID, formula: Formula
) -> tuple[Any | None, Any | None, list[Any]]:
    """The movement's all-time record holders: the best e1RM's set and the heaviest set (each the
    earliest to reach it), and per load its most reps (earliest first) — the database folds them."""
    columns = (WorkoutSet.load_kg, WorkoutSet.reps, WorkoutSet.performed_at, WorkoutSet.log_id)
    e1rm = e1rm_column(formula)
    base = (*_history(user_id, movement_id), COUNTS)
    best = (
        await session.execute(
            select(e1rm.label("value"), *columns)
            .where(*base, e1rm.is_not(None))
            .order_by(e1rm.desc(), *_EARLIEST)
            .limit(1)
        )
    ).first()
    heaviest = (
        await session.execute(
            select(*columns).where(*base).order_by(WorkoutSet.load_kg.desc(), *_EARLIEST).limit(1)
        )
    ).first()
    ranked = (
        select(
            *columns,
            func.row_number()
            .over(partition_by=WorkoutSet.load_kg, order_by=(WorkoutSet.reps.desc(), *_EARLIEST))
            .label("rank"),
        )
        .where(*base)
        .subquery()
    )
    per_load = await session.execute(
        select(ranked.c.load_kg, ranked.c.reps, ranked.c.performed_at, ranked.c.log_id)
        .where(ranked.c.rank == 1)
        .order_by(ranked.c.load_kg.desc())
    )
    return best, heaviest, list(per_load)
