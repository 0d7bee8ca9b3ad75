"""profile (bodyweight, experience, avoided regions), readiness, adapted sessions

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 19:30:00.000000

The lifter's profile (body weight, experience, regions to keep load off), a day's readiness, and
what an accepted adaptation changed in a session.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import apikit.db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE, not a batch (see 0005): users and programs have foreign keys pointing at them.
    op.add_column("users", sa.Column("bodyweight_kg", sa.Float(), nullable=True))
    op.add_column("users", sa.Column("experience", sa.String(length=12), nullable=True))
    op.add_column(
        "users",
        sa.Column("avoid_regions", apikit.db.types.JSONType, server_default=sa.text("'[]'"), nullable=False),
    )
    op.add_column(
        "programs",
        sa.Column("avoid_regions", apikit.db.types.JSONType, server_default=sa.text("'[]'"), nullable=False),
    )
    op.add_column(
        "training_sessions",
        sa.Column("adapted_at", apikit.db.types.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("training_sessions", sa.Column("adaptation", apikit.db.types.JSONType, nullable=True))
    op.create_table(
        "readiness",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sleep_hours", sa.Float(), nullable=False),
        sa.Column("energy", sa.Integer(), nullable=False),
        sa.Column("stress", sa.Integer(), nullable=False),
        sa.Column("soreness", apikit.db.types.JSONType, nullable=False),
        sa.Column("minutes_available", sa.Integer(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("band", sa.String(length=8), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_readiness_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness")),
        sa.UniqueConstraint("user_id", "day", name=op.f("uq_readiness_user_id_day")),
    )


def downgrade() -> None:
    op.drop_table("readiness")
    op.drop_column("training_sessions", "adaptation")
    op.drop_column("training_sessions", "adapted_at")
    op.drop_column("programs", "avoid_regions")
    op.drop_column("users", "avoid_regions")
    op.drop_column("users", "experience")
    op.drop_column("users", "bodyweight_kg")
