"""FireMode's schedule and completion: a 5,000-asset building's schedule, a 1,000-asset completion.

Issue "FireMode completion → service records, history, schedule, offline bundle". On PostgreSQL
(the database ``test_schedule_bench`` on 127.0.0.1:5432, emptied and migrated at the start) and on
SQLite (a file in a temporary directory). The real FireMode app runs under uvicorn (one worker) in
a subprocess on 127.0.0.1; requests come from this process over one keep-alive connection
(``http.client``), each with a real technician's bearer token, one at a time.

Set-up, through the models and the kit's bulk insert rather than the API, for speed: the bench
measures the schedule and completion, not the register (the tests cover its endpoints and CSV
import), 20,000 service records have no write route at all, and a few bulk statements keep the
set-up short. It holds a routine table shaped like the shipped one, a building with 5,000
active assets over six asset types (14,168 asset × routine rows), and four past visits (sessions)
whose records cover every asset's first routine with pass, fail, no_access or not_tested (20,000
service records), so the "last pass or fail" subquery has real work. PostgreSQL's tables are
``ANALYZE``d afterwards.

a. **Schedule**: ``GET /v1/buildings/{id}/schedule`` (every row: ~14k items, ~4 MB of JSON), after
   3 untimed requests, timed from the request to the whole body read; p50/p95 of the rounds.
   **Reference**: the same SQL statement the repository runs (written out by hand) on the raw
   driver (asyncpg / aiosqlite) in this process, rows fetched, no HTTP, no JSON: what the database
   alone costs. Runs of the two interleave. Target: schedule p95 < 150 ms on PostgreSQL.

b. **Completion** of a 1,000-asset session: a technician's session on the building, its document
   filled through ``POST …/results`` (3,000 changes: result, routine and notes of 1,000 assets, in
   three batches of 1,000 with idempotency keys), then ``PATCH …/sessions/{id} {status:
   completed}`` timed from the request to the answer read (1,000 records written, some defects).
   Repeated on fresh sessions. **Reference**: on the raw driver, in one transaction, reading the
   session's document and inserting the same 1,000 record rows into a temporary copy of
   ``service_records``: the least a completion must do. Target: completion < 1 s (median and max).

    .venv/bin/python bench/schedule.py                       # about two minutes
    .venv/bin/python bench/schedule.py --databases postgresql
    .venv/bin/python bench/schedule.py --quick               # fewer rounds
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import http.client
import itertools
import json
import logging
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import aiosqlite
import asyncpg
from sqlalchemy import Table, text
from sqlalchemy.engine import make_url

from _common import (
    HOST,
    POSTGRES_DSN,
    Server,
    bearer,
    create_account,
    firemode_settings,
    launch,
    log_in,
    machine,
    migrate,
    percentile,
    postgres_answers,
    serve_app,
    serving,
)
from apikit.db.bulk import insert_rows
from apikit.db.engine import Database
from apikit.ids import new_id, utcnow
from firemode.assets.models import Asset
from firemode.buildings.models import Building
from firemode.identity.roles import Role
from firemode.main import create_firemode_app
from firemode.records.models import ServiceRecord
from firemode.routines.models import Routine, RoutineVersion
from firemode.sessions.models import TestSession

BENCH_DATABASE = "test_schedule_bench"
ASSETS = 5000
COMPLETION_ASSETS = 1000
VISITS = 4
ROUTINES = {  # asset type → (frequency, months, tolerance days); the shipped table's shape
    "portable_extinguisher": [("six_monthly", 6, 15), ("yearly", 12, 30), ("five_yearly", 60, 90)],
    "fire_hose_reel": [("six_monthly", 6, 15), ("yearly", 12, 30)],
    "emergency_exit_lighting": [("six_monthly", 6, 15), ("yearly", 12, 30)],
    "fire_door": [("six_monthly", 6, 15), ("yearly", 12, 30)],
    "fire_detection_alarm": [("monthly", 1, 5), ("six_monthly", 6, 15), ("yearly", 12, 30)],
    "stair_pressurisation": [("monthly", 1, 5), ("six_monthly", 6, 15), ("yearly", 12, 30)],
}
TECH_EMAIL = "bench-tech@firemode.example.com"
SUPERVISOR_EMAIL = "bench-supervisor@firemode.example.com"

SCHEDULE_SQL = """
SELECT a.id, a.building_id, a.tag, a.asset_type, a.location, r.frequency, r.interval_months,
       r.tolerance_days, last.last_done
