"""the movement catalogue, circuits and scoring configuration

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 21:56:04.677633
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import apikit.db.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "circuits",
        sa.Column("slug", sa.String(length=96), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_key", sa.String(length=120), nullable=False),
        sa.Column("circuit_type", sa.String(length=24), nullable=False),
        sa.Column("rounds", sa.Integer(), nullable=True),
        sa.Column("time_cap_minutes", sa.Integer(), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("movements", apikit.db.types.JSONType, nullable=False),
        sa.Column("difficulty", sa.Integer(), nullable=False),
        sa.Column("tags", apikit.db.types.JSONType, nullable=False),
        sa.Column("description", sa.String(length=600), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circuits")),
        sa.UniqueConstraint("name_key", name=op.f("uq_circuits_name_key")),
        sa.UniqueConstraint("slug", name=op.f("uq_circuits_slug")),
    )
    with op.batch_alter_table("circuits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_circuits_circuit_type_name_id"), ["circuit_type", "name", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_circuits_name_id"), ["name", "id"], unique=False)

    op.create_table(
        "scoring_configs",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("weights", apikit.db.types.JSONType, nullable=False),
        sa.Column("qualifying_score", sa.Double(), nullable=False),
        sa.Column("note", sa.String(length=400), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_scoring_configs")),
    )
    op.create_table(
        "movements",
        sa.Column("slug", sa.String(length=96), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_key", sa.String(length=120), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("pattern", sa.String(length=24), nullable=False),
        sa.Column("primary_muscle", sa.String(length=24), nullable=False),
        sa.Column("secondary_muscles", apikit.db.types.JSONType, nullable=False),
        sa.Column("compound", sa.Boolean(), nullable=False),
        sa.Column("unilateral", sa.Boolean(), nullable=False),
        sa.Column("skill_level", sa.Integer(), nullable=False),
        sa.Column("cns_load", sa.Integer(), nullable=False),
        sa.Column("metric_type", sa.String(length=12), nullable=False),
        sa.Column("substitution_group", sa.String(length=80), nullable=False),
        sa.Column("progression_id", sa.Uuid(), nullable=True),
        sa.Column("regression_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.String(length=400), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_movements_owner_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["progression_id"], ["movements.id"], name=op.f("fk_movements_progression_id_movements")
        ),
        sa.ForeignKeyConstraint(
            ["regression_id"], ["movements.id"], name=op.f("fk_movements_regression_id_movements")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_movements")),
        sa.UniqueConstraint("scope", "name_key", name=op.f("uq_movements_scope_name_key")),
        sa.UniqueConstraint("slug", name=op.f("uq_movements_slug")),
    )
    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_movements_pattern_name_id"), ["pattern", "name", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_movements_scope_name_id"), ["scope", "name", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_movements_substitution_group_pattern"),
            ["substitution_group", "pattern"],
            unique=False,
        )

    op.create_table(
        "movement_disciplines",
        sa.Column("movement_id", sa.Uuid(), nullable=False),
        sa.Column("discipline", sa.String(length=24), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["movement_id"],
            ["movements.id"],
            name=op.f("fk_movement_disciplines_movement_id_movements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("movement_id", "discipline", name=op.f("pk_movement_disciplines")),
    )
    with op.batch_alter_table("movement_disciplines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_movement_disciplines_discipline_movement_id"),
            ["discipline", "movement_id"],
            unique=False,
        )

    op.create_table(
        "movement_equipment",
        sa.Column("movement_id", sa.Uuid(), nullable=False),
        sa.Column("equipment", sa.String(length=24), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["movement_id"],
            ["movements.id"],
            name=op.f("fk_movement_equipment_movement_id_movements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("movement_id", "equipment", name=op.f("pk_movement_equipment")),
    )
    with op.batch_alter_table("movement_equipment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_movement_equipment_equipment_movement_id"),
            ["equipment", "movement_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("movement_equipment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_movement_equipment_equipment_movement_id"))

    op.drop_table("movement_equipment")
    with op.batch_alter_table("movement_disciplines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_movement_disciplines_discipline_movement_id"))

    op.drop_table("movement_disciplines")
    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_movements_substitution_group_pattern"))
        batch_op.drop_index(batch_op.f("ix_movements_scope_name_id"))
        batch_op.drop_index(batch_op.f("ix_movements_pattern_name_id"))

    op.drop_table("movements")
    op.drop_table("scoring_configs")
    with op.batch_alter_table("circuits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_circuits_name_id"))
        batch_op.drop_index(batch_op.f("ix_circuits_circuit_type_name_id"))

    op.drop_table("circuits")
