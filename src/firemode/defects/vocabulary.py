"""The words of the defects domain: asset types, severities, the lifecycle and who may move it."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from firemode.identity.roles import Role


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
