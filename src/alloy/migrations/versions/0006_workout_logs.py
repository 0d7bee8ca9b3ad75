"""workout logs and their sets

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:00:00.000000

A log's sets carry its owner, time, day and entry, and their e1RM under each formula, so a
movement's history is one index range (user, movement, time) that covers what is read of it;
each lifter's best per (movement, load) is kept beside them for the records a new log sets.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import apikit.db.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "movement_bests",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("movement_id", sa.Uuid(), nullable=False),
        sa.Column("load_kg", sa.Float(), nullable=False),
        sa.Column("reps", sa.Integer(), nullable=False),
        sa.Column("e1rm_epley", sa.Float(), nullable=True),
        sa.Column("e1rm_brzycki", sa.Float(), nullable=True),
        sa.Column("e1rm_lombardi", sa.Float(), nullable=True),
        sa.Column("e1rm_oconner", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["movement_id"], ["movements.id"], name=op.f("fk_movement_bests_movement_id_movements")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_movement_bests_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "movement_id", "load_kg", name=op.f("pk_movement_bests")),
    )
    op.create_table(
        "workout_logs",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("performed_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("perceived_effort", sa.Integer(), nullable=True),
        sa.Column("notes", sa.String(length=2000), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_workout_logs_session_id_training_sessions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_workout_logs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workout_logs")),
        sa.UniqueConstraint("session_id", name=op.f("uq_workout_logs_session_id")),
    )
    with op.batch_alter_table("workout_logs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workout_logs_user_id_performed_at_id"),
            ["user_id", "performed_at", "id"],
            unique=False,
        )

    op.create_table(
        "workout_sets",
        sa.Column("log_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("performed_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("performed_on", sa.Date(), nullable=False),
        sa.Column("entry_position", sa.Integer(), nullable=False),
        sa.Column("movement_id", sa.Uuid(), nullable=False),
        sa.Column("exercise_id", sa.Uuid(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("reps", sa.Integer(), nullable=True),
        sa.Column("load_kg", sa.Float(), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("distance_m", sa.Integer(), nullable=True),
        sa.Column("rpe", sa.Float(), nullable=True),
        sa.Column("rir", sa.Integer(), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("e1rm_epley", sa.Float(), nullable=True),
        sa.Column("e1rm_brzycki", sa.Float(), nullable=True),
        sa.Column("e1rm_lombardi", sa.Float(), nullable=True),
        sa.Column("e1rm_oconner", sa.Float(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exercise_id"],
            ["session_exercises.id"],
            name=op.f("fk_workout_sets_exercise_id_session_exercises"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["log_id"],
            ["workout_logs.id"],
            name=op.f("fk_workout_sets_log_id_workout_logs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["movement_id"], ["movements.id"], name=op.f("fk_workout_sets_movement_id_movements")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_workout_sets_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workout_sets")),
    )
    with op.batch_alter_table("workout_sets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workout_sets_exercise_id"), ["exercise_id"], unique=False)
        batch_op.create_index(
            "ix_workout_sets_history",
            [
                "user_id",
                "movement_id",
                "performed_at",
                "log_id",
                "entry_position",
                "position",
                "performed_on",
                "load_kg",
                "reps",
                "rpe",
                "completed",
                "e1rm_epley",
                "e1rm_brzycki",
                "e1rm_lombardi",
                "e1rm_oconner",
            ],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_workout_sets_log_id_entry_position_position"),
            ["log_id", "entry_position", "position"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("workout_sets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workout_sets_log_id_entry_position_position"))
        batch_op.drop_index("ix_workout_sets_history")
        batch_op.drop_index(batch_op.f("ix_workout_sets_exercise_id"))

    op.drop_table("workout_sets")
    with op.batch_alter_table("workout_logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workout_logs_user_id_performed_at_id"))

    op.drop_table("workout_logs")
    op.drop_table("movement_bests")
