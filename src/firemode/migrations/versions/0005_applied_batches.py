"""applied batches: what the sync worker merged for an idempotency key

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 13:00:00.000000

The API gives up on a sync worker that does not answer in time (504) and frees the key for a
retry, while the worker may still commit. The worker records each batch by an id derived from the
caller and the key, in the merge's transaction, under a unique constraint, with the answer it
gave: a retry resolves to the one application and gets that answer back. Rows expire with the key.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import apikit.db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "applied_batches",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("outcome", apikit.db.types.JSONType, nullable=False),
        sa.Column("created_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applied_batches")),
        sa.UniqueConstraint("batch_id", name=op.f("uq_applied_batches_batch_id")),
    )
    with op.batch_alter_table("applied_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applied_batches_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("applied_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applied_batches_expires_at"))
    op.drop_table("applied_batches")
