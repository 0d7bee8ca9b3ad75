"""movements: tier, rep range and plate increment

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 17:00:00.000000

Schema only, like every migration here: the values come from the catalogue's data files, which
``alloy migrate`` loads after the migrations (it fills these facts on the rows that have none).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_COLUMNS = ("tier", "rep_min", "rep_max", "plate_increment_kg", "plate_increment_lb")


def upgrade() -> None:
    # Plain ALTER TABLE, not a batch: rebuilding ``movements`` on SQLite would trip the foreign keys
    # that point at it; SQLite (3.35+) adds and drops nullable columns in place.
    op.add_column("movements", sa.Column("tier", sa.String(length=12), nullable=True))
    op.add_column("movements", sa.Column("rep_min", sa.Integer(), nullable=True))
    op.add_column("movements", sa.Column("rep_max", sa.Integer(), nullable=True))
    op.add_column("movements", sa.Column("plate_increment_kg", sa.Double(), nullable=True))
    op.add_column("movements", sa.Column("plate_increment_lb", sa.Double(), nullable=True))


def downgrade() -> None:
    for column in reversed(_COLUMNS):
        op.drop_column("movements", column)
