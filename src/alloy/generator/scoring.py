"""The seven scoring dimensions. Each is a number in [0, 1]; a movement's score for a slot is their
weighted mean under the scoring configuration in force, and it qualifies at ``qualifying_score``.

- pattern_alignment: 1 for the slot's own pattern, 0.6 for a compatible one, 0.3 when it only
  trains the slot's muscles.
- muscle_coverage: its primary muscle is one the slot targets (1) or a synergist (0.5), less when
  the session already trained it; secondary muscles in the slot add a little.
- discipline_preference: the share of the program's discipline weights the movement belongs to
  (the program's disciplines, or those its goals imply when it names none).
- compound_bonus: multi-joint movements in main and finisher slots; neutral for accessories.
- specialization: 1 for the user's `preferred` and `hard_yes` movements; otherwise how central the
  movement is to the program's main discipline: the weight of its heaviest discipline in the
  program over the program's heaviest (a powerlifting movement in a powerlifting-led program is 1,
  whatever else it is also used for; a movement of none of the program's disciplines is 0).
- goal_alignment: how well the movement serves the goals, by goal weight.
- time_utilization: quick to set up and to do when sessions are short (barbell set-ups and
  one-side-at-a-time movements cost time); no penalty at an hour or more.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping

from alloy.generator.model import Block, Goal, MovementFacts, ProgramSpec
from alloy.generator.structure import Slot

# What a program's goals imply about disciplines, when the program names none.
GOAL_DISCIPLINES: dict[Goal, tuple[str, ...]] = {
    Goal.STRENGTH: ("powerlifting", "strongman", "general"),
    Goal.HYPERTROPHY: ("bodybuilding", "general"),
    Goal.ENDURANCE: ("running", "crossfit", "general"),
    Goal.FAT_LOSS: ("crossfit", "general"),
    Goal.MOBILITY: ("yoga", "calisthenics", "general"),
    Goal.EXPLOSIVENESS: ("olympic_weightlifting", "crossfit"),
    Goal.SPEED: ("running", "olympic_weightlifting"),
}
CONDITIONING_PATTERNS = frozenset({"conditioning", "cardio"})
SETUP_PENALTY = {"barbell": 0.6, "squat_rack": 0.6, "trap_bar": 0.5, "sled": 0.5, "smith_machine": 0.4}
MACHINE_PENALTY = 0.3
LIGHT_PENALTY = 0.15


def _strength(m: MovementFacts) -> float:
    if m.pattern in CONDITIONING_PATTERNS or m.pattern == "mobility":
        return 0.1
    if m.compound and m.metric_type == "reps":
        return min(1.0, 0.6 + 0.1 * m.cns_load)
    return 0.3


def _hypertrophy(m: MovementFacts) -> float:
    if m.metric_type != "reps" or m.pattern in CONDITIONING_PATTERNS | {"mobility"}:
        return 0.15
    if m.pattern == "olympic":
        return 0.3
    return 1.0 if m.pattern == "isolation" else 0.8


def _endurance(m: MovementFacts) -> float:
    if m.pattern in CONDITIONING_PATTERNS:
        return 1.0
    if m.pattern in ("carry", "plyometric"):
        return 0.7
    return 0.6 if m.compound and m.equipment <= {"bodyweight"} else 0.3


def _fat_loss(m: MovementFacts) -> float:
    if m.pattern in CONDITIONING_PATTERNS:
        return 1.0
    if m.pattern == "plyometric":
        return 0.8
    if m.pattern == "mobility":
        return 0.2
    return 0.7 if m.compound else 0.3


def _mobility(m: MovementFacts) -> float:
    if m.pattern == "mobility":
        return 1.0
    return 0.6 if m.unilateral or m.pattern in ("core", "rotation", "lunge") else 0.3


def _explosiveness(m: MovementFacts) -> float:
    if m.pattern in ("olympic", "plyometric"):
        return 1.0
    return 0.6 if m.compound and m.cns_load >= 3 else 0.2


def _speed(m: MovementFacts) -> float:
    if m.pattern == "plyometric":
        return 1.0
    if m.pattern in ("olympic", "cardio"):
        return 0.8
    return 0.2


GOAL_AFFINITY: dict[Goal, Callable[[MovementFacts], float]] = {
    Goal.STRENGTH: _strength,
    Goal.HYPERTROPHY: _hypertrophy,
    Goal.ENDURANCE: _endurance,
    Goal.FAT_LOSS: _fat_loss,
    Goal.MOBILITY: _mobility,
    Goal.EXPLOSIVENESS: _explosiveness,
    Goal.SPEED: _speed,
}


def discipline_weights(spec: ProgramSpec) -> dict[str, float]:
    if spec.disciplines:
        return {name: float(weight) for name, weight in spec.disciplines.items() if weight > 0}
    implied: dict[str, float] = {}
    for goal, weight in spec.goals.items():
        for discipline in GOAL_DISCIPLINES[goal]:
            implied[discipline] = implied.get(discipline, 0.0) + weight
    return implied


class Scorer:
    """Scores movements for slots under one program and one scoring configuration."""

    def __init__(self, spec: ProgramSpec, weights: Mapping[str, float]) -> None:
        self.spec = spec
        self.weights = dict(weights)
        self.disciplines = discipline_weights(spec)
        self._discipline_total = sum(self.disciplines.values()) or 1.0
        self._tightness = min(1.0, max(0.0, (60 - spec.max_session_minutes) / 45))
        # Keyed by the movement's id: hashing the whole frozen MovementFacts on every lookup cost
        # more than the scoring it saves.
        self._static: dict[tuple[Slot, uuid.UUID], dict[str, float]] = {}
        self._own: dict[uuid.UUID, tuple[float, float, float, float]] = {}
        self._slots: dict[Slot, SlotScores] = {}

    def dimensions(self, slot: Slot, movement: MovementFacts, covered: frozenset[str]) -> dict[str, float]:
        key = (slot, movement.id)
        static = self._static.get(key)
        if static is None:
            static = self._static[key] = self._static_dimensions(slot, movement)
        return {**static, "muscle_coverage": self._coverage(slot, movement, covered)}

    def for_slot(self, slot: Slot) -> SlotScores:
        """The slot's scores, remembered for the program (see ``SlotScores``)."""
        scores = self._slots.get(slot)
        if scores is None:
            scores = self._slots[slot] = SlotScores(self, slot)
        return scores

    def score(self, dimensions: Mapping[str, float], *, lower_discipline_weight: bool = False) -> float:
        weights = self.weights
        if lower_discipline_weight:
            weights = {
                **weights,
                "discipline_preference": weights["discipline_preference"] / 2,
                "specialization": weights["specialization"] / 2,
            }
        total = sum(weights.values())
        return sum(weights[name] * dimensions[name] for name in weights) / total if total else 0.0

    def deciding(
        self, dimensions: Mapping[str, float], against: Mapping[str, float] | None = None, count: int = 2
    ) -> tuple[str, ...]:
        """The dimensions that decided a choice: where it beat the runner-up most (weight times the
        difference), or, without a runner-up, where it scored most; heaviest first."""

        def weighed(name: str) -> float:
            value = dimensions[name] - (against[name] if against is not None else 0.0)
            return self.weights.get(name, 0.0) * value

        ranked = sorted((name for name in dimensions if weighed(name) > 0), key=lambda n: (-weighed(n), n))
        return tuple(ranked[:count])

    def _static_dimensions(self, slot: Slot, m: MovementFacts) -> dict[str, float]:
        own = self._own.get(m.id)
        if own is None:
            own = self._own[m.id] = self._own_dimensions(m)
        discipline, specialization, goal, time = own
        return {
            "pattern_alignment": self._pattern(slot, m),
            "discipline_preference": discipline,
            "compound_bonus": (1.0 if m.compound else 0.0) if slot.block is not Block.ACCESSORY else 0.5,
            "specialization": specialization,
            "goal_alignment": goal,
            "time_utilization": time,
        }

    def _own_dimensions(self, m: MovementFacts) -> tuple[float, float, float, float]:
        """The dimensions that depend on the movement and the program, not on the slot."""
        goal = sum(weight * GOAL_AFFINITY[goal](m) for goal, weight in self.spec.goals.items()) / max(
            1, sum(self.spec.goals.values())
        )
        return self._discipline(m), self._specialization(m), goal, self._time(m)

    @staticmethod
    def _pattern(slot: Slot, m: MovementFacts) -> float:
        if m.pattern in slot.patterns:
            return 1.0
        if m.pattern in slot.wider_patterns:
            return 0.6
        return 0.3 if m.primary_muscle in slot.muscles else 0.0

    @staticmethod
    def _coverage(slot: Slot, m: MovementFacts, covered: frozenset[str]) -> float:
        if not slot.muscles:
            return 1.0  # warm-up and cool-down slots target no muscle
        if m.primary_muscle in slot.muscles:
            base = 1.0
        elif m.primary_muscle in slot.synergists:
            base = 0.5
        else:
            base = 0.0
        if m.primary_muscle in covered:
            base *= 0.6
        bonus = 0.1 * sum(muscle in slot.muscles for muscle in m.secondary_muscles)
        return min(1.0, base + bonus)

    def _discipline(self, m: MovementFacts) -> float:
        return min(1.0, sum(self.disciplines.get(d, 0.0) for d in m.disciplines) / self._discipline_total)

    def _specialization(self, m: MovementFacts) -> float:
        if m.id in self.spec.preferred or m.id in self.spec.hard_yes:
            return 1.0
        heaviest = max(self.disciplines.values(), default=0.0)
        if not heaviest:
            return 0.0
        return max((self.disciplines.get(d, 0.0) for d in m.disciplines), default=0.0) / heaviest

    def _time(self, m: MovementFacts) -> float:
        penalty = max(
            (
                SETUP_PENALTY.get(
                    item,
                    MACHINE_PENALTY
                    if item in ("machine", "cable")
                    else 0.0
                    if item == "bodyweight"
                    else LIGHT_PENALTY,
                )
                for item in m.equipment
            ),
            default=0.0,
        )
        if m.unilateral:
            penalty += 0.3
        return 1.0 - self._tightness * min(1.0, penalty)


class SlotScores:
    """A slot's scores under one program. Within a program a movement's score for a slot changes
    only with whether the session already trained its primary muscle (muscle coverage) and with
    the lower discipline weight of a relaxation step, so each of those four is computed once, by
    ``Scorer.dimensions`` and ``Scorer.score`` themselves: the same number, not a re-derivation."""

    __slots__ = ("_scorer", "_scores", "slot")

    def __init__(self, scorer: Scorer, slot: Slot) -> None:
        self._scorer = scorer
        self.slot = slot
        # Keyed by the id's integer: a UUID hashes in Python, an int does not.
        self._scores: dict[tuple[int, bool, bool], float] = {}

    def score(self, movement: MovementFacts, covered: frozenset[str], lower: bool) -> float:
        """``Scorer.score`` of the movement's dimensions, ``lower``: with the lower discipline weight."""
        key = (movement.id.int, movement.primary_muscle in covered, lower)
        score = self._scores.get(key)
        if score is None:
            dimensions = self._scorer.dimensions(self.slot, movement, covered)
            score = self._scores[key] = self._scorer.score(dimensions, lower_discipline_weight=lower)
        return score
