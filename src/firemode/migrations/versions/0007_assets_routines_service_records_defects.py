"""assets, routines, service records, defects

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 15:34:34.210881

The AS 1851 domain's tables: the asset register (tags unique per building, in byte order on both
databases so the register pages alike), stair-pressurisation baselines, the routine table as
versions of normalised rows, service records (one per session, asset and routine) and defects.
Schema only: the shipped routines (version 1) are seeded after migrating, outside this file, so
it never imports the live models.
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
    op.create_table(
        "routine_versions",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("note", sa.String(length=400), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_routine_versions_created_by_users")
        ),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_routine_versions")),
    )
    op.create_table(
        "assets",
        sa.Column("building_id", sa.Uuid(), nullable=False),
        sa.Column(
            "tag",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("asset_type", sa.String(length=32), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("details", apikit.db.types.JSONType, nullable=False),
        sa.Column("installed_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decommissioned_at", apikit.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("tag_key", sa.String(length=192), nullable=False),
        sa.Column("location_key", sa.String(length=600), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_assets_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_assets_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
        sa.UniqueConstraint("building_id", "tag", name=op.f("uq_assets_building_id_tag")),
    )
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assets_building_id_asset_type_tag"),
            ["building_id", "asset_type", "tag"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_assets_building_id_status_tag"), ["building_id", "status", "tag"], unique=False
        )

    op.create_table(
        "routines",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("asset_type", sa.String(length=32), nullable=False),
        sa.Column("frequency", sa.String(length=24), nullable=False),
        sa.Column("interval_months", sa.Integer(), nullable=False),
        sa.Column("tolerance_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version"], ["routine_versions.version"], name=op.f("fk_routines_version_routine_versions")
        ),
        sa.PrimaryKeyConstraint("version", "asset_type", "frequency", name=op.f("pk_routines")),
    )
    op.create_table(
        "asset_baselines",
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("pressure_pa", sa.Float(), nullable=False),
        sa.Column("door_opening_force_n", sa.Float(), nullable=False),
        sa.Column("air_velocity_ms", sa.Float(), nullable=False),
        sa.Column("set_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name=op.f("fk_asset_baselines_asset_id_assets")),
        sa.ForeignKeyConstraint(["set_by"], ["users.id"], name=op.f("fk_asset_baselines_set_by_users")),
        sa.PrimaryKeyConstraint("asset_id", name=op.f("pk_asset_baselines")),
    )
    op.create_table(
        "defects",
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("building_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("condition", sa.String(length=64), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("evidence_ids", apikit.db.types.JSONType, nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=True),
        sa.Column("due_at", apikit.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("opened_by", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name=op.f("fk_defects_asset_id_assets")),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_defects_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(["opened_by"], ["users.id"], name=op.f("fk_defects_opened_by_users")),
        sa.ForeignKeyConstraint(
            ["session_id"], ["test_sessions.id"], name=op.f("fk_defects_session_id_test_sessions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_defects")),
    )
    with op.batch_alter_table("defects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_defects_asset_id_status"), ["asset_id", "status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_defects_building_id_created_at_id"),
            ["building_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_defects_created_at_id"), ["created_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_defects_status_due_at"), ["status", "due_at"], unique=False)

    op.create_table(
        "service_records",
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("building_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("routine", sa.String(length=24), nullable=False),
        sa.Column("routine_version", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("readings", apikit.db.types.JSONType, nullable=False),
        sa.Column("technicians", apikit.db.types.JSONType, nullable=False),
        sa.Column("notes", sa.String(length=2000), nullable=True),
        sa.Column("performed_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name=op.f("fk_service_records_asset_id_assets")),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_service_records_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(
            ["routine_version"],
            ["routine_versions.version"],
            name=op.f("fk_service_records_routine_version_routine_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["test_sessions.id"], name=op.f("fk_service_records_session_id_test_sessions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_records")),
        sa.UniqueConstraint(
            "session_id", "asset_id", "routine", name=op.f("uq_service_records_session_id_asset_id_routine")
        ),
    )
    with op.batch_alter_table("service_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_records_asset_id_performed_at_id"),
            ["asset_id", "performed_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_service_records_asset_id_routine_performed_at"),
            ["asset_id", "routine", "performed_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_service_records_building_id_performed_at"),
            ["building_id", "performed_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("service_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_records_building_id_performed_at"))
        batch_op.drop_index(batch_op.f("ix_service_records_asset_id_routine_performed_at"))
        batch_op.drop_index(batch_op.f("ix_service_records_asset_id_performed_at_id"))

    op.drop_table("service_records")
    with op.batch_alter_table("defects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_defects_status_due_at"))
        batch_op.drop_index(batch_op.f("ix_defects_created_at_id"))
        batch_op.drop_index(batch_op.f("ix_defects_building_id_created_at_id"))
        batch_op.drop_index(batch_op.f("ix_defects_asset_id_status"))

    op.drop_table("defects")
    op.drop_table("asset_baselines")
    op.drop_table("routines")
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assets_building_id_status_tag"))
        batch_op.drop_index(batch_op.f("ix_assets_building_id_asset_type_tag"))

    op.drop_table("assets")
    op.drop_table("routine_versions")
