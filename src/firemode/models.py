"""Every FireMode table, imported once so the metadata is complete (migrations, tests)."""

from firemode.assets.models import Asset, AssetBaseline
from firemode.buildings.models import Building
from firemode.defects.models import ClassificationRule, ClassificationRuleVersion, Defect, DefectTransition
from firemode.evidence.models import Evidence
from firemode.identity.models import RefreshToken, RevokedToken, SecurityEvent, User
from firemode.records.models import ServiceRecord
from firemode.reports.models import ComplianceReport
from firemode.routines.models import Routine, RoutineVersion
from firemode.sessions.models import SessionParticipant, TestSession
from firemode.sync.models import AppliedBatch, IdempotencyKey, SessionChange

__all__ = [
    "AppliedBatch",
    "Asset",
    "AssetBaseline",
    "Building",
    "ClassificationRule",
    "ClassificationRuleVersion",
    "ComplianceReport",
    "Defect",
    "DefectTransition",
    "Evidence",
    "IdempotencyKey",
    "RefreshToken",
    "RevokedToken",
    "Routine",
    "RoutineVersion",
    "SecurityEvent",
    "ServiceRecord",
    "SessionChange",
    "SessionParticipant",
    "TestSession",
    "User",
]