FROM assets a
JOIN routines r ON r.asset_type = a.asset_type AND r.version = (SELECT max(version) FROM routine_versions)
LEFT OUTER JOIN (
    SELECT asset_id, routine, max(performed_at) AS last_done FROM service_records
    WHERE outcome IN ('pass', 'fail') AND building_id = {p}
    GROUP BY asset_id, routine
) AS last ON last.asset_id = a.id AND last.routine = r.frequency
WHERE a.status = 'active' AND a.building_id = {p}
ORDER BY a.tag, r.interval_months
"""


# ---------------------------------------------------------------------------------------------
# Set-up


@dataclass(frozen=True)
class Building5k:
    building_id: uuid.UUID
    tags: list[str]
    technician: uuid.UUID


async def reset_postgres() -> str:
    admin = await asyncpg.connect(POSTGRES_DSN, timeout=5)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", BENCH_DATABASE)
        if not exists:
            await admin.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    finally:
        await admin.close()
    dsn = make_url(POSTGRES_DSN).set(database=BENCH_DATABASE).render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await connection.close()
    return make_url(dsn).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


async def seed(url: str, data_dir: Path) -> Building5k:
    await migrate(url)
    settings = firemode_settings(data_dir, url)
    supervisor = await create_account(settings, SUPERVISOR_EMAIL, Role.SUPERVISOR)
    technician = await create_account(settings, TECH_EMAIL, Role.TECHNICIAN)
    database = Database(url)
    rng = random.Random(1851)
    now = utcnow()
    try:
        async with database.transactional() as session:
            session.add(RoutineVersion(version=1, note="bench", created_at=now))
            await session.flush()
            for asset_type, routines in ROUTINES.items():
                for frequency, months, tolerance in routines:
                    session.add(
                        Routine(
                            version=1,
                            asset_type=asset_type,
                            frequency=frequency,
                            interval_months=months,
                            tolerance_days=tolerance,
                        )
                    )
            building = Building(name="Bench Tower", address="1 Bench St", created_by=supervisor)
            session.add(building)
            await session.flush()
            types = itertools.cycle(ROUTINES)
            assets = []
            for n in range(ASSETS):
                asset_type = next(types)
                tag = f"{asset_type[:3].upper()}-{n:05d}"
                location = f"Level {n % 40}"
                assets.append(
                    {
                        "id": new_id(),
                        "building_id": building.id,
                        "tag": tag,
                        "asset_type": asset_type,
                        "location": location,
                        "details": {},
                        "installed_on": None,
                        "status": "active",
                        "decommissioned_at": None,
                        "created_by": supervisor,
                        "tag_key": tag.lower(),
                        "location_key": location.lower(),
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            await insert_rows(session, cast(Table, Asset.__table__), assets)
            records = []
            for visit in range(VISITS):
                visited = now - timedelta(days=30 * (VISITS - visit) + 3)
                visit_session = TestSession(
                    id=new_id(),
                    building_id=building.id,
                    status="completed",
                    created_by=technician,
                    created_at=visited,
                    updated_at=visited,
                )
                session.add(visit_session)
                await session.flush()
                for asset in assets:
                    records.append(
                        {
                            "id": new_id(),
                            "asset_id": asset["id"],
                            "building_id": building.id,
                            "session_id": visit_session.id,
                            "routine": ROUTINES[asset["asset_type"]][0][0],
                            "routine_version": 1,
                            "outcome": rng.choice(["pass", "pass", "fail", "no_access", "not_tested"]),
                            "readings": {},
                            "technicians": [str(technician)],
                            "notes": None,
                            "performed_at": visited,
                            "created_at": visited,
                        }
                    )
            await insert_rows(session, cast(Table, ServiceRecord.__table__), records)
        if database.dialect == "postgresql":
            async with database.engine.connect() as connection:
                await connection.execute(text("COMMIT"))
                await connection.execute(text("ANALYZE"))
        return Building5k(building.id, [a["tag"] for a in assets], technician)
    finally:
        await database.dispose()


# ---------------------------------------------------------------------------------------------
# The server and the requests


def serve(port: int, data_dir: Path, database_url: str) -> None:
    serve_app(create_firemode_app(firemode_settings(data_dir, database_url)), port)


def start(data_dir: Path, database_url: str, name: str) -> Server:
    arguments = [f"--data-dir={data_dir}", f"--database-url={database_url}"]
    return launch(__file__, "kit", arguments, data_dir / f"kit-{name.lower()}.log")


class Client:
    """One keep-alive connection, a bearer token on every request."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=60)
        self.headers = dict(bearer(token))

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> tuple[int, bytes, float]:
        payload = None if body is None else json.dumps(body).encode()
        sent = {**self.headers, **headers, **({"Content-Type": "application/json"} if payload else {})}
        started = time.perf_counter()
        self.connection.request(method, path, payload, sent)
        response = self.connection.getresponse()
        answer = response.read()
        return response.status, answer, (time.perf_counter() - started) * 1000

    def ok(self, method: str, path: str, body: Any = None, **headers: str) -> tuple[Any, float]:
        status, answer, elapsed = self.call(method, path, body, **headers)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {answer[:300]!r}")
        return json.loads(answer), elapsed


