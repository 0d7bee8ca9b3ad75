"""Which body regions a movement loads: the one place this is decided.

The catalogue records a movement's pattern and muscles, not joint stress, so the regions are
derived from those facts:

- the joints its pattern loads (a squat the knees and hips, a hinge the lower back and hips, a
  press the shoulders and elbows …);
- the region of its primary muscle and of each secondary muscle (quadriceps → knees, front delts
  → shoulders, lower back → lower back …), except the trunk and grip muscles that brace or hold in
  almost every lift (abs, obliques and forearms as *secondary* muscles): counting those would make
  ``core`` and ``wrists`` rule out nearly the whole catalogue. As a primary muscle they count.

It is deliberately generous: a region is loaded when the movement works it at all, because the
profile's ``avoid_regions`` means "keep load off", and a sore region is better left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from alloy.catalogue.vocabulary import BodyRegion as R

PATTERN_REGIONS: dict[str, frozenset[R]] = {
    "squat": frozenset({R.KNEES, R.HIPS}),
    "lunge": frozenset({R.KNEES, R.HIPS}),
    "hinge": frozenset({R.LOWER_BACK, R.HIPS}),
    "horizontal_push": frozenset({R.SHOULDERS, R.ELBOWS}),
    "vertical_push": frozenset({R.SHOULDERS, R.ELBOWS}),
    "horizontal_pull": frozenset({R.UPPER_BACK, R.ELBOWS}),
    "vertical_pull": frozenset({R.SHOULDERS, R.ELBOWS}),
    "carry": frozenset({R.CORE, R.WRISTS}),
    "core": frozenset({R.CORE}),
    "rotation": frozenset({R.CORE}),
    "plyometric": frozenset({R.KNEES, R.ANKLES}),
    "olympic": frozenset({R.LOWER_BACK, R.HIPS, R.KNEES, R.SHOULDERS, R.WRISTS}),
    # isolation, conditioning, cardio and mobility: their muscles say it
}

MUSCLE_REGIONS: dict[str, frozenset[R]] = {
    "quadriceps": frozenset({R.KNEES}),
    "hamstrings": frozenset({R.HIPS, R.KNEES}),
    "glutes": frozenset({R.HIPS}),
    "adductors": frozenset({R.HIPS}),
    "abductors": frozenset({R.HIPS}),
    "hip_flexors": frozenset({R.HIPS}),
    "calves": frozenset({R.ANKLES}),
    "chest": frozenset({R.CHEST}),
    "lats": frozenset({R.UPPER_BACK}),
    "upper_back": frozenset({R.UPPER_BACK}),
    "traps": frozenset({R.UPPER_BACK, R.NECK}),
    "lower_back": frozenset({R.LOWER_BACK}),
    "front_delts": frozenset({R.SHOULDERS}),
    "side_delts": frozenset({R.SHOULDERS}),
    "rear_delts": frozenset({R.SHOULDERS}),
    "biceps": frozenset({R.ELBOWS}),
    "triceps": frozenset({R.ELBOWS}),
    "forearms": frozenset({R.WRISTS}),
    "abs": frozenset({R.CORE}),
    "obliques": frozenset({R.CORE}),
    "neck": frozenset({R.NECK}),
    "cardiovascular": frozenset(),
}

STABILISERS = frozenset({"abs", "obliques", "forearms"})  # not counted as secondary muscles


class HasMuscles(Protocol):
    @property
    def pattern(self) -> str: ...
    @property
    def primary_muscle(self) -> str: ...
    @property
    def secondary_muscles(self) -> Iterable[str]: ...


def regions_loaded(movement: HasMuscles) -> frozenset[R]:
    """The regions ``movement`` loads (see the module's rules)."""
    regions = set(PATTERN_REGIONS.get(movement.pattern, ()))
    regions |= MUSCLE_REGIONS.get(movement.primary_muscle, frozenset())
    for muscle in movement.secondary_muscles:
        if muscle not in STABILISERS:
            regions |= MUSCLE_REGIONS.get(muscle, frozenset())
    return frozenset(regions)


def loads_any(movement: HasMuscles, regions: Iterable[str]) -> bool:
    wanted = set(regions)
    return bool(wanted) and not wanted.isdisjoint(regions_loaded(movement))
