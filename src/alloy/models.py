"""Every Alloy table, imported once so the metadata is complete (migrations, tests)."""

from alloy.catalogue.models import Circuit, Movement, MovementDiscipline, MovementEquipment, ScoringConfig
from alloy.identity.models import RefreshToken, RevokedToken, SecurityEvent, User

__all__ = [
    "Circuit",
    "Movement",
    "MovementDiscipline",
    "MovementEquipment",
    "RefreshToken",
    "RevokedToken",
    "ScoringConfig",
    "SecurityEvent",
    "User",
]
