"""Today's session adapted to the day: pure, rule-based and deterministic (no database, no LLM).

The rules run in this order, each on what the one before left, and every change is listed with its
reason:

1. Regions: an exercise whose movement loads a region sore at 3 or more, or one the profile avoids
   (``catalogue.regions``), is swapped for the first substitute (same pattern and substitution
   group, fitting the program's equipment, easiest first — the catalogue's substitutes) that loads
   none of those regions and is not in the session already; with none, it is dropped. A circuit
   finisher that loads one is dropped.
2. Band ``low``: a movement of CNS load 4 or more (main, accessory or finisher) is swapped for the
   first substitute of lower CNS load that spares those regions (one below 4 first), when one
   fits; every main and accessory exercise loses a set (at least one is left); target RPE is
   capped at 7.
3. Band ``high``: every main exercise gains a set.
4. Minutes available below the session's estimate: the generator's own time-budget rules
   (``generator.timing.TimedSession.fit``) trim it.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from alloy.catalogue.regions import regions_loaded
from alloy.generator.model import Block, CircuitFacts, MovementFacts
from alloy.generator.prescription import DISTANCE_METRES, Work, reps_for
from alloy.generator.structure import Slot
from alloy.generator.timing import Choice, Finisher, Item, TimedSession

SORE_AT = 3  # a region this sore or more is spared
HIGH_CNS = 4  # CNS load from which a low day swaps the movement
LOW_RPE_CAP = 7.0
MAX_SETS = 20  # as many as a session edit may set
REASON_LENGTH = 200  # the stored reason's column


class Rule(StrEnum):
    SORE_REGION = "sore_region"
    AVOIDED_REGION = "avoided_region"
    LOW_READINESS = "low_readiness"
    HIGH_READINESS = "high_readiness"
    TIME_AVAILABLE = "time_available"


Value = str | int | float | None


@dataclass(frozen=True, slots=True)
class Change:
    rule: Rule
    exercise_id: uuid.UUID
    change: str  # movement | dropped | sets | target_rpe | rest_seconds | superset_group | ...
    before: Value
    after: Value
    reason: str


@dataclass(slots=True)
class Planned:
    """One exercise of the session as stored, and as the rules change it."""

    exercise_id: uuid.UUID
    block: Block
    movement: MovementFacts | None  # None for a circuit finisher
    circuit: CircuitFacts | None
    circuit_movements: tuple[MovementFacts, ...]
    work: Work
    superset: str | None
    pinned: bool  # a hard_yes movement: the time budget never drops it
    reason: str
    estimated_seconds: int = 0
    position: int = 0

    def regions(self) -> frozenset[str]:
        if self.movement is not None:
            return frozenset(regions_loaded(self.movement))
        return frozenset(r for m in self.circuit_movements for r in regions_loaded(m))

    @property
    def name(self) -> str:
        if self.movement is not None:
            return self.movement.name
        return self.circuit.name if self.circuit is not None else "the finisher"


@dataclass(frozen=True)
class Conditions:
    score: int | None  # None: no readiness, only the minutes
    band: str | None
    soreness: Mapping[str, int] = field(default_factory=dict)
    avoid_regions: frozenset[str] = frozenset()
    minutes_available: int | None = None

    @property
    def sore(self) -> frozenset[str]:
        return frozenset(region for region, level in self.soreness.items() if level >= SORE_AT)

    @property
    def spared(self) -> frozenset[str]:
        return self.sore | self.avoid_regions


@dataclass
class Adapted:
    exercises: list[Planned]
    changes: list[Change]
    estimated_minutes: int
    warnings: list[str]


def needs_substitutes(movement: MovementFacts, conditions: Conditions) -> bool:
    """Whether the rules may swap ``movement`` (so its substitutes are worth looking up)."""
    return bool(regions_loaded(movement) & conditions.spared) or (
        conditions.band == "low" and movement.cns_load >= HIGH_CNS
    )


def adapt(
    planned: Sequence[Planned],
    conditions: Conditions,
    substitutes: Mapping[uuid.UUID, Sequence[MovementFacts]],
) -> Adapted:
    return _Adaptation(list(planned), conditions, substitutes).run()


class _Adaptation:
    def __init__(
        self,
        items: list[Planned],
        conditions: Conditions,
        substitutes: Mapping[uuid.UUID, Sequence[MovementFacts]],
    ) -> None:
        self.items = items
        self.conditions = conditions
        self.substitutes = substitutes
        self.changes: list[Change] = []
        self.warnings: list[str] = []

    def run(self) -> Adapted:
        self._regions()
        if self.conditions.band == "low":
            self._low()
        elif self.conditions.band == "high":
            self._high()
        seconds = self._time()
        return Adapted(self.items, self.changes, math.ceil(seconds / 60), self.warnings)

    def _note(self, rule: Rule, item: Planned, change: str, before: Value, after: Value, reason: str) -> None:
        self.changes.append(Change(rule, item.exercise_id, change, before, after, reason))

    # --- 1. regions ------------------------------------------------------------------------------

    def _regions(self) -> None:
        spared, sore = self.conditions.spared, self.conditions.sore
        low = self.conditions.band == "low"

        def spares(movement: MovementFacts) -> bool:
            return not regions_loaded(movement) & spared

        def heavy_on_a_low_day(movement: MovementFacts) -> bool:  # sorted last
            return low and movement.cns_load >= HIGH_CNS

        for item in list(self.items):
            hit = item.regions() & spared
            if not hit:
                continue
            rule = Rule.SORE_REGION if hit & sore else Rule.AVOIDED_REGION
            why = "; ".join(
                f"{region.replace('_', ' ')} sore ({self.conditions.soreness[region]}/5)"
                if region in sore
                else f"{region.replace('_', ' ')} avoided on your profile"
                for region in sorted(hit)
            )
            substitute = self._substitute(item, spares, last=heavy_on_a_low_day)
            if substitute is not None:
                self._swap(rule, item, substitute, f"{why}: {item.name} loads it; {substitute.name} does not")
            else:
                self._drop(rule, item, f"{why}: {item.name} loads it and no substitute that spares it fits")

    # --- 2. a low day ----------------------------------------------------------------------------

    def _low(self) -> None:
        score, spared = self.conditions.score, self.conditions.spared
        for item in self.items:
            movement = item.movement
            if item.block not in (Block.MAIN, Block.ACCESSORY, Block.FINISHER) or movement is None:
                continue
            if movement.cns_load >= HIGH_CNS:

                def lighter(m: MovementFacts, cns: int = movement.cns_load) -> bool:
                    return m.cns_load < cns and not regions_loaded(m) & spared

                substitute = self._substitute(item, lighter, last=lambda m: m.cns_load >= HIGH_CNS)
                if substitute is not None:
                    self._swap(
                        Rule.LOW_READINESS,
                        item,
                        substitute,
                        f"readiness low ({score}): {movement.name} has CNS load {movement.cns_load}, "
                        f"{substitute.name} {substitute.cns_load}",
                    )
        for item in self.items:
            if item.block not in (Block.MAIN, Block.ACCESSORY):
                continue
            work = item.work
            if work.sets > 1:
                item.work = replace(work, sets=work.sets - 1)
                self._note(
                    Rule.LOW_READINESS,
                    item,
                    "sets",
                    work.sets,
                    work.sets - 1,
                    f"readiness low ({score}): one set fewer on {item.name}",
                )
            if work.rpe is not None and work.rpe > LOW_RPE_CAP:
                item.work = replace(item.work, rpe=LOW_RPE_CAP)
                self._note(
                    Rule.LOW_READINESS,
                    item,
                    "target_rpe",
                    work.rpe,
                    LOW_RPE_CAP,
                    f"readiness low ({score}): effort capped at RPE {LOW_RPE_CAP:g} on {item.name}",
                )

    # --- 3. a high day ---------------------------------------------------------------------------

    def _high(self) -> None:
        for item in self.items:
            if item.block is Block.MAIN and item.work.sets < MAX_SETS:
                before = item.work.sets
                item.work = replace(item.work, sets=before + 1)
                self._note(
                    Rule.HIGH_READINESS,
                    item,
                    "sets",
                    before,
                    before + 1,
                    f"readiness high ({self.conditions.score}): one set more on {item.name}",
                )

    # --- 4. the time available -------------------------------------------------------------------

    def _time(self) -> int:
        """Trim to the minutes available with the time budget's own rules; the session's seconds,
        each exercise given its share and its position."""
        timed, planned_of = _timed_session(self.items)
        minutes = self.conditions.minutes_available
        if minutes is not None and timed.seconds() > minutes * 60:
            before = {
                id(key): (key.work, key.superset) for key, _ in planned_of.pairs() if isinstance(key, Item)
            }
            finisher_before = timed.finisher.rounds if timed.finisher is not None else None
            estimate = math.ceil(timed.seconds() / 60)
            timed.fit(minutes * 60)
            why = f"{minutes} minutes available, the session takes {estimate}"
            self._diff(timed, planned_of, before, finisher_before, why)
            if timed.seconds() > minutes * 60:
                self.warnings.append(
                    f"The session still takes {math.ceil(timed.seconds() / 60)} minutes: "
                    "the time budget's rules trim no further"
                )
        timings = timed.timings()
        kept: list[Planned] = []
        for item in timed.warmup + timed.main + timed.accessories:
            kept.append(_synced(planned_of[item], item, timings[id(item)]))
        if timed.finisher is not None:
            planned = planned_of[timed.finisher]
            planned.work = replace(planned.work, sets=timed.finisher.rounds)
            planned.estimated_seconds = timings[id(timed.finisher)]
            kept.append(planned)
        for item in timed.cooldown:
            kept.append(_synced(planned_of[item], item, timings[id(item)]))
        for position, planned in enumerate(kept, start=1):
            planned.position = position
        self.items = kept
        return timed.seconds()

    def _diff(
        self,
        timed: TimedSession,
        planned_of: _Index,
        before: dict[int, tuple[Work, str | None]],
        finisher_rounds: int | None,
        why: str,
    ) -> None:
        present = {id(item) for item in timed.warmup + timed.main + timed.accessories + timed.cooldown}
        for key, planned in planned_of.pairs():
            if isinstance(key, Finisher):
                if timed.finisher is None:
                    self._drop(Rule.TIME_AVAILABLE, planned, f"{why}: the finisher goes first", remove=False)
                elif finisher_rounds is not None and key.rounds != finisher_rounds:
                    self._note(
                        Rule.TIME_AVAILABLE,
                        planned,
                        "finisher_rounds",
                        finisher_rounds,
                        key.rounds,
                        f"{why}: a shorter finisher",
                    )
                continue
            if id(key) not in present:
                self._drop(Rule.TIME_AVAILABLE, planned, f"{why}: {planned.name} left out", remove=False)
                continue
            work, superset = before[id(key)]
            for name, old, new in (
                ("sets", work.sets, key.work.sets),
                ("rest_seconds", work.rest_seconds, key.work.rest_seconds),
                ("duration_seconds", work.duration_seconds, key.work.duration_seconds),
                ("superset_group", superset, key.superset),
            ):
                if old != new:
                    self._note(Rule.TIME_AVAILABLE, planned, name, old, new, f"{why}: {_TRIMS[name]}")

    # --- swapping and dropping -------------------------------------------------------------------

    def _substitute(
        self,
        item: Planned,
        fits: Callable[[MovementFacts], bool],
        last: Callable[[MovementFacts], bool] | None = None,
    ) -> MovementFacts | None:
        if item.movement is None:
            return None
        in_session = {other.movement.id for other in self.items if other.movement is not None}
        candidates = [
            m for m in self.substitutes.get(item.movement.id, ()) if m.id not in in_session and fits(m)
        ]
        if last is not None:
            candidates.sort(key=last)  # stable: the catalogue's order otherwise
        return candidates[0] if candidates else None

    def _swap(self, rule: Rule, item: Planned, substitute: MovementFacts, reason: str) -> None:
        assert item.movement is not None
        self._note(rule, item, "movement", item.movement.name, substitute.name, reason)
        item.work = _work_for_swap(item.work, substitute)
        item.movement = substitute
        item.reason = f"adapted: {reason}"[:REASON_LENGTH]

    def _drop(self, rule: Rule, item: Planned, reason: str, *, remove: bool = True) -> None:
        self._note(rule, item, "dropped", item.name, None, reason)
        if not remove:
            return
        self.items.remove(item)
        if item.superset is not None:  # its partner now stands alone
            for other in self.items:
                if other.superset == item.superset:
                    other.superset = None


_TRIMS = {
    "sets": "fewer sets",
    "rest_seconds": "shorter rests",
    "duration_seconds": "a shorter hold",
    "superset_group": "paired in a superset",
}


class _Index:
    """Which stored exercise each of the time budget's items (or the finisher) stands for."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[Item | Finisher, Planned]] = {}

    def add(self, key: Item | Finisher, planned: Planned) -> None:
        self._by_id[id(key)] = (key, planned)

    def __getitem__(self, key: Item | Finisher) -> Planned:
        return self._by_id[id(key)][1]

    def pairs(self) -> list[tuple[Item | Finisher, Planned]]:
        return list(self._by_id.values())


