"""defects: severity may wait for classification

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 16:00:00.000000

A defect opened at a session's completion whose document gives no valid severity has none until
the classification rules decide it, so ``defects.severity`` becomes nullable. Going back refuses
while such a defect exists: a severity would have to be invented for it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("defects", schema=None) as batch_op:
        batch_op.alter_column("severity", existing_type=sa.String(length=16), nullable=True)


def downgrade() -> None:
    unclassified = op.get_bind().scalar(sa.text("SELECT count(*) FROM defects WHERE severity IS NULL"))
    if unclassified:
        raise RuntimeError(f"{unclassified} defects have no severity yet; classify them before downgrading")
    with op.batch_alter_table("defects", schema=None) as batch_op:
        batch_op.alter_column("severity", existing_type=sa.String(length=16), nullable=False)
