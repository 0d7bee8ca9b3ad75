"""FireMode compliance reports for a 1,000-asset building: the JSON and the PDF.

Issue "FireMode: defects with classification rules, compliance reports …". The real FireMode app
in process over ASGI (httpx ``ASGITransport``, with its lifespan: routing, a supervisor's bearer
token, the rate limit, the report worked out from the database, the JSON written), on SQLite (a
file in a temporary directory) and on PostgreSQL (a scratch database, dropped afterwards).

Set-up, through the models (the endpoints that write these are other domains', and measured by
their own benches): the shipped routine table, a building of 1,000 extinguishers registered a
year and a half before the period (3,000 asset × routine rows), 2,000 service records in the
period (each asset's six-monthly and yearly routines, one in ten a fail), 200 defects of every
severity, 40 evidence rows linked to the period's session; PostgreSQL's tables ``ANALYZE``d, as
autovacuum does soon after such a load. One draft report of the half-year.

a. **JSON**: ``GET /v1/reports/{id}`` (a draft: worked out afresh each time), 30 timed requests
   after 3 untimed ones, p50/p95. **Reference**: the statements the report runs
   (``PeriodRepository``: the register's routines, their last pass or fail, the period's latest
   records, its technicians, defects and their moves, evidence) on a session of the same database, in this
   process, no HTTP and no assembly: what the database alone costs. The two alternate.
   Target: p95 < 300 ms.
b. **PDF**: ``GET /v1/reports/{id}/pdf``, 10 timed requests after one untimed, p50/max.
   **Reference**: ``render`` alone on the report's JSON, in this process (the PDF library's cost).
   Target: < 2 s.

    .venv/bin/python bench/reports.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from httpx import ASGITransport, AsyncClient
from sqlalchemy import func, select, text

from _common import in_process_settings, percentile, postgres_answers, scratch_database
from apikit.cli import migrate
from apikit.db.engine import Database
from firemode.assets.models import Asset
from firemode.buildings.models import Building
from firemode.cli import SERVICE as FIREMODE
from firemode.defects.models import Defect
from firemode.evidence.models import Evidence
from firemode.identity.roles import Role
from firemode.identity.service import UserService
from firemode.main import create_firemode_app
from firemode.records.models import ServiceRecord
from firemode.reports.pdf import render
from firemode.reports.repository import PeriodRepository
from firemode.reports.service import start_of
from firemode.routines.models import RoutineVersion
from firemode.sessions.models import TestSession
from firemode.settings import FireModeSettings

ASSETS = 1000
DEFECTS = 200
JSON_ROUNDS = 30
PDF_ROUNDS = 10
PERIOD = (date(2026, 1, 1), date(2026, 6, 30))
REGISTERED = datetime(2024, 7, 1, tzinfo=UTC)
DONE = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"  # noqa: S105 - a throwaway benchmark account


def ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


async def seed(app: Any, supervisor: uuid.UUID) -> uuid.UUID:
    """The building, its register, the period's records, defects and evidence; its id."""
    async with app.state.database.transactional() as session:
        routines = await session.scalar(select(func.max(RoutineVersion.version)))
        building = Building(name="Bench Tower", address="1 Bench St, Sydney NSW 2000", created_by=supervisor)
        session.add(building)
        await session.flush()
        visit = TestSession(
            id=uuid.uuid4(), building_id=building.id, status="completed", created_by=supervisor
        )
        session.add(visit)
        assets = [
            Asset(
                building_id=building.id,
                tag=f"EXT-{number:04d}",
                asset_type="portable_extinguisher",
                location=f"Level {number % 40}, east stair",
                created_by=supervisor,
                tag_key=f"ext-{number:04d}",
                location_key=f"level {number % 40}, east stair",
                created_at=REGISTERED,
                updated_at=REGISTERED,
            )
            for number in range(ASSETS)
        ]
        session.add_all(assets)
        await session.flush()
        session.add_all(
            ServiceRecord(
                asset_id=asset.id,
                building_id=building.id,
                session_id=visit.id,
                routine=routine,
                routine_version=routines,
                outcome="fail" if number % 10 == 0 else "pass",
                technicians=[str(supervisor)],
                performed_at=DONE,
            )
            for number, asset in enumerate(assets)
            for routine in ("six_monthly", "yearly")
        )
        session.add_all(
            Defect(
                asset_id=assets[number * 5].id,
                building_id=building.id,
                severity=("critical", "non_critical", "non_conformance", None)[number % 4],
                condition="pressure_low",
                description=f"Gauge reads low on inspection; replace or recharge (defect {number})",
                status="open",
                opened_by=supervisor,
                created_at=DONE,
                updated_at=DONE,
            )
            for number in range(DEFECTS)
        )
        session.add_all(
            Evidence(
                sha256=f"{number:064x}",
                size_bytes=250_000 + number,
                content_type="image/jpeg",
                filename=f"EXT-{number:04d}.jpg",
                session_id=visit.id,
                evidence_type="photo",
                uploaded_by=supervisor,
            )
            for number in range(40)
        )
        return building.id


