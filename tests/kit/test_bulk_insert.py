"""insert_rows writes what Core's executemany writes, on each database (COPY on PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import BigInteger, String, Table, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from apikit.db.base import TYPE_ANNOTATION_MAP, new_metadata
from apikit.db.bulk import insert_rows
from apikit.db.engine import Database
from apikit.db.types import JSONType
from apikit.ids import new_id
from tests.conftest import TEST_DATABASE_URL, _recreate_postgres_database, postgres_url_for


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map: dict[Any, Any] = TYPE_ANNOTATION_MAP


class Entry(Base):
    """A log row of the kinds insert_rows must convert: ids, JSON (NULL too), wide integers, text
    in byte order, aware timestamps."""

    __tablename__ = "bulk_entries"

    batch_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    actor: Mapped[str] = mapped_column(String(64))
    counter: Mapped[int] = mapped_column(BigInteger)
    path: Mapped[str] = mapped_column(String(4096).with_variant(String(4096, collation="C"), "postgresql"))
    value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    written_by: Mapped[uuid.UUID] = mapped_column()
    written_at: Mapped[datetime] = mapped_column()


VALUES: list[Any] = [None, {"kpa": [1, 2.5], "ok": True}, 2**70, -(2**63), "ünïcode ✓", [], ""]


def rows_for(batch_id: uuid.UUID, user_id: uuid.UUID) -> list[dict[str, Any]]:
    sydney = timezone(timedelta(hours=11))
    return [
        {
            "batch_id": batch_id,
            "seq": seq,
            "actor": f"device-{seq}",
            "counter": 2**53 - seq,
            "path": f"/assets/EXT~1{seq}/ü",
            "value": value,
            "written_by": user_id,
            "written_at": datetime(2026, 11, 28, 9, seq, tzinfo=sydney),
        }
        for seq, value in enumerate(VALUES, start=1)
    ]


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    if TEST_DATABASE_URL:
        url = postgres_url_for("kitbulk")
        await _recreate_postgres_database(url)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'bulk.sqlite3'}"
    database = Database(url)
    async with database.engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    yield database
    await database.dispose()


async def test_insert_rows_writes_what_core_writes(database: Database) -> None:
    table = cast(Table, Entry.__table__)
    user_id, by_core, by_bulk = new_id(), new_id(), new_id()
    async with database.transactional() as session:
        await session.execute(insert(table), rows_for(by_core, user_id))
        await insert_rows(session, table, rows_for(by_bulk, user_id))
        await insert_rows(session, table, [])  # nothing to write: no statement

    async with database.read_sessions() as session:
        stored = {
            batch_id: [
                row._asdict()
                for row in await session.execute(
                    select(*(column for column in table.c if column.name != "batch_id"))
                    .where(Entry.batch_id == batch_id)
                    .order_by(Entry.seq)
                )
            ]
            for batch_id in (by_core, by_bulk)
        }
    assert stored[by_bulk] == stored[by_core]
    assert [row["value"] for row in stored[by_bulk]] == VALUES
    assert all(row["written_at"].tzinfo == UTC for row in stored[by_bulk])
    assert stored[by_bulk][0]["written_at"] == datetime(2026, 11, 27, 22, 1, tzinfo=UTC)
