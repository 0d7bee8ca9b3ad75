"""Prescriptions: sets, reps or time, effort and rest by goal and block; deloads, progression and
the time an exercise takes.

Goal effects, as the spec asks: strength gets low reps and long rests, hypertrophy moderate reps,
endurance and fat loss high reps and short rests (plus conditioning and finishers, decided by the
builder). The primary goal sets the main block; a second goal of weight 3 or more sets the
accessories, so a 6/4 strength/hypertrophy program lifts heavy first and pumps after — except in
an endurance- or fat-loss-led program, whose own high-rep band is for the accessories.

Every goal's reps sit inside its band (strength main 1–6, hypertrophy 6–12, endurance and fat-loss
accessories 12–20), and then inside the movement's own range: the two ranges are intersected, and
when they do not meet the movement's range wins (the end of it nearest the goal's) — a movement's
range is what can be done well, so nothing is prescribed outside it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from alloy.catalogue.vocabulary import EXPLOSIVE_MAX_REPS, EXPLOSIVE_PATTERNS
from alloy.generator.model import Block, Goal, MovementFacts, ProgramSpec, ProgressionStyle


@dataclass(frozen=True, slots=True)
class Dose:
    sets: int
    reps: tuple[int, int]
    rest_seconds: int
    rpe: float
    work_seconds: int = 40  # for movements measured in time


MAIN_DOSE = {
    Goal.STRENGTH: Dose(5, (3, 5), 180, 8.0),
    Goal.HYPERTROPHY: Dose(4, (6, 10), 120, 8.0),
    Goal.ENDURANCE: Dose(3, (12, 15), 60, 7.0, 60),
    Goal.FAT_LOSS: Dose(3, (8, 12), 75, 7.5, 45),
    Goal.MOBILITY: Dose(3, (8, 12), 60, 6.5, 45),
    Goal.EXPLOSIVENESS: Dose(5, (3, 5), 150, 7.0, 20),
    Goal.SPEED: Dose(5, (2, 4), 150, 7.0, 15),
}
ACCESSORY_DOSE = {
    Goal.STRENGTH: Dose(3, (6, 8), 120, 8.0),
    Goal.HYPERTROPHY: Dose(3, (8, 12), 75, 8.5),
    Goal.ENDURANCE: Dose(2, (15, 20), 45, 7.0, 60),
    Goal.FAT_LOSS: Dose(3, (12, 15), 45, 8.0, 45),
    Goal.MOBILITY: Dose(2, (10, 15), 45, 6.5, 45),
    Goal.EXPLOSIVENESS: Dose(3, (6, 8), 90, 7.5, 20),
    Goal.SPEED: Dose(3, (6, 8), 90, 7.5, 20),
}
HIGH_REP_ACCESSORY_GOALS = frozenset({Goal.ENDURANCE, Goal.FAT_LOSS})
DELOAD_SET_FACTOR = 0.6  # volume cut by about 40%
DELOAD_RPE_CAP = 6.0
REP_SECONDS = 3  # a controlled repetition
# Seconds to set up a movement, by the most involved equipment it needs.
SETUP_SECONDS = {"barbell": 60, "squat_rack": 60, "trap_bar": 45, "smith_machine": 45, "sled": 45}
DEFAULT_SETUP_SECONDS = 20
# Distance movements: a sensible distance per set, by pattern.
DISTANCE_METRES = {"carry": 40, "conditioning": 20, "cardio": 400}
METRES_PER_SECOND = {"carry": 1.0, "conditioning": 0.7, "cardio": 3.0}


def dose_for(spec: ProgramSpec, block: Block) -> Dose:
    if block is Block.MAIN:
        return MAIN_DOSE[spec.primary_goal]
    ranked = sorted(spec.goals, key=lambda goal: -spec.goals[goal])
    if spec.primary_goal in HIGH_REP_ACCESSORY_GOALS:  # their band is the accessories' (12-20)
        return ACCESSORY_DOSE[spec.primary_goal]
    secondary = ranked[1] if len(ranked) > 1 and spec.goals[ranked[1]] >= 3 else ranked[0]
    return ACCESSORY_DOSE[secondary]


def progressed(dose: Dose, style: ProgressionStyle, week_in_block: int) -> Dose:
    """This week's dose: progression within a block of loading weeks."""
    low, high = dose.reps
    step = min(week_in_block, 2)
    if style is ProgressionStyle.SINGLE:  # fixed reps, effort (load) climbing
        return replace(dose, reps=(low, low), rpe=min(9.5, dose.rpe + 0.5 * step))
    if style is ProgressionStyle.WAVE_LOADING:  # each week of a three-week wave heavier, fewer reps
        wave = week_in_block % 3
        return replace(
            dose,
            reps=(max(1, low - wave), max(1, high - 2 * wave)),
            rpe=min(9.5, dose.rpe + 0.5 * wave),
        )
    return dose  # double progression: the same range; reps climb, then the load


