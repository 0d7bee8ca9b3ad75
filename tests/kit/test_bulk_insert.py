"""insert_rows writes what Core's executemany writes, on each database (COPY on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

from sqlalchemy import Table, insert, select

from apikit.db.bulk import insert_rows
from apikit.db.engine import Database
from apikit.ids import new_id
from firemode.identity.models import User
from firemode.sessions.schemas import SessionStatus
from firemode.sessions.service import insert_session_if_absent
from firemode.sync.models import SessionChange

VALUES: list[Any] = [None, {"kpa": [1, 2.5], "ok": True}, 2**70, -(2**63), "ünïcode ✓", [], ""]


def rows_for(session_id: Any, user_id: Any) -> list[dict[str, Any]]:
    sydney = timezone(timedelta(hours=11))
    return [
        {
            "session_id": session_id,
            "seq": seq,
            "actor": f"device-{seq}",
            "counter": 2**53 - seq,
            "op": "delete" if value is None else "set",
            "path": f"/assets/EXT~1{seq}/ü",
            "value": value,
            "submitted_by": user_id,
            "accepted_at": datetime(2026, 11, 28, 9, seq, tzinfo=sydney),
        }
        for seq, value in enumerate(VALUES, start=1)
    ]


async def test_insert_rows_writes_what_core_writes(database_url_for: Callable[[str], str]) -> None:
    database = Database(database_url_for("firemode"))
    table = cast(Table, SessionChange.__table__)
    try:
        user_id = new_id()
        async with database.transactional() as session:
            session.add(
                User(id=user_id, email=f"{user_id}@example.com", password_hash="!", role="technician")
            )
            await session.flush()
            by_core, by_bulk = new_id(), new_id()
            for session_id in (by_core, by_bulk):
                await insert_session_if_absent(session, session_id, user_id, status=SessionStatus.IN_PROGRESS)
            await session.execute(insert(table), rows_for(by_core, user_id))
            await insert_rows(session, table, rows_for(by_bulk, user_id))
            await insert_rows(session, table, [])  # nothing to write: no statement

        async with database.read_sessions() as session:
            stored = {
                session_id: [
                    row._asdict()
                    for row in await session.execute(
                        select(*(column for column in table.c if column.name != "session_id"))
                        .where(SessionChange.session_id == session_id)
                        .order_by(SessionChange.seq)
                    )
                ]
                for session_id in (by_core, by_bulk)
            }
        assert stored[by_bulk] == stored[by_core]
        assert [row["value"] for row in stored[by_bulk]] == VALUES
        assert all(row["accepted_at"].tzinfo == UTC for row in stored[by_bulk])
        assert stored[by_bulk][0]["accepted_at"] == datetime(2026, 11, 27, 22, 1, tzinfo=UTC)
    finally:
        await database.dispose()
