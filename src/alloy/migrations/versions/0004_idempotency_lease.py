"""idempotency keys: a claim's lease

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 12:45:00.000000

A claim now holds the key until ``lease_expires_at`` (what the 409's Retry-After counts down to);
past it, with no answer, the next request with the key takes the claim over. Claims made before
keep the rule they were made under: taken over five minutes after they were made.
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import apikit.db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_ABANDONED_AFTER = timedelta(minutes=5)


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lease_expires_at", apikit.db.types.UTCDateTime(timezone=True), nullable=True)
        )
    keys = sa.table(
        "idempotency_keys",
        sa.column("id", sa.Uuid()),
        sa.column("created_at", apikit.db.types.UTCDateTime(timezone=True)),
        sa.column("completed_at", apikit.db.types.UTCDateTime(timezone=True)),
        sa.column("lease_expires_at", apikit.db.types.UTCDateTime(timezone=True)),
    )
    bind = op.get_bind()
    bind.execute(sa.update(keys).values(lease_expires_at=keys.c.created_at))
    # Only claims still in flight need their old deadline (few rows: requests running right now).
    in_flight = bind.execute(sa.select(keys.c.id, keys.c.created_at).where(keys.c.completed_at.is_(None)))
    for row_id, created_at in in_flight.all():
        bind.execute(
            sa.update(keys)
            .where(keys.c.id == row_id)
            .values(lease_expires_at=created_at + _OLD_ABANDONED_AFTER)
        )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.alter_column(
            "lease_expires_at", existing_type=apikit.db.types.UTCDateTime(timezone=True), nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_column("lease_expires_at")
