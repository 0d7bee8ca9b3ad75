"""Every FireMode table, imported once so the metadata is complete (migrations, tests)."""

from firemode.buildings.models import Building
from firemode.evidence.models import Evidence
from firemode.identity.models import RefreshToken, RevokedToken, SecurityEvent, User
from firemode.sessions.models import SessionParticipant, TestSession
from firemode.sync.models import IdempotencyKey, SessionChange

__all__ = [
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
