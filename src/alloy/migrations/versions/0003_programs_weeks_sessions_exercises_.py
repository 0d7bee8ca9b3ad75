"""programs, weeks, sessions, exercises, idempotency keys

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 03:06:50.971859
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import apikit.db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", apikit.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", apikit.db.types.JSONType, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("caller", "key", name=op.f("uq_idempotency_keys_caller_key")),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idempotency_keys_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "programs",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("notes", sa.String(length=2000), nullable=False),
        sa.Column("goals", apikit.db.types.JSONType, nullable=False),
        sa.Column("duration_weeks", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("split_template", sa.String(length=16), nullable=False),
        sa.Column("days_per_week", sa.Integer(), nullable=False),
        sa.Column("max_session_minutes", sa.Integer(), nullable=False),
        sa.Column("disciplines", apikit.db.types.JSONType, nullable=False),
        sa.Column("equipment", apikit.db.types.JSONType, nullable=False),
        sa.Column("movement_rules", apikit.db.types.JSONType, nullable=False),
        sa.Column("deload_every_n_weeks", sa.Integer(), nullable=False),
        sa.Column("progression_style", sa.String(length=16), nullable=False),
        sa.Column("scoring_version", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_programs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programs")),
    )
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programs_user_id_created_at_id"), ["user_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "uq_programs_one_active_per_user",
            ["user_id"],
            unique=True,
            sqlite_where=sa.text("is_active"),
            postgresql_where=sa.text("is_active"),
        )

    op.create_table(
        "program_weeks",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("week_number", sa.Integer(), nullable=False),
        sa.Column("is_deload", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_program_weeks_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_weeks")),
        sa.UniqueConstraint(
            "program_id", "week_number", name=op.f("uq_program_weeks_program_id_week_number")
        ),
    )
    op.create_table(
        "training_sessions",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("week_number", sa.Integer(), nullable=False),
        sa.Column("day_number", sa.Integer(), nullable=False),
        sa.Column("scheduled_date", sa.Date(), nullable=False),
        sa.Column("focus", sa.String(length=32), nullable=False),
        sa.Column("main_pattern", sa.String(length=24), nullable=True),
        sa.Column("estimated_minutes", sa.Integer(), nullable=False),
        sa.Column("relaxations", apikit.db.types.JSONType, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("completed_at", apikit.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.String(length=2000), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_training_sessions_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_training_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_sessions")),
    )
    with op.batch_alter_table("training_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_sessions_program_id_scheduled_date_id"),
            ["program_id", "scheduled_date", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_training_sessions_user_id_scheduled_date"),
            ["user_id", "scheduled_date"],
            unique=False,
        )

    op.create_table(
        "session_exercises",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("block", sa.String(length=12), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("movement_id", sa.Uuid(), nullable=True),
        sa.Column("circuit_id", sa.Uuid(), nullable=True),
        sa.Column("sets", sa.Integer(), nullable=False),
        sa.Column("reps_min", sa.Integer(), nullable=True),
        sa.Column("reps_max", sa.Integer(), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("distance_m", sa.Integer(), nullable=True),
        sa.Column("target_rpe", sa.Float(), nullable=True),
        sa.Column("target_rir", sa.Integer(), nullable=True),
        sa.Column("rest_seconds", sa.Integer(), nullable=False),
        sa.Column("superset_group", sa.String(length=8), nullable=True),
        sa.Column("estimated_seconds", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("dimensions", apikit.db.types.JSONType, nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["circuit_id"],
            ["circuits.id"],
            name=op.f("fk_session_exercises_circuit_id_circuits"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["movement_id"], ["movements.id"], name=op.f("fk_session_exercises_movement_id_movements")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_session_exercises_session_id_training_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_exercises")),
    )
    with op.batch_alter_table("session_exercises", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_exercises_session_id_position"), ["session_id", "position"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("session_exercises", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_exercises_session_id_position"))

    op.drop_table("session_exercises")
    with op.batch_alter_table("training_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_sessions_user_id_scheduled_date"))
        batch_op.drop_index(batch_op.f("ix_training_sessions_program_id_scheduled_date_id"))

    op.drop_table("training_sessions")
    op.drop_table("program_weeks")
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_programs_one_active_per_user",
            sqlite_where=sa.text("is_active"),
            postgresql_where=sa.text("is_active"),
        )
        batch_op.drop_index(batch_op.f("ix_programs_user_id_created_at_id"))

    op.drop_table("programs")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_expires_at"))

    op.drop_table("idempotency_keys")
