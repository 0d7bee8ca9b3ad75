"""The words of the defects domain: asset types, severities, the lifecycle and who may move it."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from firemode.identity.roles import Role


class AssetType(StrEnum):
    """The spec's asset types (the register's list, once it has one, is the same)."""

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


class Severity(StrEnum):
    CRITICAL = "critical"  # the system may not perform: notify now, written notice within 24 h
    NON_CRITICAL = "non_critical"  # rectify within the configured days (30 by default)
    NON_CONFORMANCE = "non_conformance"  # recorded, no due date


UNCLASSIFIED: Final = "unclassified"  # the list filter for defects no rule classified (severity NULL)


class DefectStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    REPAIR_SCHEDULED = "repair_scheduled"
    REPAIRED = "repaired"
    VERIFIED = "verified"
    CLOSED = "closed"


# open → acknowledged → repair_scheduled → repaired → verified → closed: one step forward at a time.
NEXT_STATUS: dict[DefectStatus, frozenset[DefectStatus]] = {
    DefectStatus.OPEN: frozenset({DefectStatus.ACKNOWLEDGED}),
    DefectStatus.ACKNOWLEDGED: frozenset({DefectStatus.REPAIR_SCHEDULED}),
    DefectStatus.REPAIR_SCHEDULED: frozenset({DefectStatus.REPAIRED}),
    DefectStatus.REPAIRED: frozenset({DefectStatus.VERIFIED}),
    DefectStatus.VERIFIED: frozenset({DefectStatus.CLOSED}),
    DefectStatus.CLOSED: frozenset(),
}
# Only a supervisor or an admin verifies and closes.
STAFF_ONLY = frozenset({DefectStatus.VERIFIED, DefectStatus.CLOSED})
STAFF = frozenset({Role.SUPERVISOR, Role.ADMIN})
# A defect in one of these no longer counts as overdue: the fault itself is fixed.
RECTIFIED = frozenset({DefectStatus.REPAIRED, DefectStatus.VERIFIED, DefectStatus.CLOSED})
