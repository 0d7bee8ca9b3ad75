"""Every FireMode table, imported once so the metadata is complete (migrations, tests)."""

from firemode.buildings.models import Building
from firemode.evidence.models import Evidence
from firemode.identity.models import RefreshToken, RevokedToken, SecurityEvent, User
from firemode.sessions.models import SessionParticipant, TestSession
from firemode.sync.models import AppliedBatch, IdempotencyKey, SessionChange

__all__ = [
    "AppliedBatch",
    "Building",
    "Evidence",
    "IdempotencyKey",
    "RefreshToken",
    "RevokedToken",
    "SecurityEvent",
    "SessionChange",
    "SessionParticipant",
    "TestSession",
    "User",
]