class Bare:
    """The raw driver on the same database, in this process."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.sqlite = parsed.get_backend_name() == "sqlite"
        self.target = (
            parsed.database
            if self.sqlite
            else parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        )

    async def schedule(self, building_id: uuid.UUID) -> tuple[int, float]:
        started = time.perf_counter()
        if self.sqlite:
            async with aiosqlite.connect(cast(str, self.target)) as connection:
                started = time.perf_counter()
                async with connection.execute(
                    SCHEDULE_SQL.format(p="?"), (building_id.hex, building_id.hex)
                ) as c:
                    rows = await c.fetchall()
        else:
            connection = await asyncpg.connect(cast(str, self.target))
            try:
                started = time.perf_counter()
                rows = await connection.fetch(SCHEDULE_SQL.format(p="$1"), building_id)
            finally:
                await connection.close()
        return len(rows), (time.perf_counter() - started) * 1000

    async def completion(self, session_id: uuid.UUID, records: list[tuple[Any, ...]]) -> float:
        """Read the document, insert the records into a temporary copy of service_records."""
        if self.sqlite:
            async with aiosqlite.connect(cast(str, self.target)) as connection:
                await connection.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS bare_records AS SELECT * FROM service_records WHERE 0"
                )
                started = time.perf_counter()
                async with connection.execute(
                    "SELECT document FROM test_sessions WHERE id = ?", (session_id.hex,)
                ) as c:
                    json.loads((await c.fetchone())[0])  # type: ignore[index]
                await connection.executemany(
                    "INSERT INTO bare_records (id, asset_id, building_id, session_id, routine, "
                    "routine_version, outcome, readings, technicians, notes, performed_at, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [tuple(v.hex if isinstance(v, uuid.UUID) else v for v in r) for r in records],
                )
                await connection.commit()
                return (time.perf_counter() - started) * 1000
        connection = await asyncpg.connect(cast(str, self.target))
        try:
            await connection.execute("CREATE TEMP TABLE IF NOT EXISTS bare_records (LIKE service_records)")
            started = time.perf_counter()
            async with connection.transaction():
                json.loads(
                    await connection.fetchval("SELECT document FROM test_sessions WHERE id = $1", session_id)
                )
                await connection.copy_records_to_table(
                    "bare_records",
                    records=records,
                    columns=[
                        "id",
                        "asset_id",
                        "building_id",
                        "session_id",
                        "routine",
                        "routine_version",
                        "outcome",
                        "readings",
                        "technicians",
                        "notes",
                        "performed_at",
                        "created_at",
                    ],
                )
            return (time.perf_counter() - started) * 1000
        finally:
            await connection.close()


@dataclass(frozen=True)
class Figures:
    database: str
    part: str
    kit: list[float]
    bare: list[float]
    target_ms: float
    note: str

    def row(self) -> str:
        kit, bare = sorted(self.kit), sorted(self.bare)
        p95 = percentile(kit, 0.95)
        met = "yes" if p95 < self.target_ms else "NO"
        return (
            f"| {self.database} | {self.part} | {len(kit)} | {statistics.median(kit):.1f} | {p95:.1f} | "
            f"{max(kit):.1f} | {statistics.median(bare):.1f} | {percentile(bare, 0.95):.1f} | "
            f"{p95 / percentile(bare, 0.95):.1f}× | < {self.target_ms:g} ms: {met} | {self.note} |"
        )


def schedule_part(
    name: str, server: Server, token: str, bare: Bare, building: Building5k, rounds: int
) -> Figures:
    client = Client(server.port, token)
    path = f"/v1/buildings/{building.building_id}/schedule"
    for _ in range(3):
        body, _ = client.ok("GET", path)
    items = len(body["data"])
    kit, reference = [], []
    for round_ in range(rounds):
        bare_first = round_ % 2 == 1
        if bare_first:
            reference.append(asyncio.run(bare.schedule(building.building_id))[1])
        kit.append(client.ok("GET", path)[1])
        if not bare_first:
            rows, elapsed = asyncio.run(bare.schedule(building.building_id))
            assert rows == items, (rows, items)
            reference.append(elapsed)
    return Figures(name, "schedule, 5,000 assets", kit, reference, 150, f"{items} items")


def completion_part(
    name: str, server: Server, token: str, bare: Bare, building: Building5k, repeats: int
) -> Figures:
    client = Client(server.port, token)
    kit, reference = [], []
    summary: dict[str, Any] = {}
    for repeat in range(repeats):
        tags = building.tags[repeat * COMPLETION_ASSETS : (repeat + 1) * COMPLETION_ASSETS]
        created, _ = client.ok("POST", "/v1/tests/sessions", {"building_id": str(building.building_id)})
        session_id = created["session_id"]
        changes = []
        for n, tag in enumerate(tags):
            asset_type = next(t for t in ROUTINES if tag.startswith(t[:3].upper()))
            changes += [
                {"op": "set", "path": f"/assets/{tag}/result", "value": ["pass", "fail", "no_access"][n % 3]},
                {"op": "set", "path": f"/assets/{tag}/routine", "value": ROUTINES[asset_type][-1][0]},
                {"op": "set", "path": f"/assets/{tag}/notes", "value": f"bench {n}"},
            ]
            if n % 50 == 0:
                changes.append(
                    {"op": "set", "path": f"/assets/{tag}/defect", "value": {"condition": "damaged"}}
                )
        for start in range(0, len(changes), 1000):
            client.ok(
                "POST",
                f"/v1/tests/sessions/{session_id}/results",
                {"changes": changes[start : start + 1000]},
                **{"Idempotency-Key": str(uuid.uuid4())},
            )
        answer, elapsed = client.ok("PATCH", f"/v1/tests/sessions/{session_id}", {"status": "completed"})
        summary = answer["completion"]
        assert summary["records"] == COMPLETION_ASSETS, summary
        kit.append(elapsed)
        now = datetime.now(UTC)
        rows = [
            (
                new_id(),
                new_id(),
                building.building_id,
                uuid.UUID(session_id),
                "yearly",
                1,
                "pass",
                "{}",
                json.dumps([str(building.technician)]),
                "bench",
                now,
                now,
            )
            for _ in range(COMPLETION_ASSETS)
        ]
        reference.append(asyncio.run(bare.completion(uuid.UUID(session_id), rows)))
    note = f"{summary['records']} records, {summary['defects']} defects per completion"
    return Figures(name, "completion, 1,000 assets", kit, reference, 1000, note)


# ---------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--databases", choices=["both", "sqlite", "postgresql"], default="both")
    commands = parser.add_subparsers(dest="command")
    server = commands.add_parser("serve", help="internal: the server subprocess")
    server.add_argument("kind", choices=["kit"])
    server.add_argument("--port", type=int, required=True)
    server.add_argument("--data-dir", type=Path, required=True)
    server.add_argument("--database-url", required=True)
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if args.command == "serve":
        serve(args.port, args.data_dir, args.database_url)
        return 0
    logging.disable(logging.INFO)
    names = ["SQLite", "PostgreSQL"] if args.databases == "both" else [args.databases.replace("ql", "QL")]
    names = ["SQLite" if n.lower() == "sqlite" else "PostgreSQL" for n in names]
    if "PostgreSQL" in names and not asyncio.run(postgres_answers()):
        print(f"PostgreSQL: nothing answers at {POSTGRES_DSN}; SQLite only")
        names = [n for n in names if n != "PostgreSQL"]
    rounds, repeats = (20, 2) if args.quick else (60, 5)
    figures: list[Figures] = []
    with tempfile.TemporaryDirectory(prefix="bench-schedule-") as tmp:
        print(f"schedule: {', '.join(names)}; {rounds} schedule rounds, {repeats} completions; {machine()}")
        for name in names:
            data_dir = Path(tmp) / name.lower()
            data_dir.mkdir()
            url = (
                asyncio.run(reset_postgres())
                if name == "PostgreSQL"
                else f"sqlite+aiosqlite:///{data_dir / 'fm.sqlite3'}"
            )
            building = asyncio.run(seed(url, data_dir))
            with serving([functools.partial(start, data_dir, url, name)]) as [server]:
                token = log_in(server.port, TECH_EMAIL)
                bare = Bare(url)
                figures.append(schedule_part(name, server, token, bare, building, rounds))
                figures.append(completion_part(name, server, token, bare, building, repeats))
    print(
        "| database | part | n | kit p50 ms | kit p95 ms | kit max ms | bare p50 ms | bare p95 ms "
        "| p95 ratio | target | note |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for figure in figures:
        print(figure.row())
    return (
        0
        if all(percentile(sorted(f.kit), 0.95) < f.target_ms for f in figures if f.database == "PostgreSQL")
        else 1
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
