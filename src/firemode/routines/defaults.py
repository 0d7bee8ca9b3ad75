"""The shipped routine table (version 1) and its seeding.

Which routines apply to each asset type follows the AS 1851-2012 schedules (Australian Standard,
routine service of fire protection systems and equipment) as a contractor applies them, emergency
lighting AS/NZS 2293.2; tolerances are the spec's where it names them, this project's choice
otherwise (see docs/AS1851.md). An admin changes them as a new version (``PUT /v1/routines``).

Seeded after migrating (``firemode migrate``, the test databases), never by the migration itself,
so migrations stay free of the live models. Seeding adds version 1 to a database with no version
and leaves any other alone: an admin's versions are never undone.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Connection, func, insert, select

from apikit.ids import utcnow
from firemode.assets.asset_types import AssetType
from firemode.routines.models import Routine, RoutineVersion


class Frequency(StrEnum):
    MONTHLY = "monthly"
    THREE_MONTHLY = "three_monthly"
    SIX_MONTHLY = "six_monthly"
    YEARLY = "yearly"
    FIVE_YEARLY = "five_yearly"
    TWENTY_FIVE_YEARLY = "twenty_five_yearly"


INTERVAL_MONTHS: dict[Frequency, int] = {
    Frequency.MONTHLY: 1,
    Frequency.THREE_MONTHLY: 3,
    Frequency.SIX_MONTHLY: 6,
    Frequency.YEARLY: 12,
    Frequency.FIVE_YEARLY: 60,
    Frequency.TWENTY_FIVE_YEARLY: 300,
}

# Monthly, six-monthly, yearly and five-yearly are the spec's; three-monthly and twenty-five-yearly
# are ours (about a tenth of the interval, as the spec's are, rounded to whole weeks / half a year).
DEFAULT_TOLERANCE_DAYS: dict[Frequency, int] = {
    Frequency.MONTHLY: 5,
    Frequency.THREE_MONTHLY: 10,
    Frequency.SIX_MONTHLY: 15,
    Frequency.YEARLY: 30,
    Frequency.FIVE_YEARLY: 90,
    Frequency.TWENTY_FIVE_YEARLY: 180,
}


def tolerance_limit(frequency: Frequency) -> int:
    """Tolerances stay below this many days: half the interval, a month counted as 28 days (the
    shortest), so the windows of consecutive services never overlap."""
    return INTERVAL_MONTHS[frequency] * 14


SHIPPED_ROUTINES: dict[AssetType, tuple[Frequency, ...]] = {
    AssetType.PORTABLE_EXTINGUISHER: (Frequency.SIX_MONTHLY, Frequency.YEARLY, Frequency.FIVE_YEARLY),
    AssetType.FIRE_BLANKET: (Frequency.SIX_MONTHLY,),
    AssetType.FIRE_HOSE_REEL: (Frequency.SIX_MONTHLY, Frequency.YEARLY),
    AssetType.FIRE_HYDRANT: (Frequency.SIX_MONTHLY, Frequency.YEARLY, Frequency.FIVE_YEARLY),
    AssetType.SPRINKLER_SYSTEM: (
        Frequency.MONTHLY,
        Frequency.SIX_MONTHLY,
        Frequency.YEARLY,
        Frequency.FIVE_YEARLY,
        Frequency.TWENTY_FIVE_YEARLY,
    ),
    AssetType.FIRE_DETECTION_ALARM: (Frequency.MONTHLY, Frequency.SIX_MONTHLY, Frequency.YEARLY),
    AssetType.EMERGENCY_EXIT_LIGHTING: (Frequency.SIX_MONTHLY, Frequency.YEARLY),
    AssetType.FIRE_DOOR: (Frequency.SIX_MONTHLY, Frequency.YEARLY),
    AssetType.SMOKE_DOOR: (Frequency.SIX_MONTHLY, Frequency.YEARLY),
    AssetType.STAIR_PRESSURISATION: (Frequency.MONTHLY, Frequency.SIX_MONTHLY, Frequency.YEARLY),
    AssetType.FIRE_PUMP: (Frequency.MONTHLY, Frequency.SIX_MONTHLY, Frequency.YEARLY, Frequency.FIVE_YEARLY),
    AssetType.PASSIVE_PENETRATION: (Frequency.YEARLY,),
}

SHIPPED_VERSION = 1
SHIPPED_NOTE = "Shipped defaults (AS 1851-2012 routine service schedules)"


def shipped_rows() -> list[dict[str, object]]:
    return [
        {
            "asset_type": asset_type.value,
            "frequency": frequency.value,
            "interval_months": INTERVAL_MONTHS[frequency],
            "tolerance_days": DEFAULT_TOLERANCE_DAYS[frequency],
        }
        for asset_type, frequencies in SHIPPED_ROUTINES.items()
        for frequency in frequencies
    ]


def load_shipped_routines(connection: Connection) -> bool:
    """Version 1 into a database that has no routine version yet; True when it was added."""
    if connection.execute(select(func.count()).select_from(RoutineVersion)).scalar_one():
        return False
    connection.execute(
        insert(RoutineVersion).values(version=SHIPPED_VERSION, note=SHIPPED_NOTE, created_at=utcnow())
    )
    connection.execute(insert(Routine), [{"version": SHIPPED_VERSION, **row} for row in shipped_rows()])
    return True
