"""A session's time budget: trim until it fits ``max_session_minutes``, then fill the room left;
and the session's exercises as the plan states them, each with its share of the time.

Trimming, least important first: a shorter finisher, no finisher, fewer accessory sets,
accessories in supersets, fewer accessories (never below four distinct movements, never a
``hard_yes`` one), fewer main sets, mains in a superset, shorter rests, one warm-up movement,
single sets, shorter holds. Filling: extra accessories, then one set more on each exercise.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from alloy.generator.model import Block, CircuitFacts, ExercisePlan, MovementFacts, Relaxation
from alloy.generator.prescription import Dose, Work, deloaded, exercise_seconds, hold, superset_seconds
from alloy.generator.structure import Slot

MIN_DISTINCT = 4
TRANSITION_SECONDS = 30  # moving between exercises
WARMUP_SET_SECONDS = 60
COOLDOWN_SET_SECONDS = 60
MIN_REST_SECONDS = 30
FINISHER_INTERVAL = (30, 30)  # seconds on, seconds off, for a finisher built from one movement
FINISHER_ROUNDS = (8, 4)  # most and fewest rounds


@dataclass(slots=True)
class Choice:
    slot: Slot
    movement: MovementFacts
    dimensions: dict[str, float] | None
    score: float | None
    relaxation: Relaxation | None = None
    pinned: bool = False
    deciding: tuple[str, ...] = ()  # the dimensions that weighed most in its score
    # How the plan states it (block, reason, rounded score and dimensions), worked out once: a
    # week's choices serve every week of their training block.
    stated: tuple[Block, str, float | None, dict[str, float] | None] | None = field(
        default=None, repr=False, compare=False
    )


@dataclass(slots=True)
class Item:
    choice: Choice
    work: Work
    superset: str | None = None
    # The time of ``timed_work`` on its own, remembered: trimming and filling ask for the session's
    # time after every step, and most steps leave most items' work as it was.
    timed_work: Work | None = field(default=None, repr=False, compare=False)
    timed_seconds: int = field(default=0, repr=False, compare=False)

    def seconds(self) -> int:
        """``exercise_seconds`` of its movement and work (rests included, no transition)."""
        if self.timed_work is not self.work:
            self.timed_seconds = exercise_seconds(self.choice.movement, self.work)
            self.timed_work = self.work
        return self.timed_seconds


@dataclass(slots=True)
class Finisher:
    circuit: CircuitFacts | None
    movement: MovementFacts | None
    rounds: int

    def seconds(self) -> int:
        if self.circuit is not None:
            return (self.circuit.minutes or 0) * 60 + TRANSITION_SECONDS
        on, off = FINISHER_INTERVAL
        return self.rounds * (on + off) + TRANSITION_SECONDS


class TimedSession:
    """A session's items and the time-budget rules: trim until it fits, then fill the room left."""

    def __init__(
        self,
        warmup: list[Item],
        main: list[Item],
        accessories: list[Item],
        cooldown: list[Item],
        finisher: Finisher | None,
    ) -> None:
        self.warmup = warmup
        self.main = main
        self.accessories = accessories
        self.cooldown = cooldown
        self.finisher = finisher
        self.reduced = False

    def _pairs(self, items: list[Item]) -> list[list[Item]]:
        groups: dict[str, list[Item]] = {}
        out: list[list[Item]] = []
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
            timed[id(item)] = item.seconds() + TRANSITION_SECONDS // 2
        for group in self._pairs(self.main) + self._pairs(self.accessories):
            if len(group) == 2:
                a, b = group
                total = superset_seconds((a.choice.movement, a.work), (b.choice.movement, b.work))
                first = exercise_seconds(a.choice.movement, a.work, rests=False)
                shared = total - first - exercise_seconds(b.choice.movement, b.work, rests=False)
                timed[id(a)] = first + shared // 2 + TRANSITION_SECONDS // 2
                timed[id(b)] = total - first - shared // 2 + TRANSITION_SECONDS - TRANSITION_SECONDS // 2
            else:
                timed[id(group[0])] = group[0].seconds() + TRANSITION_SECONDS
        if self.finisher is not None:
            timed[id(self.finisher)] = self.finisher.seconds()
        return timed

    def seconds(self) -> int:
        """The sum of ``timings()``, without the per-item split (a superset's two shares add up
        to its time and one transition): trimming and filling ask after every step."""
        total = 0
        for item in self.warmup:
            total += item.seconds() + TRANSITION_SECONDS // 2
        for item in self.cooldown:
            total += item.seconds() + TRANSITION_SECONDS // 2
        for items in (self.main, self.accessories):
            if all(item.superset is None for item in items):
                for item in items:
                    total += item.seconds() + TRANSITION_SECONDS
                continue
            for group in self._pairs(items):
                if len(group) == 2:
                    a, b = group
                    total += superset_seconds((a.choice.movement, a.work), (b.choice.movement, b.work))
                    total += TRANSITION_SECONDS
                else:
                    total += group[0].seconds() + TRANSITION_SECONDS
        if self.finisher is not None:
            total += self.finisher.seconds()
        return total

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

    def fill(self, budget: int, extras: list[Item], main_dose: Dose, accessory_dose: Dose) -> None:
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
                item.work = replace(item.work, sets=item.work.sets + 1)
                if self.seconds() > budget:
                    item.work = before
                    return

    def deload(self) -> None:
        """The same session, lighter: fewer sets, capped effort, no finisher."""
        for item in self.main + self.accessories:
            item.work = deloaded(item.work)
        self.finisher = None

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
    def _fewer_sets(items: list[Item], floor: int) -> bool:
        candidates = [item for item in items if item.work.sets > floor]
        if not candidates:
            return False
        item = max(reversed(candidates), key=lambda i: i.work.sets)
        item.work = replace(item.work, sets=item.work.sets - 1)
        return True

    @staticmethod
    def _superset(items: list[Item], label: str) -> bool:
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
                item.work = replace(
                    item.work, rest_seconds=max(MIN_REST_SECONDS, item.work.rest_seconds // 2)
                )
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
                item.work = hold(30)
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
                out.append(exercise_plan(block, len(out) + 1, item, timed[id(item)]))
        if self.finisher is not None:
            out.append(finisher_plan(len(out) + 1, self.finisher))
        for item in self.cooldown:
            out.append(exercise_plan(Block.COOLDOWN, len(out) + 1, item, timed[id(item)]))
        return out


def reason_for(block: Block, choice: Choice) -> str:
    """The slot (block, pattern, muscles), the movement's tier and what decided it, in one line:
    "main: horizontal push for chest, triceps; a primary lift (main slots take primary lifts
    first); decided by pattern_alignment, compound_bonus"."""
    movement = choice.movement
    if block in (Block.WARMUP, Block.COOLDOWN):
        return f"{block.value}: {movement.pattern.replace('_', ' ')} for the day ahead"
    target = ", ".join(choice.slot.muscles) or movement.primary_muscle
    pattern = "/".join(p.replace("_", " ") for p in choice.slot.patterns)
    article = "an" if movement.tier == "accessory" else "a"
    reason = f"{block.value}: {pattern} for {target}; {article} {movement.tier} "
    reason += "lift" if movement.tier == "primary" else "movement"
    if block is Block.MAIN and movement.tier == "primary":
        reason += " (main slots take primary lifts first)"
    if choice.pinned:
        reason += " (your hard_yes movement)"
    if choice.relaxation is not None:
        reason += f" (relaxed: {choice.relaxation.value})"
    if choice.deciding:
        reason += f"; decided by {', '.join(choice.deciding)}"
    return reason


def _stated(block: Block, choice: Choice) -> tuple[Block, str, float | None, dict[str, float] | None]:
    stated = choice.stated
    if stated is None or stated[0] is not block:
        stated = choice.stated = (
            block,
            reason_for(block, choice),
            None if choice.score is None else round(choice.score, 4),
            None
            if choice.dimensions is None
            else {name: round(value, 4) for name, value in choice.dimensions.items()},
        )
    return stated


def exercise_plan(block: Block, position: int, item: Item, seconds: int) -> ExercisePlan:
    movement, work = item.choice.movement, item.work
    _, reason, score, dimensions = _stated(block, item.choice)
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
        score=score,
        dimensions=None if dimensions is None else dict(dimensions),
        reason=reason,
    )


def finisher_plan(position: int, finisher: Finisher) -> ExercisePlan:
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
