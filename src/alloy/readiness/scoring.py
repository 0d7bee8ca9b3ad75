"""The readiness score and its band, exactly as the spec gives them.

    score = round(mean(min(sleep_hours / 8, 1) · 100, energy · 10, 100 − stress · 10,
                       (5 − highest soreness) · 20))
    band  = low below 40, normal 40–75, high above 75

Computed in exact fractions and rounded half up, so 62.5 is 63 on every machine (Python's
``round`` would give 62, and binary floats can land either side of .5).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

FULL_NIGHT_HOURS = 8
LOW_BELOW = 40
HIGH_ABOVE = 75


class Band(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


def components(sleep_hours: float, energy: int, stress: int, soreness: Mapping[str, int]) -> list[Fraction]:
    """The four parts of the score, each 0–100."""
    sleep = Fraction(Decimal(str(sleep_hours)))  # the decimal the lifter typed, not its binary float
    highest = max(soreness.values(), default=0)
    return [
        min(sleep / FULL_NIGHT_HOURS, Fraction(1)) * 100,
        Fraction(energy * 10),
        Fraction(100 - stress * 10),
        Fraction((5 - highest) * 20),
    ]


def readiness_score(sleep_hours: float, energy: int, stress: int, soreness: Mapping[str, int]) -> int:
    parts = components(sleep_hours, energy, stress, soreness)
    return math.floor(sum(parts) / len(parts) + Fraction(1, 2))


def band_of(score: int) -> Band:
    if score < LOW_BELOW:
        return Band.LOW
    if score > HIGH_ABOVE:
        return Band.HIGH
    return Band.NORMAL