def _timed_session(items: Sequence[Planned]) -> tuple[TimedSession, _Index]:
    """The session as the time budget sees it: the generator's items, blocks and finisher."""
    index = _Index()
    lists: dict[Block, list[Item]] = {block: [] for block in Block}
    finisher: Finisher | None = None
    for planned in items:
        if planned.block is Block.FINISHER:
            finisher = Finisher(planned.circuit, planned.movement, rounds=planned.work.sets)
            index.add(finisher, planned)
            continue
        assert planned.movement is not None
        movement = planned.movement
        slot = Slot(planned.block, (movement.pattern,), (movement.primary_muscle,))
        item = Item(Choice(slot, movement, None, None, pinned=planned.pinned), planned.work, planned.superset)
        lists[planned.block].append(item)
        index.add(item, planned)
    timed = TimedSession(
        lists[Block.WARMUP], lists[Block.MAIN], lists[Block.ACCESSORY], lists[Block.COOLDOWN], finisher
    )
    return timed, index


def _synced(planned: Planned, item: Item, seconds: int) -> Planned:
    planned.work, planned.superset, planned.estimated_seconds = item.work, item.superset, seconds
    return planned


def _work_for_swap(work: Work, movement: MovementFacts) -> Work:
    """The same sets, effort and rest, measured the way the new movement is, within its range."""
    if movement.metric_type == "time":
        return replace(
            work, reps_min=None, reps_max=None, distance_m=None, duration_seconds=work.duration_seconds or 40
        )
    if movement.metric_type == "distance":
        distance = work.distance_m or DISTANCE_METRES.get(movement.pattern, 40)
        return replace(work, reps_min=None, reps_max=None, duration_seconds=None, distance_m=distance)
    low, high = (work.reps_min, work.reps_max) if work.reps_min and work.reps_max else (8, 12)
    low, high = reps_for(movement, (low, high))
    return replace(work, reps_min=low, reps_max=high, duration_seconds=None, distance_m=None)
