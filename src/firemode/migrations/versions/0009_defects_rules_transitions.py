"""defect transitions, classification rules

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 15:46:45.850079

The defects domain's own tables: every lifecycle move of a defect (kept, like the defect, for the
seven-year record set) and the classification rules as versions of normalised rows, one per
(asset type, condition). Schema only: the shipped rules (version 1) are seeded after migrating,
outside this file, so it never imports the live models.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import apikit.db.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "classification_rule_versions",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("note", sa.String(length=400), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_classification_rule_versions_created_by_users")
        ),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_classification_rule_versions")),
    )
    op.create_table(
        "classification_rules",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("asset_type", sa.String(length=32), nullable=False),
        sa.Column("condition", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=400), nullable=True),
        sa.ForeignKeyConstraint(
            ["version"],
            ["classification_rule_versions.version"],
            name=op.f("fk_classification_rules_version_classification_rule_versions"),
        ),
        sa.PrimaryKeyConstraint("version", "asset_type", "condition", name=op.f("pk_classification_rules")),
    )
    op.create_table(
        "defect_transitions",
        sa.Column("defect_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=24), nullable=False),
        sa.Column("to_status", sa.String(length=24), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("transitioned_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["defect_id"], ["defects.id"], name=op.f("fk_defect_transitions_defect_id_defects")
        ),
        sa.ForeignKeyConstraint(
            ["transitioned_by"], ["users.id"], name=op.f("fk_defect_transitions_transitioned_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_defect_transitions")),
    )
    with op.batch_alter_table("defect_transitions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_defect_transitions_defect_id_created_at_id"),
            ["defect_id", "created_at", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("defect_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_defect_transitions_defect_id_created_at_id"))

    op.drop_table("defect_transitions")
    op.drop_table("classification_rules")
    op.drop_table("classification_rule_versions")