async def reference_queries(app: Any, building_id: uuid.UUID) -> float:
    """The report's statements on the database alone (see the module's docstring)."""
    started = time.perf_counter()
    async with app.state.database.reading() as session:
        period = PeriodRepository(session, building_id, start_of(PERIOD[0]), start_of(date(2026, 7, 1)))
        await period.routines()
        await period.last_done()
        await period.latest_records()
        await period.technicians_of_records()
        defects = await period.defects()
        await period.transitions([row.id for row in defects])
        await period.evidence([])
    return ms_since(started)


async def measure(url: str, data_dir: Path) -> dict[str, float]:
    database = Database(url)
    await migrate(FIREMODE, database)
    await database.dispose()
    settings = in_process_settings(
        FireModeSettings, data_dir, url, report_rate="100000/minute", log_level="WARNING"
    )
    app = create_firemode_app(settings)
    async with (
        AsyncClient(transport=ASGITransport(app=app), base_url="http://bench", timeout=60) as client,
        app.router.lifespan_context(app),
    ):
        async with app.state.database.transactional() as session:
            user = await UserService(session, app.state.identity).create_user(
                email="supervisor@bench.example.com", password=PASSWORD, role=Role.SUPERVISOR
            )
        token, _ = app.state.identity.access_tokens.issue(str(user.id), user.role)
        headers = {"Authorization": f"Bearer {token}"}
        building_id = await seed(app, user.id)
        if app.state.database.engine.dialect.name == "postgresql":
            async with app.state.database.transactional() as session:
                await session.execute(text("ANALYZE"))  # as autovacuum would soon after such a load
        created = await client.post(
            f"/v1/buildings/{building_id}/reports",
            json={"period_start": PERIOD[0].isoformat(), "period_end": PERIOD[1].isoformat()},
            headers=headers,
        )
        if created.status_code != 201:
            raise SystemExit(f"POST …/reports answered {created.status_code}: {created.text[:300]}")
        report = created.json()
        assert report["summary"]["assets"] == ASSETS
        assert len(report["defects"]["items"]) == DEFECTS
        url_json = f"/v1/reports/{report['report_id']}"

        async def get(path: str) -> float:
            started = time.perf_counter()
            response = await client.get(path, headers=headers)
            elapsed = ms_since(started)
            if response.status_code != 200:
                raise SystemExit(f"GET {path} answered {response.status_code}: {response.text[:300]}")
            return elapsed

        for _ in range(3):
            await get(url_json)
            await reference_queries(app, building_id)
        api, bare = [], []
        for _ in range(JSON_ROUNDS):
            api.append(await get(url_json))
            bare.append(await reference_queries(app, building_id))

        await get(f"{url_json}/pdf")
        pdf, library = [], []
        for _ in range(PDF_ROUNDS):
            pdf.append(await get(f"{url_json}/pdf"))
            started = time.perf_counter()
            render(report)
            library.append(ms_since(started))
    await app.state.database.dispose()
    return {
        "json_p50": statistics.median(api),
        "json_p95": percentile(sorted(api), 0.95),
        "queries_p50": statistics.median(bare),
        "queries_p95": percentile(sorted(bare), 0.95),
        "pdf_p50": statistics.median(pdf),
        "pdf_max": max(pdf),
        "render_p50": statistics.median(library),
    }


def show(name: str, figures: dict[str, float]) -> None:
    json_verdict = "met" if figures["json_p95"] < 300 else "MISSED"
    pdf_verdict = "met" if figures["pdf_max"] < 2000 else "MISSED"
    print(
        f"{name:<11} JSON p50 {figures['json_p50']:6.1f} ms  "
        f"p95 {figures['json_p95']:6.1f} ms ({json_verdict}; "
        f"its queries alone p50 {figures['queries_p50']:6.1f} p95 {figures['queries_p95']:6.1f})  |  "
        f"PDF p50 {figures['pdf_p50']:6.0f} ms  max {figures['pdf_max']:6.0f} ms ({pdf_verdict}; "
        f"render alone p50 {figures['render_p50']:5.0f} ms)"
    )


def main() -> int:
    kinds = ["SQLite"] + (["PostgreSQL"] if asyncio.run(postgres_answers()) else [])
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as scratch:
        directory = Path(scratch)
        for kind in kinds:
            with scratch_database(kind, directory, "reports") as url:
                show(kind, asyncio.run(measure(url, directory)))
    if len(kinds) == 1:
        print("PostgreSQL does not answer on 127.0.0.1:5432: skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
