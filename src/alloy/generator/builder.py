"""Building a plan: choose each week's movements under the hard constraints, then dose and time
each session.

Choosing is separate from dosing. A week's choices depend only on its sequence of day foci, the
main pattern of the session before it and its training block, so weeks that repeat (most of them)
reuse one selection: the same lifts week after week, which is what makes progression mean
something, and what keeps a twelve-week, six-day program fast to build. Main lifts hold for the
whole program; accessories may rotate when a new block starts. Dosing (sets, reps, effort, rest,
deload) and the time budget then run per session.

Hard constraints, never broken: only the equipment available (bodyweight is always available);
never a ``hard_no`` movement nor one loading a region the lifter avoids; every ``hard_yes``
movement placed each week; no movement twice in a session or more than three times in a week; at
least four distinct movements per session; the same main pattern never on consecutive training
days; the estimated time within ``max_session_minutes``.

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

from alloy.catalogue.regions import loads_any
from alloy.generator.model import (
    Block,
    CatalogueSnapshot,
    ExercisePlan,
    Goal,
    MovementFacts,
    NoEligibleMovement,
    Plan,
    ProgramSpec,
    Relaxation,
    ScoringRules,
    SessionPlan,
    WeekPlan,
)
from alloy.generator.prescription import Dose, dose_for, hold, progressed, work_for
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
from alloy.generator.timing import (
    COOLDOWN_SET_SECONDS,
    FINISHER_ROUNDS,
    MIN_DISTINCT,
    WARMUP_SET_SECONDS,
    Choice,
    Finisher,
    Item,
    TimedSession,
)

MAX_PER_WEEK = 3
# A main slot ranks qualifying movements by tier before score: a primary lift the equipment allows
# is never displaced by a variant or an accessory (the ranks are above any score, which is <= 1).
MAIN_TIER_RANK = {"primary": 2.0, "secondary": 1.0, "accessory": 0.0}
REPEATED_MAIN_LIFT = 1.5  # another primary of the pattern before a lift already main this week
PRIMARY_AS_ACCESSORY = 1.0  # accessory slots leave the big lifts to the main slots when they can
LAST_BLOCKS_ACCESSORY = 0.3  # a new block rotates an accessory when another one qualifies
MAX_FINISHER_MINUTES = 20  # and at most a third of the session
NEVER_STAND_IN = frozenset({"mobility", "cardio"})  # patterns no strength slot relaxes into


def build_plan(spec: ProgramSpec, catalogue: CatalogueSnapshot, scoring: ScoringRules) -> Plan:
    return _Builder(spec, catalogue, scoring).build()


# A session's exercises (work and time), its time in seconds and its relaxations.
_Dosed = tuple[tuple[ExercisePlan, ...], int, tuple[Relaxation, ...]]


@dataclass
class _SessionChoices:
    focus: Focus
    warmup: list[Choice]
    main: list[Choice]
    accessories: list[Choice]  # in the order the time budget keeps them
    extras: list[Choice]  # used only when the time budget has room
    cooldown: list[Choice]
    finisher: Finisher | None
    relaxations: list[Relaxation] = field(default_factory=list)
    # Dosed and timed, by (deload, main dose, accessory dose): the weeks of a block that share
    # these choices and their doses (every loading week under double progression) share the
    # outcome, which depends on nothing else.
    dosed: dict[tuple[bool, Dose, Dose], _Dosed] = field(default_factory=dict, repr=False, compare=False)

    @property
    def main_pattern(self) -> str:
        return self.main[0].movement.pattern


class _Builder:
    def __init__(self, spec: ProgramSpec, catalogue: CatalogueSnapshot, scoring: ScoringRules) -> None:
        self.spec = spec
        self.scoring = scoring
        self.scorer = Scorer(spec, scoring.weights)
        available = spec.equipment | {"bodyweight"}
        # In id order, so the plan does not depend on the order the catalogue was read in.
        self.allowed = sorted(
            (
                m
                for m in catalogue.movements
                if m.id not in spec.hard_no
                and m.equipment <= available
                and not loads_any(m, spec.avoid_regions)
            ),
            key=lambda m: m.id,
        )
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
        # (focus, session block, slot) → the last pick and the training block it was made in
        self.memory: dict[tuple[str, str, int], tuple[uuid.UUID, int]] = {}
        self.training_block = 0  # which run of loading weeks (and its deload) is being chosen
        self.week_choices: dict[tuple[tuple[str, ...], str | None, int], list[_SessionChoices]] = {}
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
            self.training_block = (number - 1) // spec.deload_every_n_weeks
            key = (foci, previous_main, self.training_block)
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
        main_lifts: set[uuid.UUID] = set()  # the week's main lifts so far
        pins = self._place_hard_yes(foci)
        for day_pins in pins:  # counted up front, so no earlier day uses up their weekly allowance
            counts.update(pin.id for pin in day_pins)
        week = []
        for day, name in enumerate(foci):
            choices = _SessionChooser(self, FOCI[name], counts, pins[day], main_lifts).choose(previous_main)
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

    def _pick(
        self,
        focus: str,
        index: int,
        slot: Slot,
        used: set[uuid.UUID],
        covered: frozenset[str],
        counts: Counter[uuid.UUID],
        avoid: str | None,
        main_lifts: frozenset[uuid.UUID] = frozenset(),
    ) -> Choice | None:
        """The best qualifying movement for the slot, relaxing step by step; None when even
        reduced volume is the answer (the slot is dropped).

        Among qualifying movements the rank is the score plus: the same pick as before (main
        lifts stay for the whole program so progression acts on them; an accessory stays for its
        training block and rotates in the next when another qualifies); in a main slot the tier
        first, and another primary before a lift already main this week; in an accessory slot
        anything before a primary lift."""
        memory_key = (focus, slot.block.value, index)
        remembered_id, since = self.memory.get(memory_key, (None, 0))
        remembered = None if remembered_id is None else self.by_id.get(remembered_id)
        rotate = slot.block is Block.ACCESSORY and since != self.training_block
        score_of = self.scorer.for_slot(slot).score
        qualifying, jitter = self.scoring.qualifying_score, self.jitter
        main, accessory = slot.block is Block.MAIN, slot.block is Block.ACCESSORY
        for relaxation, pool, lower, accept_any in self._steps(slot, used, counts, avoid):
            # Only the best and the runner-up need their dimensions (for the reason): the loop
            # ranks by the remembered score and builds those two afterwards.
            best: MovementFacts | None = None
            runner_up: MovementFacts | None = None
            best_score = 0.0
            best_rank = runner_up_rank = -1e9
            for movement in pool:
                score = score_of(movement, covered, lower)
                if score < qualifying and not accept_any:
                    continue
                rank = score + jitter[movement.id]
                if movement is remembered:
                    rank += -LAST_BLOCKS_ACCESSORY if rotate else 1.0
                if main:
                    rank += 2 * MAIN_TIER_RANK[movement.tier]
                    rank -= REPEATED_MAIN_LIFT if movement.id in main_lifts else 0.0
                elif accessory and movement.tier == "primary":
                    rank -= PRIMARY_AS_ACCESSORY
                if rank > best_rank:
                    if best is not None:
                        runner_up, runner_up_rank = best, best_rank
                    best, best_score, best_rank = movement, score, rank
                elif rank > runner_up_rank:
                    runner_up, runner_up_rank = movement, rank
            if best is not None:
                self.memory[memory_key] = (best.id, self.training_block)
                if slot.block in (Block.WARMUP, Block.COOLDOWN):
                    # not scored: chosen for the day's pattern
                    return Choice(slot, best, None, None, relaxation)
                dimensions = self.scorer.dimensions(slot, best, covered)
                against = None if runner_up is None else self.scorer.dimensions(slot, runner_up, covered)
                choice = Choice(slot, best, dimensions, best_score, relaxation)
                choice.deciding = self.scorer.deciding(dimensions, against)
                return choice
        return None

    def _steps(
        self, slot: Slot, used: set[uuid.UUID], counts: Counter[uuid.UUID], avoid: str | None
    ) -> Iterator[tuple[Relaxation | None, list[MovementFacts], bool, bool]]:
        """(relaxation, candidates, lower discipline weight, accept below the qualifying score),
        each pool built only when the step before it found nothing."""

        count = counts.get

        def eligible(movement: MovementFacts) -> bool:
            return (
                movement.pattern != avoid and movement.id not in used and count(movement.id, 0) < MAX_PER_WEEK
            )

        # The first pool is built for every slot: the test inlined, not called per movement.
        exact = [
            m
            for pattern in slot.patterns
            for m in self.by_pattern.get(pattern, ())
            if m.pattern != avoid and m.id not in used and count(m.id, 0) < MAX_PER_WEEK
        ]
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

    def _filler(
        self,
        focus: Focus,
        used: set[uuid.UUID],
        counts: Counter[uuid.UUID],
        *,
        slot: Slot | None = None,
        avoid: str | None = None,
    ) -> Choice | None:
        """The best eligible movement for the day's muscles, qualifying or not (reduced volume)."""
        slot = slot or Slot(Block.ACCESSORY, focus.accessories[0].patterns, focus.muscles)
        best: Choice | None = None
        best_rank = -1.0
        for movement in self.allowed:
            if movement.id in used or counts[movement.id] >= MAX_PER_WEEK or movement.pattern == avoid:
                continue
            if movement.pattern == "mobility":
                continue
            dimensions = self.scorer.dimensions(slot, movement, frozenset())
            score = self.scorer.score(dimensions)
            if score + self.jitter[movement.id] > best_rank:
                best = Choice(slot, movement, dimensions, score, Relaxation.REDUCED_VOLUME)
                best_rank = score + self.jitter[movement.id]
        return best

    def _choose_finisher(self, used: set[uuid.UUID], counts: Counter[uuid.UUID]) -> Finisher | None:
        """Fat loss: a benchmark circuit that fits (rotating through them); endurance, or no
        circuit fits the equipment: intervals of the best conditioning movement left."""
        if not self.finishers:
            return None
        self.finisher_counter += 1
        circuits = [  # a circuit's movements count like any other: once a session, three a week
            circuit
            for circuit in self.circuits
            if not used.intersection(circuit.movement_ids)
            and all(counts[m] + circuit.movement_ids.count(m) <= MAX_PER_WEEK for m in circuit.movement_ids)
        ]
        if circuits and self.spec.weight_of(Goal.FAT_LOSS) >= 3:
            circuit = circuits[(self.spec.seed + self.finisher_counter) % len(circuits)]
            used.update(circuit.movement_ids)
            counts.update(circuit.movement_ids)
            return Finisher(circuit=circuit, movement=None, rounds=1)
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
        return Finisher(circuit=None, movement=movement, rounds=FINISHER_ROUNDS[0])

    # --- dosing and timing ---------------------------------------------------------------------

    def _session(
        self, week: int, day: int, when: date, choices: _SessionChoices, deload: bool, week_in_block: int
    ) -> SessionPlan:
        spec = self.spec
        # A deload week is the week before it, lighter: the same exercises, fewer sets, capped
        # effort, no finisher; the time it frees stays free.
        loading_week = max(0, week_in_block - 1) if deload else week_in_block
        main_dose = progressed(dose_for(spec, Block.MAIN), spec.progression_style, loading_week)
        accessory_dose = progressed(dose_for(spec, Block.ACCESSORY), spec.progression_style, loading_week)
        key = (deload, main_dose, accessory_dose)
        if key not in choices.dosed:
            choices.dosed[key] = self._dosed(choices, deload, main_dose, accessory_dose)
        exercises, seconds, relaxations = choices.dosed[key]
        return SessionPlan(
            week_number=week,
            day_number=day,
            scheduled_date=when,
            focus=choices.focus.name,
            main_pattern=choices.main_pattern,
            exercises=exercises,
            estimated_minutes=-(-seconds // 60),
            relaxations=relaxations,
        )

    def _dosed(self, choices: _SessionChoices, deload: bool, main_dose: Dose, accessory_dose: Dose) -> _Dosed:
        """The session's exercises with their work and time, its time, and its relaxations."""
        budget = self.spec.max_session_minutes * 60
        warmup = [Item(c, hold(WARMUP_SET_SECONDS)) for c in choices.warmup]
        cooldown = [Item(c, hold(COOLDOWN_SET_SECONDS)) for c in choices.cooldown]
        main = [Item(c, work_for(c.movement, main_dose)) for c in choices.main]
        accessories = [Item(c, work_for(c.movement, accessory_dose)) for c in choices.accessories]
        finisher = None if choices.finisher is None else replace(choices.finisher)
        session = TimedSession(warmup, main, accessories, cooldown, finisher)
        session.fit(budget)
        session.fill(
            budget,
            [Item(c, work_for(c.movement, accessory_dose)) for c in choices.extras],
            main_dose,
            accessory_dose,
        )
        if deload:
            session.deload()
        relaxations = list(choices.relaxations)
        if session.reduced and Relaxation.REDUCED_VOLUME not in relaxations:
            relaxations.append(Relaxation.REDUCED_VOLUME)
        return tuple(session.exercises()), session.seconds(), tuple(relaxations)


class _SessionChooser:
    """One session's movements, chosen slot by slot. Its state is explicit: the movements the
    session uses, the muscles it covers, the relaxations it needed, and the week's counts it
    shares with the other sessions of the week."""

    def __init__(
        self,
        builder: _Builder,
        focus: Focus,
        counts: Counter[uuid.UUID],
        pins: list[MovementFacts],
        main_lifts: set[uuid.UUID],
    ) -> None:
        self.builder = builder
        self.focus = focus
        self.counts = counts
        self.main_lifts = main_lifts  # shared with the week's other sessions
        self.pins = list(pins)  # the day's hard_yes movements not placed yet
        self.used: set[uuid.UUID] = {pin.id for pin in pins}
        self.covered: set[str] = set()
        self.relaxations: list[Relaxation] = []

    def choose(self, previous_main: str | None) -> _SessionChoices:
        main = self._main(previous_main)
        accessories = self._accessories()
        extras = self._extras()
        warmup = self._warmup()
        cooldown = self._cooldown()
        finisher = self.builder._choose_finisher(self.used, self.counts)
        while len({c.movement.id for c in warmup + main + accessories + cooldown}) < MIN_DISTINCT:
            filler = self.builder._filler(self.focus, self.used, self.counts)
            if filler is None:
                break
            accessories.append(self._take(filler))  # its relaxation is reduced volume
        return _SessionChoices(
            focus=self.focus,
            warmup=warmup,
            main=main,
            accessories=accessories,
            extras=extras,
            cooldown=cooldown,
            finisher=finisher,
            relaxations=self.relaxations,
        )

    def _relaxed(self, step: Relaxation) -> None:
        if step not in self.relaxations:
            self.relaxations.append(step)

    def _take(self, choice: Choice) -> Choice:
        if choice.dimensions is not None and not choice.deciding:
            choice.deciding = self.builder.scorer.deciding(choice.dimensions)
        self.used.add(choice.movement.id)
        self.covered.add(choice.movement.primary_muscle)
        self.counts[choice.movement.id] += 1
        if choice.relaxation is not None:
            self._relaxed(choice.relaxation)
        return choice

    def _best(self, slot: Slot, index: int, avoid: str | None = None) -> Choice | None:
        """The best movement for the slot, taken; None when there is none (the slot is dropped)."""
        choice = self.builder._pick(
            self.focus.name,
            index,
            slot,
            self.used,
            frozenset(self.covered),
            self.counts,
            avoid,
            frozenset(self.main_lifts),
        )
        if choice is not None and slot.block is Block.MAIN:
            self.main_lifts.add(choice.movement.id)
        return None if choice is None else self._take(choice)

    def _pinned(self, slot: Slot, movement: MovementFacts) -> Choice:
        """A hard_yes movement in ``slot`` (already counted for the week)."""
        scorer = self.builder.scorer
        dimensions = scorer.dimensions(slot, movement, frozenset(self.covered))
        self.covered.add(movement.primary_muscle)
        return Choice(
            slot,
            movement,
            dimensions,
            scorer.score(dimensions),
            pinned=True,
            deciding=scorer.deciding(dimensions),
        )

    def _main(self, previous_main: str | None) -> list[Choice]:
        main: list[Choice] = []
        for index, slot in enumerate(self.focus.main):
            pin = next((pin for pin in self.pins if pin.pattern in slot.patterns), None)
            if pin is not None and not (index == 0 and pin.pattern == previous_main):
                self.pins.remove(pin)
                main.append(self._pinned(slot, pin))
            elif (choice := self._best(slot, index, previous_main if index == 0 else None)) is not None:
                main.append(choice)
        if not main or (previous_main is not None and main[0].movement.pattern == previous_main):
            main.insert(0, self._lead(previous_main))
        return main

    def _lead(self, previous_main: str | None) -> Choice:
        """A main movement whose pattern differs from yesterday's, when the focus's own could not
        be had: the best-scoring eligible compound, whatever its pattern."""
        slot = Slot(Block.MAIN, self.focus.main[0].patterns, self.focus.muscles)
        choice = self.builder._filler(self.focus, self.used, self.counts, slot=slot, avoid=previous_main)
        if choice is None:  # avoided regions (or equipment and hard_no rules) leave nothing
            raise NoEligibleMovement(self.focus.name)
        choice.relaxation = Relaxation.WIDER_PATTERN
        return self._take(choice)

    def _accessories(self) -> list[Choice]:
        """The hard_yes movements main did not take, then the focus's accessory slots (in the
        order the time budget keeps them)."""
        accessories = []
        for pin in self.pins:
            home = next(
                (s for s in self.focus.accessories if pin.pattern in s.patterns + s.wider_patterns), None
            )
            accessories.append(self._pinned(home or self.focus.accessories[0], pin))
        for index, slot in enumerate(self.focus.accessories):
            if any(pin.pattern in slot.patterns for pin in self.pins):
                continue  # a hard_yes movement fills this slot
            choice = self._best(slot, index)
            if choice is None:
                self._relaxed(Relaxation.REDUCED_VOLUME)
            else:
                accessories.append(choice)
        return accessories

    def _extras(self) -> list[Choice]:
        """Accessories used only when the time budget has room; a relaxed one is taken (so no
        other slot uses it) but not offered."""
        first = len(self.focus.accessories)
        taken = [self._best(slot, first + index) for index, slot in enumerate(self.focus.extras)]
        return [choice for choice in taken if choice is not None and choice.relaxation is None]

    def _warmup(self) -> list[Choice]:
        slot = replace(WARMUP, muscles=self.focus.muscles)  # mobility for the muscles of the day
        warmup = [choice for choice in (self._best(slot, 0), self._best(slot, 1)) if choice is not None]
        if self.builder.primer and not self.focus.conditioning:
            primer = self._best(PRIMER, 0)
            if primer is not None and primer.relaxation is None:
                warmup.append(primer)
        return warmup

    def _cooldown(self) -> list[Choice]:
        choice = self._best(replace(COOLDOWN, muscles=self.focus.muscles), 0)
        return [] if choice is None else [choice]
