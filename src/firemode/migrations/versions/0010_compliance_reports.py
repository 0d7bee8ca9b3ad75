"""compliance reports

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 19:00:00.000000

A building's compliance report over a period: a draft is worked out on every read; finalising
stores its content, the signer and the SHA-256 of its canonical JSON, for good (part of the
seven-year record set, never deleted).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import apikit.db.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "compliance_reports",
        sa.Column("building_id", sa.Uuid(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("content", apikit.db.types.JSONType, nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("signed_by_name", sa.String(length=200), nullable=True),
        sa.Column("finalised_by", sa.Uuid(), nullable=True),
        sa.Column("finalised_at", apikit.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_compliance_reports_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_compliance_reports_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["finalised_by"], ["users.id"], name=op.f("fk_compliance_reports_finalised_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_reports")),
    )
    with op.batch_alter_table("compliance_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_compliance_reports_building_id_created_at_id"),
            ["building_id", "created_at", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("compliance_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compliance_reports_building_id_created_at_id"))
    op.drop_table("compliance_reports")
