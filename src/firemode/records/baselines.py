"""Stair-pressurisation readings against the standard's limits and the asset's baseline: pure.

Limits (AS 1851 stair pressurisation): pressure across a closed door 20–80 Pa, door opening force
at most 110 N, air velocity through an open door at least 1.0 m/s. A reading more than 10% from
the asset's commissioning baseline (when one is set) is a defect too, even within the limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

STAIR_PRESSURISATION = "stair_pressurisation"
BASELINE_TOLERANCE = 0.10


@dataclass(frozen=True, slots=True)
class Limit:
    unit: str
    low: float | None = None
    high: float | None = None

    def admits(self, value: float) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def describe(self) -> str:
        if self.low is not None and self.high is not None:
            return f"{self.low:g}–{self.high:g} {self.unit}"
        if self.high is not None:
            return f"at most {self.high:g} {self.unit}"
        return f"at least {self.low:g} {self.unit}"


LIMITS: dict[str, Limit] = {
    "pressure_pa": Limit("Pa", low=20, high=80),
    "door_opening_force_n": Limit("N", high=110),
    "air_velocity_ms": Limit("m/s", low=1.0),
}


OUT_OF_LIMITS = "reading_out_of_limits"
OFF_BASELINE = "reading_deviates_from_baseline"


@dataclass(frozen=True, slots=True)
class Breach:
    reading: str
    value: float
    condition: str
    description: str


def breaches(readings: Mapping[str, float], baseline: Mapping[str, float] | None) -> list[Breach]:
    """One breach per reading outside its limits or off its baseline, naming both when both."""
    found = []
    for name, limit in LIMITS.items():
        value = readings.get(name)
        if value is None:
            continue
        reasons = []
        if not limit.admits(value):
            reasons.append(f"outside the limits ({limit.describe()})")
        reference = None if baseline is None else baseline.get(name)
        if reference is not None and abs(value - reference) > BASELINE_TOLERANCE * abs(reference):
            reasons.append(f"more than 10% from the baseline {reference:g} {limit.unit}")
        if reasons:
            # The classification rules' conditions; the description names the reading.
            condition = (
                "reading_out_of_limits" if not limit.admits(value) else "reading_deviates_from_baseline"
            )
            description = f"{name} {value:g} {limit.unit} is " + " and ".join(reasons)
            found.append(Breach(name, value, condition, description))
    return found
