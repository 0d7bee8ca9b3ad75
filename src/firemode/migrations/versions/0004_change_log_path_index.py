"""change log: paths in byte order, indexed per session

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 13:40:00.000000

An early batch folds again only the changes at, above and under the paths it touches; it finds
them by ``path IN (…)`` and by byte ranges (``"/a/" <= path < "/a0"``), so the column compares
bytes on PostgreSQL too (collation "C"; SQLite's default already does) and is indexed with the
session.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "session_changes",
            "path",
            existing_type=sa.String(length=4096),
            type_=sa.String(length=4096, collation="C"),
            existing_nullable=False,
        )
    with op.batch_alter_table("session_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_changes_session_id_path"), ["session_id", "path"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("session_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_changes_session_id_path"))
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "session_changes",
            "path",
            existing_type=sa.String(length=4096, collation="C"),
            type_=sa.String(length=4096),
            existing_nullable=False,
        )
