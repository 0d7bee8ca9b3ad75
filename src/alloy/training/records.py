"""Personal records: what they are, and which log set them. Pure functions over plain values.

Per movement, over completed sets with a load and at least one rep:

* ``best_e1rm``: the highest estimated one-rep max (by the user's formula);
* ``heaviest_load``: the heaviest load;
* ``best_reps_at_load``: the most reps at a load that no heavier-or-equal load matched — the
  (load, reps) pairs no other set dominates (as heavy or heavier, as many reps or more).

A log *sets* a record when it beats everything performed before it — strictly, ordered by
``(performed_at, log id)``: its best e1RM or load above the earlier best, or a (load, reps) pair
no earlier set dominates. The first log of a movement sets all three. Since records are computed
from the logs as they stand, editing or deleting a log recomputes them.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class LiftedSet:
    """One set as records read it (load in kg, e1RM under the formula in force)."""

    log_id: uuid.UUID
    performed_at: datetime
    movement_id: uuid.UUID
    load_kg: float | None
    reps: int | None
    e1rm_kg: float | None
    completed: bool = True

    @property
    def counts(self) -> bool:
        return self.completed and self.load_kg is not None and self.load_kg > 0 and (self.reps or 0) >= 1


@dataclass(frozen=True, slots=True)
class SetRecord:
    movement_id: uuid.UUID
    record: str  # best_e1rm | heaviest_load | best_reps_at_load
    load_kg: float
    reps: int
    e1rm_kg: float | None


@dataclass
class Bests:
    """What one movement's sets so far have reached."""

    e1rm: float | None = None
    load: float | None = None
    reps_at: dict[float, int] = field(default_factory=dict)  # load → most reps at it

    def dominated(self, load: float, reps: int) -> bool:
        """Some set was as heavy or heavier for as many reps or more."""
        return any(at >= load and most >= reps for at, most in self.reps_at.items())

    def dominated_strictly(self, load: float, reps: int) -> bool:
        """Another pair is at least as good on both counts and better on one."""
        return any(
            at >= load and most >= reps and (at, most) != (load, reps) for at, most in self.reps_at.items()
        )

    def absorb(self, lifted: LiftedSet) -> None:
        assert lifted.load_kg is not None
        assert lifted.reps is not None
        if lifted.e1rm_kg is not None and (self.e1rm is None or lifted.e1rm_kg > self.e1rm):
            self.e1rm = lifted.e1rm_kg
        if self.load is None or lifted.load_kg > self.load:
            self.load = lifted.load_kg
        if lifted.reps > self.reps_at.get(lifted.load_kg, 0):
            self.reps_at[lifted.load_kg] = lifted.reps


def records_of_log(sets: Iterable[LiftedSet], before: dict[uuid.UUID, Bests]) -> list[SetRecord]:
    """The records one log's ``sets`` set, given the ``before`` bests of each movement (absent:
    never lifted). In entry order, one per kind and movement, plus each new (load, reps) pair."""
    found: list[SetRecord] = []
    by_movement: dict[uuid.UUID, list[LiftedSet]] = defaultdict(list)
    for lifted in sets:
        if lifted.counts:
            by_movement[lifted.movement_id].append(lifted)
    for movement_id, lifted_sets in by_movement.items():
        earlier = before.get(movement_id, Bests())
        rated = [s for s in lifted_sets if s.e1rm_kg is not None]
        if rated:
            best = max(rated, key=lambda s: s.e1rm_kg or 0.0)  # the first of the best
            if earlier.e1rm is None or (best.e1rm_kg or 0.0) > earlier.e1rm:
                found.append(_record(best, "best_e1rm"))
        heaviest = max(lifted_sets, key=lambda s: (s.load_kg or 0.0, s.reps or 0))
        if earlier.load is None or (heaviest.load_kg or 0.0) > earlier.load:
            found.append(_record(heaviest, "heaviest_load"))
        own = Bests()
        for lifted in lifted_sets:
            own.absorb(lifted)
        for load, reps in sorted(own.reps_at.items(), reverse=True):
            if not own.dominated_strictly(load, reps) and not earlier.dominated(load, reps):
                source = next(s for s in lifted_sets if s.load_kg == load and s.reps == reps)
                found.append(_record(source, "best_reps_at_load"))
    return found


def _record(lifted: LiftedSet, kind: str) -> SetRecord:
    assert lifted.load_kg is not None
    assert lifted.reps is not None
    return SetRecord(lifted.movement_id, kind, lifted.load_kg, lifted.reps, lifted.e1rm_kg)


def replay(
    sets: Iterable[LiftedSet], before: dict[uuid.UUID, Bests] | None = None
) -> dict[uuid.UUID, list[SetRecord]]:
    """Each log's records, for ``sets`` in the order they were performed (grouped by log, logs in
    ``(performed_at, log id)`` order), after the ``before`` bests."""
    bests: dict[uuid.UUID, Bests] = defaultdict(Bests, before or {})
    logs: dict[uuid.UUID, list[LiftedSet]] = {}
    for lifted in sets:
        logs.setdefault(lifted.log_id, []).append(lifted)
    found: dict[uuid.UUID, list[SetRecord]] = {}
    for log_id, log_sets in logs.items():
        found[log_id] = records_of_log(log_sets, bests)
        for lifted in log_sets:
            if lifted.counts:
                bests[lifted.movement_id].absorb(lifted)
    return found
