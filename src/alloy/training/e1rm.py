"""Estimated one-rep max (e1RM) and its inverse, the load for given reps: pure functions.

The four formulas of the spec, on *effective* reps: the reps done plus the reps left in the tank
(``10 − rpe``, or ``rir``). One effective rep is the load itself under every formula. Only sets
with a load and 1–12 reps done get an estimate (beyond 12 the formulas stop meaning much).
"""

from __future__ import annotations

import math
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum

KG_PER_LB = 0.45359237  # exact, by definition of the pound
MIN_REPS, MAX_REPS = 1, 12


class Formula(StrEnum):
    EPLEY = "epley"
    BRZYCKI = "brzycki"
    LOMBARDI = "lombardi"
    OCONNER = "oconner"


def effective_reps(reps: int, rpe: float | None = None, rir: int | None = None) -> float:
    """Reps done plus reps in reserve: from the RPE when given, else the RIR, else none."""
    if rpe is not None:
        return reps + (10 - rpe)
    if rir is not None:
        return float(reps + rir)
    return float(reps)


def one_rep_max(formula: Formula, load: float, reps: float) -> float:
    """The unrounded estimate for ``load`` moved for ``reps`` effective reps (≥ 1)."""
    if reps == 1:
        return load
    if formula is Formula.EPLEY:
        return load * (1 + reps / 30)
    if formula is Formula.BRZYCKI:
        return load * 36 / (37 - reps)
    if formula is Formula.LOMBARDI:
        return load * math.pow(reps, 0.10)
    return load * (1 + reps / 40)


def load_for(formula: Formula, e1rm: float, reps: float) -> float:
    """The inverse of :func:`one_rep_max`: the load that ``reps`` effective reps estimate at ``e1rm``."""
    if reps == 1:
        return e1rm
    if formula is Formula.EPLEY:
        return e1rm / (1 + reps / 30)
    if formula is Formula.BRZYCKI:
        return e1rm * (37 - reps) / 36
    if formula is Formula.LOMBARDI:
        return e1rm / math.pow(reps, 0.10)
    return e1rm / (1 + reps / 40)


def rounded(value: float, step: str = "0.1") -> float:
    """Half up to ``step`` (0.1 kg for estimates, 0.01 for loads shown), on the decimal value."""
    return float(Decimal(repr(value)).quantize(Decimal(step), rounding=ROUND_HALF_UP))


def set_e1rm(
    formula: Formula,
    load_kg: float | None,
    reps: int | None,
    rpe: float | None = None,
    rir: int | None = None,
    completed: bool = True,
) -> float | None:
    """A set's e1RM in kg, rounded to 0.1 kg; None unless a completed set with a load and 1–12 reps."""
    if not completed or load_kg is None or load_kg <= 0 or reps is None or not MIN_REPS <= reps <= MAX_REPS:
        return None
    return rounded(one_rep_max(formula, load_kg, effective_reps(reps, rpe, rir)))


def to_kg(load: float, unit: str) -> float:
    return load * KG_PER_LB if unit == "lb" else load


def from_kg(load_kg: float, unit: str) -> float:
    """A load in ``unit``, to 0.01 (kg → lb → kg comes back exact to 0.01)."""
    return rounded(load_kg / KG_PER_LB if unit == "lb" else load_kg, "0.01")


def floor_to(value: float, step: float) -> float:
    """``value`` rounded down to a whole number of ``step`` (a plate increment)."""
    exact = Decimal(repr(value)) / Decimal(repr(step))
    return float(exact.quantize(Decimal(1), rounding=ROUND_FLOOR) * Decimal(repr(step)))


def e1rm_in(e1rm_kg: float, unit: str) -> float:
    """An estimate shown in ``unit``: to 0.1 of it."""
    return rounded(e1rm_kg / KG_PER_LB if unit == "lb" else e1rm_kg)
