"""buildings, test sessions, the change log, idempotency keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 21:43:02.791270
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import apikit.db.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", apikit.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", apikit.db.types.JSONType, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("caller", "key", name=op.f("uq_idempotency_keys_caller_key")),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idempotency_keys_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "buildings",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("building_type", sa.String(length=100), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_buildings_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buildings")),
        sa.UniqueConstraint("name", "address", name=op.f("uq_buildings_name_address")),
    )
    with op.batch_alter_table("buildings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_buildings_created_at_id"), ["created_at", "id"], unique=False)

    op.create_table(
        "test_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("building_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("document", apikit.db.types.JSONType, nullable=False),
        sa.Column("document_bytes", sa.Integer(), nullable=False),
        sa.Column("vector_clock", apikit.db.types.JSONType, nullable=False),
        sa.Column("change_count", sa.Integer(), nullable=False),
        sa.Column("checkpoint", sa.BigInteger(), nullable=False),
        sa.Column("last_counter", sa.BigInteger(), nullable=True),
        sa.Column("last_actor", sa.String(length=64), nullable=True),
        sa.Column("created_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_test_sessions_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_test_sessions_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_sessions")),
    )
    with op.batch_alter_table("test_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_test_sessions_building_id"), ["building_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_test_sessions_created_at_id"), ["created_at", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_test_sessions_status_created_at_id"), ["status", "created_at", "id"], unique=False
        )

    op.create_table(
        "session_changes",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("counter", sa.BigInteger(), nullable=False),
        sa.Column("op", sa.String(length=8), nullable=False),
        sa.Column("path", sa.String(length=4096), nullable=False),
        sa.Column("value", apikit.db.types.JSONType, nullable=True),
        sa.Column("submitted_by", sa.Uuid(), nullable=False),
        sa.Column("accepted_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["test_sessions.id"],
            name=op.f("fk_session_changes_session_id_test_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "seq", name=op.f("pk_session_changes")),
        sa.UniqueConstraint(
            "session_id", "actor", "counter", name=op.f("uq_session_changes_session_id_actor_counter")
        ),
    )
    op.create_table(
        "session_participants",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("added_at", apikit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["test_sessions.id"],
            name=op.f("fk_session_participants_session_id_test_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_session_participants_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("session_id", "user_id", name=op.f("pk_session_participants")),
    )
    with op.batch_alter_table("session_participants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_participants_user_id_session_id"), ["user_id", "session_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("session_participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_participants_user_id_session_id"))

    op.drop_table("session_participants")
    op.drop_table("session_changes")
    with op.batch_alter_table("test_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_test_sessions_status_created_at_id"))
        batch_op.drop_index(batch_op.f("ix_test_sessions_created_at_id"))
        batch_op.drop_index(batch_op.f("ix_test_sessions_building_id"))

    op.drop_table("test_sessions")
    with op.batch_alter_table("buildings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_buildings_created_at_id"))

    op.drop_table("buildings")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_expires_at"))

    op.drop_table("idempotency_keys")
