"""Every Alloy table, imported once so the metadata is complete (migrations, tests)."""

from alloy.catalogue.models import Circuit, Movement, MovementDiscipline, MovementEquipment, ScoringConfig
from alloy.identity.models import RefreshToken, RevokedToken, SecurityEvent, User
from alloy.programs.models import (
    Program,
    ProgramIdempotencyKey,
    ProgramWeek,
    SessionExercise,
    TrainingSession,
)
from alloy.readiness.models import Readiness
from alloy.training.models import MovementBest, WorkoutLog, WorkoutSet

__all__ = [
    "Circuit",
    "Movement",
    "MovementBest",
    "MovementDiscipline",
    "MovementEquipment",
    "Program",
    "ProgramIdempotencyKey",
    "ProgramWeek",
    "Readiness",
    "RefreshToken",
    "RevokedToken",
    "ScoringConfig",
    "SecurityEvent",
    "SessionExercise",
    "TrainingSession",
    "User",
    "WorkoutLog",
    "WorkoutSet",
]
