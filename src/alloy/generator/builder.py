"""Building a plan: choose each week's movements under the hard constraints, then dose and time
each session.

Choosing is separate from dosing. A week's choices depend only on its sequence of day foci and the
main pattern of the session before it, so weeks that repeat (most of them) reuse one selection: the
same lifts week after week, which is what makes progression mean something, and what keeps a
twelve-week, six-day program fast to build. Dosing (sets, reps, effort, rest, deload) and the time
budget then run per session.

Hard constraints, never broken: only the equipment available (bodyweight is always available);
never a ``hard_no`` movement; every ``hard_yes`` movement placed each week; no movement twice in a
session or more than three times in a week; at least four distinct movements per session; the same
main pattern never on consecutive training days; the estimated time within ``max_session_minutes``.

When a slot has no qualifying movement, the relaxation steps run in order (wider pattern
compatibility, synergist muscles, lower discipline weight, isolation movements, reduced volume) and
the session records each step it needed.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from alloy.generator.model import (
    Block,
    CatalogueSnapshot,
    CircuitFacts,
    ExercisePlan,
    Goal,
    MovementFacts,
    Plan,
    ProgramSpec,
    Relaxation,
    ScoringRules,
    SessionPlan,
    WeekPlan,
)
from alloy.generator.prescription import (
    Dose,
    Work,
    dose_for,
    exercise_seconds,
    progressed,
    superset_seconds,
    work_for,
)
from alloy.generator.scoring import Scorer
from alloy.generator.structure import (
    COOLDOWN,
    DAY_OFFSETS,
    FOCI,
    PRIMER,
    WARMUP,
    Focus,
    Slot,
    cycle_for,
    is_deload,
)

MAX_PER_WEEK = 3
MIN_DISTINCT = 4
TRANSITION_SECONDS = 30  # moving between exercises
WARMUP_SET_SECONDS = 60
COOLDOWN_SET_SECONDS = 60
MIN_REST_SECONDS = 30
FINISHER_INTERVAL = (30, 30)  # seconds on, seconds off, for a finisher built from one movement
FINISHER_ROUNDS = (8, 4)  # most and fewest rounds
MAX_FINISHER_MINUTES = 20  # and at most a third of the session
NEVER_STAND_IN = frozenset({"mobility", "cardio"})  # patterns no strength slot relaxes into


def build_plan(spec: ProgramSpec, catalogue: CatalogueSnapshot, scoring: ScoringRules) -> Plan:
    return _Builder(spec, catalogue, scoring).build()


@dataclass(slots=True)
class _Choice:
    slot: Slot
    movement: MovementFacts
    dimensions: dict[str, float] | None
    score: float | None
    relaxation: Relaxation | None = None
    pinned: bool = False


@dataclass
class _SessionChoices:
    focus: Focus
    warmup: list[_Choice]
    main: list[_Choice]
    accessories: list[_Choice]  # in the order the time budget keeps them
    extras: list[_Choice]  # used only when the time budget has room
    cooldown: list[_Choice]
    finisher: _Finisher | None
    relaxations: list[Relaxation] = field(default_factory=list)

    @property
    def main_pattern(self) -> str:
        return self.main[0].movement.pattern


@dataclass(slots=True)
class _Item:
    choice: _Choice
    work: Work
    superset: str | None = None


class _Builder:
    def __init__(self, spec: ProgramSpec, catalogue: CatalogueSnapshot, scoring: ScoringRules) -> None:
        self.spec = spec
        self.scoring = scoring
        self.scorer = Scorer(spec, scoring.weights)
        available = spec.equipment | {"bodyweight"}
        self.allowed = [
            m for m in catalogue.movements if m.id not in spec.hard_no and m.equipment <= available
        ]
        self.by_id = {m.id: m for m in self.allowed}
        self.by_pattern: dict[str, list[MovementFacts]] = {}
        for movement in self.allowed:
            self.by_pattern.setdefault(movement.pattern, []).append(movement)
        rng = random.Random(spec.seed)  # noqa: S311 - a reproducible tie-break, not a secret
        # A deterministic, program-specific tie-break between equal scores.
        self.jitter = {m.id: rng.random() * 1e-6 for m in self.allowed}
        self.circuits = sorted(
            (
                circuit
                for circuit in catalogue.circuits
                if circuit.minutes is not None
                and circuit.minutes <= min(MAX_FINISHER_MINUTES, spec.max_session_minutes // 3)
                and all(mid in self.by_id for mid in circuit.movement_ids)
            ),
            key=lambda circuit: (circuit.minutes, circuit.name),
        )
        self.cycle = cycle_for(spec)
        self.memory: dict[tuple[str, str, int], uuid.UUID] = {}  # (focus, block, slot) → last pick
        self.week_choices: dict[tuple[tuple[str, ...], str | None], list[_SessionChoices]] = {}
        goals = spec.goals
        self.finishers = goals.get(Goal.FAT_LOSS, 0) >= 3 or goals.get(Goal.ENDURANCE, 0) >= 3
        self.primer = goals.get(Goal.EXPLOSIVENESS, 0) + goals.get(Goal.SPEED, 0) >= 3
        self.finisher_counter = 0

    # --- the plan ------------------------------------------------------------------------------

    def build(self) -> Plan:
        spec = self.spec
        weeks = []
        cursor = 0
        previous_main: str | None = None
        offsets = DAY_OFFSETS[spec.days_per_week]
        for number in range(1, spec.duration_weeks + 1):
            foci = tuple(self.cycle[(cursor + day) % len(self.cycle)] for day in range(spec.days_per_week))
            cursor += spec.days_per_week
            key = (foci, previous_main)
            if key not in self.week_choices:
                self.week_choices[key] = self._choose_week(foci, previous_main)
            deload = is_deload(number, spec.deload_every_n_weeks)
            week_in_block = (number - 1) % spec.deload_every_n_weeks
            sessions = []
            for day, choices in enumerate(self.week_choices[key]):
                when = spec.start_date + timedelta(days=7 * (number - 1) + offsets[day])
                sessions.append(self._session(number, day + 1, when, choices, deload, week_in_block))
                previous_main = choices.main_pattern
            weeks.append(WeekPlan(number=number, is_deload=deload, sessions=tuple(sessions)))
        return Plan(
            split_template=spec.split_template, scoring_version=self.scoring.version, weeks=tuple(weeks)
        )

    # --- choosing movements --------------------------------------------------------------------

    def _choose_week(self, foci: Sequence[str], previous_main: str | None) -> list[_SessionChoices]:
        counts: Counter[uuid.UUID] = Counter()
        pins = self._place_hard_yes(foci)
        for day_pins in pins:  # counted up front, so no earlier day uses up their weekly allowance
            counts.update(pin.id for pin in day_pins)
        week = []
        for day, name in enumerate(foci):
            choices = self._choose_session(FOCI[name], counts, previous_main, pins[day])
            previous_main = choices.main_pattern
            week.append(choices)
        return week

    def _place_hard_yes(self, foci: Sequence[str]) -> list[list[MovementFacts]]:
        """Each hard_yes movement goes to the first day with a slot of its pattern (else of a
        compatible pattern, else the day with the fewest pins), once a week."""
        pins: list[list[MovementFacts]] = [[] for _ in foci]
        for movement_id in sorted(self.spec.hard_yes):
            movement = self.by_id.get(movement_id)
            if movement is None:
                continue  # refused at the API when its equipment is missing
            slots = [FOCI[name].main + FOCI[name].accessories for name in foci]
            exact = [
                day
                for day, day_slots in enumerate(slots)
                if any(movement.pattern in s.patterns for s in day_slots)
            ]
            wider = [
                day
                for day, day_slots in enumerate(slots)
                if any(movement.pattern in s.wider_patterns for s in day_slots)
            ]
            candidates = exact or wider or list(range(len(foci)))
            day = min(candidates, key=lambda d: (len(pins[d]), d))
            pins[day].append(movement)
        return pins

    def _choose_session(
        self,
        focus: Focus,
        counts: Counter[uuid.UUID],
        previous_main: str | None,
        pins: list[MovementFacts],
    ) -> _SessionChoices:
        used: set[uuid.UUID] = {pin.id for pin in pins}
        covered: set[str] = set()
        relaxations: list[Relaxation] = []

        def take(choice: _Choice | None) -> _Choice | None:
            if choice is None:
                return None
            used.add(choice.movement.id)
            covered.add(choice.movement.primary_muscle)
            counts[choice.movement.id] += 1
            if choice.relaxation is not None and choice.relaxation not in relaxations:
                relaxations.append(choice.relaxation)
            return choice

        def pick(slot: Slot, index: int, avoid: str | None = None) -> _Choice | None:
            return self._pick(focus.name, index, slot, used, frozenset(covered), counts, avoid)

        main: list[_Choice] = []
        for index, slot in enumerate(focus.main):
            pinned = next((pin for pin in pins if pin.pattern in slot.patterns), None)
            if pinned is not None and not (index == 0 and pinned.pattern == previous_main):
                pins.remove(pinned)
                main.append(self._pinned(slot, pinned, frozenset(covered)))
                covered.add(pinned.primary_muscle)
                continue
            choice = take(pick(slot, index, previous_main if index == 0 else None))
            if choice is not None:
                main.append(choice)
        if not main or (previous_main is not None and main[0].movement.pattern == previous_main):
            main.insert(0, self._lead(focus, used, counts, previous_main, relaxations))
            covered.add(main[0].movement.primary_muscle)
        accessories: list[_Choice] = []
        for pin in pins:
            home = next((s for s in focus.accessories if pin.pattern in s.patterns + s.wider_patterns), None)
            accessories.append(self._pinned(home or focus.accessories[0], pin, frozenset(covered)))
            covered.add(pin.primary_muscle)
        for index, slot in enumerate(focus.accessories):
            if any(pin.pattern in slot.patterns for pin in pins):
                continue  # a hard_yes movement fills this slot
            choice = take(pick(slot, index))
            if choice is None:
                if Relaxation.REDUCED_VOLUME not in relaxations:
                    relaxations.append(Relaxation.REDUCED_VOLUME)
                continue
            accessories.append(choice)
        extras = [
            choice
            for index, slot in enumerate(focus.extras)
            if (choice := take(pick(slot, len(focus.accessories) + index))) is not None
            and choice.relaxation is None
        ]
        warmup_slot = replace(WARMUP, muscles=focus.muscles)  # mobility for the muscles of the day
        warmup = [c for c in (take(pick(warmup_slot, 0)), take(pick(warmup_slot, 1))) if c is not None]
        if self.primer and not focus.conditioning:
            primer = take(pick(PRIMER, 0))
            if primer is not None and primer.relaxation is None:
                warmup.append(primer)
        cooldown = [c for c in (take(pick(replace(COOLDOWN, muscles=focus.muscles), 0)),) if c is not None]
        choices = _SessionChoices(
            focus=focus,
            warmup=warmup,
            main=main,
            accessories=accessories,
            extras=extras,
            cooldown=cooldown,
            finisher=self._choose_finisher(used, counts),
            relaxations=relaxations,
        )
        while _distinct(choices) < MIN_DISTINCT:
            filler = self._filler(focus, used, counts)
            if filler is None:
                break
            take(filler)
            accessories.append(filler)
            if Relaxation.REDUCED_VOLUME not in relaxations:
                relaxations.append(Relaxation.REDUCED_VOLUME)
        return choices

    def _pinned(self, slot: Slot, movement: MovementFacts, covered: frozenset[str]) -> _Choice:
        dimensions = self.scorer.dimensions(slot, movement, covered)
        return _Choice(slot, movement, dimensions, self.scorer.score(dimensions), pinned=True)

    def _pick(
        self,
        focus: str,
        index: int,
        slot: Slot,
        used: set[uuid.UUID],
        covered: frozenset[str],
        counts: Counter[uuid.UUID],
        avoid: str | None,
    ) -> _Choice | None:
        """The best qualifying movement for the slot, relaxing step by step; None when even
        reduced volume is the answer (the slot is dropped)."""
        memory_key = (focus, slot.block.value, index)
        remembered = self.memory.get(memory_key)
        for relaxation, pool, lower, accept_any in self._steps(slot, used, counts, avoid):
            best: _Choice | None = None
            best_rank = -1.0
            for movement in pool:
                dimensions = self.scorer.dimensions(slot, movement, covered)
                score = self.scorer.score(dimensions, lower_discipline_weight=lower)
                if score < self.scoring.qualifying_score and not accept_any:
                    continue
                rank = score + self.jitter[movement.id] + (1.0 if movement.id == remembered else 0.0)
                if rank > best_rank:
                    best, best_rank = _Choice(slot, movement, dimensions, score, relaxation), rank
            if best is not None:
                if slot.block in (Block.WARMUP, Block.COOLDOWN):
                    best.dimensions, best.score = None, None  # not scored: chosen for the day's pattern
                self.memory[memory_key] = best.movement.id
                return best
        return None

    def _steps(
        self, slot: Slot, used: set[uuid.UUID], counts: Counter[uuid.UUID], avoid: str | None
    ) -> Iterator[tuple[Relaxation | None, list[MovementFacts], bool, bool]]:
        """(relaxation, candidates, lower discipline weight, accept below the qualifying score),
        each pool built only when the step before it found nothing."""

        def eligible(movement: MovementFacts) -> bool:
            return (
                movement.id not in used and counts[movement.id] < MAX_PER_WEEK and movement.pattern != avoid
            )

        exact = [m for pattern in slot.patterns for m in self.by_pattern.get(pattern, ()) if eligible(m)]
        if slot.block in (Block.WARMUP, Block.COOLDOWN):
            yield None, exact, False, True  # preparation, not scored
            return
        yield None, exact, False, False
        wider = exact + [m for p in slot.wider_patterns for m in self.by_pattern.get(p, ()) if eligible(m)]
        yield Relaxation.WIDER_PATTERN, wider, False, False
        muscles = set(slot.muscles) | set(slot.synergists)
        seen = {m.id for m in wider}
        synergists = wider + [
            m
            for m in self.allowed
            if m.id not in seen
            and m.primary_muscle in muscles
            and m.pattern not in NEVER_STAND_IN
            and eligible(m)
        ]
        yield Relaxation.SYNERGIST_MUSCLES, synergists, False, False
        yield Relaxation.LOWER_DISCIPLINE_WEIGHT, synergists, True, False
        seen |= {m.id for m in synergists}
        isolation = synergists + [
            m for m in self.by_pattern.get("isolation", ()) if m.id not in seen and eligible(m)
        ]
        yield Relaxation.ISOLATION_MOVEMENTS, isolation, True, True

    def _lead(
        self,
        focus: Focus,
        used: set[uuid.UUID],
        counts: Counter[uuid.UUID],
        previous_main: str | None,
        relaxations: list[Relaxation],
    ) -> _Choice:
        """A main movement whose pattern differs from yesterday's, when the focus's own could not
        be had: the best-scoring eligible compound, whatever its pattern."""
        slot = Slot(Block.MAIN, focus.main[0].patterns, focus.muscles)
        choice = self._filler(focus, used, counts, slot=slot, avoid=previous_main)
        if choice is None:  # pragma: no cover - the catalogue always has a bodyweight movement left
            raise RuntimeError("no eligible movement for the session's main block")
        used.add(choice.movement.id)
        counts[choice.movement.id] += 1
        if Relaxation.WIDER_PATTERN not in relaxations:
            relaxations.append(Relaxation.WIDER_PATTERN)
        choice.relaxation = Relaxation.WIDER_PATTERN
        return choice

    def _filler(
        self,
        focus: Focus,
        used: set[uuid.UUID],
        counts: Counter[uuid.UUID],
        *,
        slot: Slot | None = None,
        avoid: str | None = None,
    ) -> _Choice | None:
        """The best eligible movement for the day's muscles, qualifying or not (reduced volume)."""
        slot = slot or Slot(Block.ACCESSORY, focus.accessories[0].patterns, focus.muscles)
        best: _Choice | None = None
        best_rank = -1.0
        for movement in self.allowed:
            if movement.id in used or counts[movement.id] >= MAX_PER_WEEK or movement.pattern == avoid:
                continue
            if movement.pattern == "mobility":
                continue
            dimensions = self.scorer.dimensions(slot, movement, frozenset())
            score = self.scorer.score(dimensions)
            if score + self.jitter[movement.id] > best_rank:
                best = _Choice(slot, movement, dimensions, score, Relaxation.REDUCED_VOLUME)
                best_rank = score + self.jitter[movement.id]
        return best

    def _choose_finisher(self, used: set[uuid.UUID], counts: Counter[uuid.UUID]) -> _Finisher | None:
        """Fat loss: a benchmark circuit that fits (rotating through them); endurance, or no
        circuit fits the equipment: intervals of the best conditioning movement left."""
        if not self.finishers:
            return None
        self.finisher_counter += 1
        if self.circuits and self.spec.weight_of(Goal.FAT_LOSS) >= 3:
            circuit = self.circuits[(self.spec.seed + self.finisher_counter) % len(self.circuits)]
            return _Finisher(circuit=circuit, movement=None, rounds=1)
        slot = Slot(Block.FINISHER, ("conditioning", "cardio", "plyometric"), ("cardiovascular",))
        pool = [
            m
            for pattern in slot.patterns
            for m in self.by_pattern.get(pattern, ())
            if m.id not in used and counts[m.id] < MAX_PER_WEEK
        ]
        if not pool:
            return None
        movement = max(
            pool,
            key=lambda m: self.scorer.score(self.scorer.dimensions(slot, m, frozenset())) + self.jitter[m.id],
        )
        used.add(movement.id)
        counts[movement.id] += 1
        return _Finisher(circuit=None, movement=movement, rounds=FINISHER_ROUNDS[0])

    # --- dosing and timing ---------------------------------------------------------------------

    def _session(
        self, week: int, day: int, when: date, choices: _SessionChoices, deload: bool, week_in_block: int
    ) -> SessionPlan:
        spec = self.spec
        budget = spec.max_session_minutes * 60
        main_dose = progressed(dose_for(spec, Block.MAIN), spec.progression_style, week_in_block, deload)
        accessory_dose = progressed(
            dose_for(spec, Block.ACCESSORY), spec.progression_style, week_in_block, deload
        )
        warmup = [_Item(c, Work(1, None, None, WARMUP_SET_SECONDS, None, None, 0)) for c in choices.warmup]
        cooldown = [
            _Item(c, Work(1, None, None, COOLDOWN_SET_SECONDS, None, None, 0)) for c in choices.cooldown
        ]
        main = [_Item(c, work_for(c.movement, main_dose)) for c in choices.main]
        accessories = [_Item(c, work_for(c.movement, accessory_dose)) for c in choices.accessories]
        finisher = None if deload or choices.finisher is None else replace(choices.finisher)
        session = _Timed(warmup, main, accessories, cooldown, finisher)
        session.fit(budget)
        session.fill(
            budget,
            [_Item(c, work_for(c.movement, accessory_dose)) for c in choices.extras],
            main_dose,
            accessory_dose,
        )
        relaxations = list(choices.relaxations)
        if session.reduced and Relaxation.REDUCED_VOLUME not in relaxations:
            relaxations.append(Relaxation.REDUCED_VOLUME)
        return SessionPlan(
            week_number=week,
            day_number=day,
            scheduled_date=when,
            focus=choices.focus.name,
            main_pattern=choices.main_pattern,
            exercises=tuple(session.exercises()),
            estimated_minutes=-(-session.seconds() // 60),
            relaxations=tuple(relaxations),
        )


@dataclass(slots=True)
class _Finisher:
    circuit: CircuitFacts | None
    movement: MovementFacts | None
    rounds: int

    def seconds(self) -> int:
        if self.circuit is not None:
            return (self.circuit.minutes or 0) * 60 + TRANSITION_SECONDS
        on, off = FINISHER_INTERVAL
        return self.rounds * (on + off) + TRANSITION_SECONDS


class _Timed:
    """A session's items and the time-budget rules: trim until it fits, then fill the room left."""

    def __init__(
        self,
        warmup: list[_Item],
        main: list[_Item],
        accessories: list[_Item],
        cooldown: list[_Item],
        finisher: _Finisher | None,
    ) -> None:
        self.warmup = warmup
        self.main = main
        self.accessories = accessories
        self.cooldown = cooldown
        self.finisher = finisher
        self.reduced = False

    def _pairs(self, items: list[_Item]) -> list[list[_Item]]:
        groups: dict[str, list[_Item]] = {}
        out: list[list[_Item]] = []
        for item in items:
            if item.superset is None:
                out.append([item])
            elif item.superset in groups:
                groups[item.superset].append(item)
            else:
                groups[item.superset] = [item]
                out.append(groups[item.superset])
        return out

    def timings(self) -> dict[int, int]:
        """Seconds per item (by ``id``), transitions included; a superset's shared rests are
        split between its two exercises. The session's time is their sum, so the estimate of
        every exercise adds up to the estimate of the session."""
        timed: dict[int, int] = {}
        for item in self.warmup + self.cooldown:
            timed[id(item)] = exercise_seconds(item.choice.movement, item.work) + TRANSITION_SECONDS // 2
        for group in self._pairs(self.main) + self._pairs(self.accessories):
            if len(group) == 2:
                a, b = group
                total = superset_seconds((a.choice.movement, a.work), (b.choice.movement, b.work))
                first = exercise_seconds(a.choice.movement, a.work, rests=False)
                shared = total - first - exercise_seconds(b.choice.movement, b.work, rests=False)
                timed[id(a)] = first + shared // 2 + TRANSITION_SECONDS // 2
                timed[id(b)] = total - first - shared // 2 + TRANSITION_SECONDS - TRANSITION_SECONDS // 2
            else:
                timed[id(group[0])] = (
                    exercise_seconds(group[0].choice.movement, group[0].work) + TRANSITION_SECONDS
                )
        if self.finisher is not None:
            timed[id(self.finisher)] = self.finisher.seconds()
        return timed

    def seconds(self) -> int:
        return sum(self.timings().values())

    def distinct(self) -> int:
        return len(
            {item.choice.movement.id for item in self.warmup + self.main + self.accessories + self.cooldown}
        )

    def fit(self, budget: int) -> None:
        """Trim, least important first, until the session fits the budget."""
        steps = (
            self._shorten_finisher,
            self._drop_finisher,
            lambda: self._fewer_sets(self.accessories, 2),
            lambda: self._superset(self.accessories, "B"),
            self._drop_accessory,
            lambda: self._fewer_sets(self.main, 2),
            lambda: self._superset(self.main, "A"),
            self._shorter_rests,
            self._drop_warmup,
            lambda: self._fewer_sets(self.accessories, 1),
            lambda: self._fewer_sets(self.main, 1),
            self._drop_pinned_volume,
        )
        for step in steps:
            while self.seconds() > budget:
                if not step():
                    break
                if step not in (self._shorten_finisher, self._drop_finisher):
                    self.reduced = True
            if self.seconds() <= budget:
                return

    def fill(self, budget: int, extras: list[_Item], main_dose: Dose, accessory_dose: Dose) -> None:
        """Use the room left: extra accessories, then a set more on each exercise."""
        if self.reduced:
            return
        for extra in extras:
            self.accessories.append(extra)
            if self.seconds() > budget:
                self.accessories.pop()
                break
        for items, dose in ((self.accessories, accessory_dose), (self.main, main_dose)):
            for item in items:
                if item.work.sets >= dose.sets + 1:
                    continue
                before = item.work
                item.work = _with_sets(item.work, item.work.sets + 1)
                if self.seconds() > budget:
                    item.work = before
                    return

    # Each trimming step changes one thing and says whether it could.

    def _shorten_finisher(self) -> bool:
        finisher = self.finisher
        if finisher is None or finisher.movement is None or finisher.rounds <= FINISHER_ROUNDS[1]:
            return False
        finisher.rounds -= 1
        return True

    def _drop_finisher(self) -> bool:
        if self.finisher is None:
            return False
        self.finisher = None
        return True

    @staticmethod
    def _fewer_sets(items: list[_Item], floor: int) -> bool:
        candidates = [item for item in items if item.work.sets > floor]
        if not candidates:
            return False
        item = max(reversed(candidates), key=lambda i: i.work.sets)
        item.work = _with_sets(item.work, item.work.sets - 1)
        return True

    @staticmethod
    def _superset(items: list[_Item], label: str) -> bool:
        loose = [item for item in items if item.superset is None]
        if len(loose) < 2:
            return False
        group = f"{label}{sum(1 for item in items if item.superset) // 2 + 1}"
        loose[0].superset = loose[1].superset = group
        return True

    def _drop_accessory(self) -> bool:
        for index in range(len(self.accessories) - 1, -1, -1):
            item = self.accessories[index]
            if item.choice.pinned or self.distinct() <= MIN_DISTINCT:
                continue
            self.accessories.pop(index)
            if item.superset is not None:  # its partner now stands alone
                for other in self.accessories:
                    if other.superset == item.superset:
                        other.superset = None
            return True
        return False

    def _shorter_rests(self) -> bool:
        changed = False
        for item in self.main + self.accessories:
            if item.work.rest_seconds > MIN_REST_SECONDS:
                item.work = _with_rest(item.work, max(MIN_REST_SECONDS, item.work.rest_seconds // 2))
                changed = True
        return changed

    def _drop_warmup(self) -> bool:
        if len(self.warmup) <= 1 or self.distinct() <= MIN_DISTINCT:
            return False
        self.warmup.pop()
        return True

    def _drop_pinned_volume(self) -> bool:
        """Last resort: shorter warm-up and cool-down holds."""
        changed = False
        for item in self.warmup + self.cooldown:
            if item.work.duration_seconds and item.work.duration_seconds > 30:
                item.work = Work(1, None, None, 30, None, None, 0)
                changed = True
        return changed

    def exercises(self) -> list[ExercisePlan]:
        timed = self.timings()
        out: list[ExercisePlan] = []
        for block, items in (
            (Block.WARMUP, self.warmup),
            (Block.MAIN, self.main),
            (Block.ACCESSORY, self.accessories),
        ):
            for item in items:
                out.append(_exercise(block, len(out) + 1, item, timed[id(item)]))
        if self.finisher is not None:
            out.append(_finisher_exercise(len(out) + 1, self.finisher))
        for item in self.cooldown:
            out.append(_exercise(Block.COOLDOWN, len(out) + 1, item, timed[id(item)]))
        return out


def _with_sets(work: Work, sets: int) -> Work:
    return Work(
        sets,
        work.reps_min,
        work.reps_max,
        work.duration_seconds,
        work.distance_m,
        work.rpe,
        work.rest_seconds,
    )


def _with_rest(work: Work, rest: int) -> Work:
    return Work(
        work.sets, work.reps_min, work.reps_max, work.duration_seconds, work.distance_m, work.rpe, rest
    )


def _distinct(choices: _SessionChoices) -> int:
    items = choices.warmup + choices.main + choices.accessories + choices.cooldown
    return len({choice.movement.id for choice in items})


def _reason(block: Block, choice: _Choice) -> str:
    movement = choice.movement
    if block in (Block.WARMUP, Block.COOLDOWN):
        return f"{block.value}: {movement.pattern.replace('_', ' ')} for the day ahead"
    target = ", ".join(choice.slot.muscles) or movement.primary_muscle
    reason = f"{block.value}: {movement.pattern.replace('_', ' ')} for {target}"
    if choice.pinned:
        reason += " (your hard_yes movement)"
    if choice.relaxation is not None:
        reason += f" (relaxed: {choice.relaxation.value})"
    return reason


def _exercise(block: Block, position: int, item: _Item, seconds: int) -> ExercisePlan:
    movement, work = item.choice.movement, item.work
    return ExercisePlan(
        block=block,
        position=position,
        movement_id=movement.id,
        circuit_id=None,
        sets=work.sets,
        reps_min=work.reps_min,
        reps_max=work.reps_max,
        duration_seconds=work.duration_seconds,
        distance_m=work.distance_m,
        target_rpe=work.rpe,
        target_rir=work.rir,
        rest_seconds=work.rest_seconds,
        superset_group=item.superset,
        estimated_seconds=seconds,
        score=None if item.choice.score is None else round(item.choice.score, 4),
        dimensions=None
        if item.choice.dimensions is None
        else {name: round(value, 4) for name, value in item.choice.dimensions.items()},
        reason=_reason(block, item.choice),
    )


def _finisher_exercise(position: int, finisher: _Finisher) -> ExercisePlan:
    if finisher.circuit is not None:
        circuit = finisher.circuit
        return ExercisePlan(
            block=Block.FINISHER,
            position=position,
            movement_id=None,
            circuit_id=circuit.id,
            sets=1,
            reps_min=None,
            reps_max=None,
            duration_seconds=(circuit.minutes or 0) * 60,
            distance_m=None,
            target_rpe=8.5,
            target_rir=None,
            rest_seconds=0,
            superset_group=None,
            estimated_seconds=finisher.seconds(),
            score=None,
            dimensions=None,
            reason=f"finisher: {circuit.name} ({circuit.circuit_type.replace('_', ' ')}), for fat loss",
        )
    assert finisher.movement is not None
    on, off = FINISHER_INTERVAL
    return ExercisePlan(
        block=Block.FINISHER,
        position=position,
        movement_id=finisher.movement.id,
        circuit_id=None,
        sets=finisher.rounds,
        reps_min=None,
        reps_max=None,
        duration_seconds=on,
        distance_m=None,
        target_rpe=8.5,
        target_rir=None,
        rest_seconds=off,
        superset_group=None,
        estimated_seconds=finisher.seconds(),
        score=None,
        dimensions=None,
        reason=f"finisher: {finisher.rounds} × {on} s on / {off} s off, for conditioning",
    )
