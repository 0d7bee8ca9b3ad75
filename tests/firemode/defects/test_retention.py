"""Retention: nothing of the seven-year record set (sessions, their changes, service records,
defects and their transitions, evidence, compliance reports, and everything else FireMode keeps)
is hard-deleted by an endpoint or by ``firemode purge``. Every table is retained unless it is one
of the few that expire; a new table is retained until someone decides otherwise here."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from fastapi.routing import APIRoute
from sqlalchemy import event
from sqlalchemy.engine import Engine

import firemode.models  # noqa: F401 - every table on the metadata
from apikit.ids import utcnow
from apikit.purge import purge
from firemode.database import Base
from firemode.identity.models import RevokedToken
from firemode.sync.models import IdempotencyKey
from tests.conftest import ServiceClient
from tests.firemode.conftest import Account
from tests.firemode.defects.conftest import Site, open_defect

# What expires (docs/ARCHITECTURE.md, "Purging what expires"); every other table is kept.
EXPIRING_TABLES = frozenset({"idempotency_keys", "applied_batches", "revoked_tokens", "refresh_tokens"})
RETAINED_TABLES = frozenset(Base.metadata.tables) - EXPIRING_TABLES
THE_RECORD_SET = {
    "test_sessions",
    "session_changes",
    "service_records",
    "defects",
    "defect_transitions",
    "evidence",
    "security_events",
    "compliance_reports",
}
_DELETE_FROM = re.compile(r'^\s*DELETE\s+FROM\s+"?(\w+)"?', re.IGNORECASE)


@contextmanager
def deleted_tables() -> Iterator[list[str]]:
    """The tables every ``DELETE`` run meanwhile (any engine of the process) removed rows from."""
    seen: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        found = _DELETE_FROM.match(statement)
        if found:
            seen.append(found.group(1))

    event.listen(Engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", watch)


def test_the_record_set_is_retained() -> None:
    assert THE_RECORD_SET <= RETAINED_TABLES
    assert frozenset(Base.metadata.tables) >= EXPIRING_TABLES  # a renamed table leaves this list


def test_no_endpoint_deletes(firemode: ServiceClient) -> None:
    deleting = sorted(
        f"DELETE {route.path}"
        for route in firemode.app.routes
        if isinstance(route, APIRoute) and "DELETE" in route.methods
    )
    # A DELETE route would need its own proof that it touches none of RETAINED_TABLES.
    assert deleting == []


async def test_purge_deletes_only_what_expires(
    firemode: ServiceClient, technician: Account, site: Site
) -> None:
    defect = await open_defect(firemode, technician, asset_id=site.extinguisher, severity="critical")
    moved = await firemode.post(
        f"/v1/defects/{defect['defect_id']}/transitions",
        json={"to": "acknowledged"},
        headers=technician.headers,
    )
    assert moved.status_code == 200
    long_ago = utcnow() - timedelta(days=8 * 365)
    async with firemode.app.state.database.transactional() as session:
        # Something of each kind that expired, so every purge kind has work to do.
        session.add(
            IdempotencyKey(
                key="old",
                caller=str(technician.user_id),
                fingerprint="0" * 64,
                created_at=long_ago,
                expires_at=long_ago,
                lease_expires_at=long_ago,
            )
        )
        session.add(RevokedToken(jti=str(uuid.uuid4()), user_id=technician.user_id, expires_at=long_ago))

    with deleted_tables() as tables:
        removed = await purge(firemode.app.state.purgeable_kinds)
    assert removed["idempotency_keys"] == 1
    assert removed["revoked_tokens"] == 1
    assert tables, "the watch saw the purge's deletes"
    assert set(tables) <= EXPIRING_TABLES, set(tables) & RETAINED_TABLES
    read = await firemode.get(f"/v1/defects/{defect['defect_id']}", headers=technician.headers)
    assert len(read.json()["transitions"]) == 1
