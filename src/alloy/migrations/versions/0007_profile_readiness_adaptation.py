"""profile (bodyweight, experience, avoided regions), readiness, adapted sessions

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-08 10:00:00.000000

Revises 0005, not 0006: the workout-log migration (0006) is written alongside this one and is
slotted in between when both land.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import apikit.db.types

revision: str = "0007"
down_revision: str | None = "0005"
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


def downgrade() -> None:
    op.drop_column("programs", "avoid_regions")
    op.drop_column("users", "avoid_regions")
    op.drop_column("users", "experience")
    op.drop_column("users", "bodyweight_kg")
