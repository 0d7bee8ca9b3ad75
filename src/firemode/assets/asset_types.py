"""The asset types of the register and what each one's ``details`` may hold.

One model per type, all fields optional (a register is often filled in over time) and unknown keys
refused. JSON bodies are validated strictly (``"4.5"`` is not a number); CSV cells, which are all
text, are validated by the same models in lax mode (:func:`validate_details`).
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from apikit.schemas import RequestModel

# A fire-resistance level (BCA): structural adequacy / integrity / insulation, in minutes or "-".
FRL_PATTERN = r"^(-|[0-9]{1,3})/(-|[0-9]{1,3})/(-|[0-9]{1,3})$"
LIQUID_AGENTS = frozenset({"water", "wet_chemical", "foam"})  # rated in litres; the others in kg


class AssetType(StrEnum):
    PORTABLE_EXTINGUISHER = "portable_extinguisher"
    FIRE_BLANKET = "fire_blanket"
    FIRE_HOSE_REEL = "fire_hose_reel"
    FIRE_HYDRANT = "fire_hydrant"
    SPRINKLER_SYSTEM = "sprinkler_system"
    FIRE_DETECTION_ALARM = "fire_detection_alarm"
    EMERGENCY_EXIT_LIGHTING = "emergency_exit_lighting"
    FIRE_DOOR = "fire_door"
    SMOKE_DOOR = "smoke_door"
    STAIR_PRESSURISATION = "stair_pressurisation"
    FIRE_PUMP = "fire_pump"
    PASSIVE_PENETRATION = "passive_penetration"


class _Details(RequestModel):
    manufacturer: str | None = Field(default=None, min_length=1, max_length=100)
    model: str | None = Field(default=None, min_length=1, max_length=100)
    serial_number: str | None = Field(default=None, min_length=1, max_length=64)


class ExtinguisherDetails(_Details):
    agent: (
        Literal[
            "water",
            "wet_chemical",
            "foam",
            "dry_chemical_abe",
            "dry_chemical_be",
            "carbon_dioxide",
            "vaporising_liquid",
        ]
        | None
    ) = None
    capacity_kg: float | None = Field(
        default=None, gt=0, le=100, description="Powder, CO2, vaporising liquid"
    )
    capacity_l: float | None = Field(default=None, gt=0, le=100, description="Water, wet chemical, foam")
    rating: str | None = Field(default=None, max_length=32, description="As on the label, e.g. 3A:40B:E")
    manufactured_on: str | None = Field(
        default=None, pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="Year and month, e.g. 2021-06"
    )

    @model_validator(mode="after")
    def _capacity_fits_the_agent(self) -> Self:
        if self.capacity_kg is not None and self.capacity_l is not None:
            raise ValueError("give capacity_kg or capacity_l, not both")
        if self.agent is not None:
            liquid = self.agent in LIQUID_AGENTS
            if liquid and self.capacity_kg is not None:
                raise ValueError(f"a {self.agent} extinguisher is rated in litres: use capacity_l")
            if not liquid and self.capacity_l is not None:
                raise ValueError(f"a {self.agent} extinguisher is rated in kilograms: use capacity_kg")
        return self


class FireBlanketDetails(_Details):
    size: Literal["1.0x1.0", "1.2x1.2", "1.2x1.8", "1.8x1.8"] | None = Field(
        default=None, description="Metres"
    )


class HoseReelDetails(_Details):
    length_m: float | None = Field(default=None, gt=0, le=60)
    hose_diameter_mm: int | None = Field(default=None, json_schema_extra={"enum": [19, 25]})

    @field_validator("hose_diameter_mm")
    @classmethod
    def _standard_diameter(cls, value: int | None) -> int | None:
        if value not in (None, 19, 25):
            raise ValueError("a hose reel's hose is 19 or 25 mm (AS/NZS 1221)")
        return value


class HydrantDetails(_Details):
    hydrant_type: Literal["pillar", "wall", "in_ground", "landing_valve", "booster"] | None = None
    outlet_diameter_mm: int | None = Field(default=None, ge=25, le=150)


class SprinklerDetails(_Details):
    system_type: Literal["wet_pipe", "dry_pipe", "pre_action", "deluge"] | None = None
    hazard_class: Literal["light", "ordinary", "high"] | None = None
    head_count: int | None = Field(default=None, ge=0, le=100_000)


class DetectionAlarmDetails(_Details):
    panel_type: Literal["conventional", "addressable"] | None = None
    zone_count: int | None = Field(default=None, ge=1, le=10_000)
    detector_count: int | None = Field(default=None, ge=0, le=100_000)


class ExitLightingDetails(_Details):
    fitting_type: Literal["exit_sign", "emergency_light", "combined"] | None = None
    rated_duration_min: int | None = Field(default=None, ge=1, le=600, description="Battery duration")


class FireDoorDetails(_Details):
    fire_resistance_level: str | None = Field(default=None, pattern=FRL_PATTERN, description="e.g. -/60/30")
    leaf_count: int | None = Field(default=None, ge=1, le=2)
    self_closing: bool | None = None


class SmokeDoorDetails(_Details):
    leaf_count: int | None = Field(default=None, ge=1, le=2)
    self_closing: bool | None = None
    smoke_seals: bool | None = None


class StairPressurisationDetails(_Details):
    fan_count: int | None = Field(default=None, ge=1, le=100)
    levels_served: str | None = Field(default=None, max_length=100, description="e.g. B2-L12")


class FirePumpDetails(_Details):
    driver: Literal["electric", "diesel"] | None = None
    rated_flow_l_s: float | None = Field(default=None, gt=0, le=1000)
    rated_pressure_kpa: float | None = Field(default=None, gt=0, le=5000)


class PenetrationDetails(_Details):
    service_type: Literal["electrical", "plumbing", "mechanical", "data", "mixed"] | None = None
    fire_resistance_level: str | None = Field(default=None, pattern=FRL_PATTERN, description="e.g. -/120/120")
    sealing_system: str | None = Field(default=None, max_length=100, description="The product used")


DETAILS: dict[AssetType, type[_Details]] = {
    AssetType.PORTABLE_EXTINGUISHER: ExtinguisherDetails,
    AssetType.FIRE_BLANKET: FireBlanketDetails,
    AssetType.FIRE_HOSE_REEL: HoseReelDetails,
    AssetType.FIRE_HYDRANT: HydrantDetails,
    AssetType.SPRINKLER_SYSTEM: SprinklerDetails,
    AssetType.FIRE_DETECTION_ALARM: DetectionAlarmDetails,
    AssetType.EMERGENCY_EXIT_LIGHTING: ExitLightingDetails,
    AssetType.FIRE_DOOR: FireDoorDetails,
    AssetType.SMOKE_DOOR: SmokeDoorDetails,
    AssetType.STAIR_PRESSURISATION: StairPressurisationDetails,
    AssetType.FIRE_PUMP: FirePumpDetails,
    AssetType.PASSIVE_PENETRATION: PenetrationDetails,
}

LABELS: dict[AssetType, str] = {
    AssetType.PORTABLE_EXTINGUISHER: "Portable fire extinguisher",
    AssetType.FIRE_BLANKET: "Fire blanket",
    AssetType.FIRE_HOSE_REEL: "Fire hose reel",
    AssetType.FIRE_HYDRANT: "Fire hydrant",
    AssetType.SPRINKLER_SYSTEM: "Automatic fire sprinkler system",
    AssetType.FIRE_DETECTION_ALARM: "Fire detection and alarm system",
    AssetType.EMERGENCY_EXIT_LIGHTING: "Emergency and exit lighting",
    AssetType.FIRE_DOOR: "Fire door",
    AssetType.SMOKE_DOOR: "Smoke door",
    AssetType.STAIR_PRESSURISATION: "Stair pressurisation system",
    AssetType.FIRE_PUMP: "Fire pump set",
    AssetType.PASSIVE_PENETRATION: "Passive fire penetration",
}

# Every details field of any type: the type columns a CSV import may have.
DETAIL_FIELDS: frozenset[str] = frozenset(name for model in DETAILS.values() for name in model.model_fields)


def validate_details(
    asset_type: AssetType, details: dict[str, Any], *, strict: bool = True
) -> dict[str, Any]:
    """``details`` checked against its type's model, without the fields left out; a pydantic
    ``ValidationError`` naming each bad field otherwise. ``strict=False`` reads text (CSV cells)."""
    model = DETAILS[asset_type].model_validate(details, strict=strict)
    return model.model_dump(exclude_none=True)


@cache
def described() -> list[dict[str, Any]]:
    """Each type with its label, the JSON Schema of its ``details`` and its CSV columns."""
    return [
        {
            "asset_type": asset_type,
            "label": LABELS[asset_type],
            "details_schema": model.model_json_schema(),
            "csv_columns": list(model.model_fields),
        }
        for asset_type, model in DETAILS.items()
    ]