@dataclass(frozen=True, slots=True, kw_only=True)
class Work:
    """One exercise's prescription as the builder writes it: reps, a duration or a distance."""

    sets: int
    reps_min: int | None = None
    reps_max: int | None = None
    duration_seconds: int | None = None
    distance_m: int | None = None
    rpe: float | None = None
    rest_seconds: int

    @property
    def rir(self) -> int | None:
        return None if self.rpe is None else max(0, round(10 - self.rpe))


def deloaded(work: Work) -> Work:
    """A deload of a loading week's exercise: about 40% fewer sets, effort capped."""
    return replace(
        work,
        sets=max(1, round(work.sets * DELOAD_SET_FACTOR)),
        rpe=None if work.rpe is None else min(work.rpe, DELOAD_RPE_CAP),
    )


def work_for(movement: MovementFacts, dose: Dose) -> Work:
    if movement.metric_type == "time":
        return Work(
            sets=dose.sets, rpe=dose.rpe, rest_seconds=dose.rest_seconds, duration_seconds=dose.work_seconds
        )
    if movement.metric_type == "distance":
        return Work(
            sets=dose.sets,
            rpe=dose.rpe,
            rest_seconds=dose.rest_seconds,
            distance_m=DISTANCE_METRES.get(movement.pattern, 40),
        )
    low, high = reps_for(movement, dose.reps)
    return Work(sets=dose.sets, rpe=dose.rpe, rest_seconds=dose.rest_seconds, reps_min=low, reps_max=high)


def reps_for(movement: MovementFacts, goal: tuple[int, int]) -> tuple[int, int]:
    """The goal's reps within the movement's range; when they do not meet, the end of the
    movement's range nearest the goal's."""
    own_high = movement.rep_max or goal[1]
    if movement.pattern in EXPLOSIVE_PATTERNS:
        own_high = min(own_high, EXPLOSIVE_MAX_REPS)
    own_low = min(movement.rep_min or 1, own_high)
    low, high = (min(max(reps, own_low), own_high) for reps in goal)
    return low, high


def hold(seconds: int) -> Work:
    """One unloaded set held for ``seconds``, no rest: a warm-up or cool-down movement."""
    return Work(sets=1, duration_seconds=seconds, rest_seconds=0)


def set_seconds(movement: MovementFacts, work: Work) -> int:
    """Working time of one set."""
    if work.duration_seconds is not None:
        seconds = work.duration_seconds
    elif work.distance_m is not None:
        seconds = round(work.distance_m / METRES_PER_SECOND.get(movement.pattern, 1.0))
    else:
        seconds = (work.reps_max or 1) * REP_SECONDS
    return seconds * (2 if movement.unilateral else 1)


def setup_seconds(movement: MovementFacts) -> int:
    return max((SETUP_SECONDS.get(item, DEFAULT_SETUP_SECONDS) for item in movement.equipment), default=0)


def exercise_seconds(movement: MovementFacts, work: Work, *, rests: bool = True) -> int:
    """Setup, every set, and the rests between sets (none after the last)."""
    rest = work.rest_seconds * (work.sets - 1) if rests else 0
    return setup_seconds(movement) + work.sets * set_seconds(movement, work) + rest


def superset_seconds(first: tuple[MovementFacts, Work], second: tuple[MovementFacts, Work]) -> int:
    """Two exercises alternated: one rest per round, after both."""
    (a, work_a), (b, work_b) = first, second
    rounds = max(work_a.sets, work_b.sets)
    rest = max(work_a.rest_seconds, work_b.rest_seconds)
    return (
        setup_seconds(a)
        + setup_seconds(b)
        + work_a.sets * set_seconds(a, work_a)
        + work_b.sets * set_seconds(b, work_b)
        + rest * (rounds - 1)
    )
