"""A building with a season of work for the report tests: a routine table, a register, sessions
completed on chosen days, defects and evidence — through the API with real tokens wherever the
API does it."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import datetime
from typing import Any

from pypdf import PdfReader
from sqlalchemy import update

from apikit.jsoncodec import canonical
from firemode.assets.models import Asset
from tests.conftest import ServiceClient
from tests.firemode.conftest import Account
from tests.firemode.schedule.conftest import (  # the fixtures, for this folder's tests too
    building,
    clock,
    complete,
    routines,
    setting,
    start_session,
    submit,
)

__all__ = ["building", "clock", "routines"]


async def backdate_assets(client: ServiceClient, when: datetime) -> None:
    """Every asset registered at ``when`` (the register's start is where a routine's clock starts)."""
    async with client.app.state.database.transactional() as session:
        await session.execute(update(Asset).values(created_at=when, updated_at=when))


async def visit(
    client: ServiceClient,
    clock: list[datetime],
    who: Account,
    building_id: str,
    when: datetime,
    results: dict[str, dict[str, Any]],
) -> str:
    """A session at ``when`` recording ``results`` (tag → its entry), completed then."""
    clock[0] = when
    session_id = await start_session(client, who, building_id)
    changes = [
        setting(f"/assets/{tag.replace('~', '~0').replace('/', '~1')}/{field}", value)
        for tag, entry in results.items()
        for field, value in entry.items()
    ]
    await submit(client, who, session_id, changes)
    response = await complete(client, who, session_id)
    assert response.status_code == 200, response.text
    return session_id


async def make_report(
    client: ServiceClient, who: Account, building_id: str, start: str, end: str
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/buildings/{building_id}/reports",
        json={"period_start": start, "period_end": end},
        headers=who.headers,
    )
    assert response.status_code == 201, response.text
    report: dict[str, Any] = response.json()
    assert response.headers["Location"] == f"/v1/reports/{report['report_id']}"
    return report


def recomputed_sha256(report: dict[str, Any]) -> str:
    """What anyone holding the JSON computes: SHA-256 of its canonical text without the hash."""
    body = {key: value for key, value in report.items() if key != "content_sha256"}
    return hashlib.sha256(canonical(body).encode()).hexdigest()


def pdf_text(content: bytes) -> str:
    """Every page's text, as pypdf reads it back, with runs of whitespace made single spaces."""
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def routine_lines(report: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(asset["tag"], line["routine"]): line for asset in report["assets"] for line in asset["routines"]}


def new_id() -> str:
    return str(uuid.uuid4())
