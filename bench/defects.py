"""FireMode's defect list against a bare handler running the same SQL.

Issue "FireMode: defects and reports" (first half). Requests/s of two reads, as a supervisor (the
bearer token checked on every request), with 5,000 defects present over 20 buildings (20 assets
each, severities and statuses mixed, a third of the due dates in the past):

* ``GET /v1/defects?limit=20`` — the newest page;
* ``GET /v1/defects?building_id=B&overdue=true&limit=20`` — one building's overdue defects.

The reference is a bare Starlette handler (no FastAPI, no middleware, **no authentication**) that
runs the statement the ORM sends for the same request (as a ``before_cursor_execute`` capture
shows it: the summary's nine columns, the same ``WHERE`` and ``ORDER BY``, the three rectified
statuses written inline rather than bound) on the raw driver (one aiosqlite connection;
an asyncpg pool as large as the kit's) and answers the same JSON (``data`` plus a signed
``next_cursor``). Servers run under uvicorn, one worker, on 127.0.0.1; SQLite in a temporary
directory and, when it answers, PostgreSQL (a scratch database ``bench_<hex>``, dropped at the
end). Loaded with wrk (else the asyncio client), 8 connections, kit and bare interleaved, median
of the rounds. Target: kit ≥ 0.3× bare.

    .venv/bin/python bench/defects.py              # about a minute
    .venv/bin/python bench/defects.py --quick      # a smoke test: one short round
    .venv/bin/python bench/defects.py --databases sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import logging
import multiprocessing
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from _common import (
    HEALTH_PATH,
    POSTGRES_DSN,
    BareSqlite,
    Comparison,
    Endpoint,
    Plan,
    Server,
    bare_database,
    bearer,
    choose_load_generator,
    compare,
    create_account,
    firemode_settings,
    launch,
    log_in,
    machine,
    median_of,
    migrate,
    postgres_answers,
    scratch_database,
    serve_app,
    serving,
)
from apikit.db.engine import Database
from apikit.ids import new_id, utcnow
from firemode.assets.models import Asset
from firemode.buildings.models import Building
from firemode.defects.models import Defect
from firemode.defects.vocabulary import DefectStatus, Severity
from firemode.identity.roles import Role
from firemode.main import create_firemode_app

TARGET_RATIO = 0.3  # kit rps ≥ 0.3 × bare rps
DEFECTS = 5000
BUILDINGS = 20
ASSETS_PER_BUILDING = 20
LIMIT = 20
# What the ORM sends for the list: the summary's columns, newest first, one row more than a page.
PAGE_SQL = (
    "SELECT id, asset_id, building_id, session_id, condition, severity, status, due_at, created_at "
    "FROM defects ORDER BY created_at DESC, id DESC LIMIT {p1}"
)
OVERDUE_SQL = (
    "SELECT id, asset_id, building_id, session_id, condition, severity, status, due_at, created_at "
    "FROM defects WHERE building_id = {p1} AND due_at < {p2} "
    "AND (status NOT IN ('closed', 'repaired', 'verified')) "
    "ORDER BY created_at DESC, id DESC LIMIT {p3}"
)


# ---------------------------------------------------------------------------------------------
# The bare reference (built inside the server subprocess)


def build_bare_app(database_url: str, secret: bytes) -> Starlette:
    rows = bare_database(database_url)
    on_sqlite = isinstance(rows, BareSqlite)
    page_sql = PAGE_SQL.format(p1=rows.placeholder(1))
    overdue_sql = OVERDUE_SQL.format(p1=rows.placeholder(1), p2=rows.placeholder(2), p3=rows.placeholder(3))
    key = hashlib.sha256(b"bench.cursor\x00" + secret).digest()

    def as_uuid(value: Any) -> str | None:
        if value is None:
            return None
        return str(uuid.UUID(hex=value)) if on_sqlite else str(value)

    def as_time(value: Any) -> str | None:
        if value is None:
            return None
        moment = datetime.fromisoformat(value).replace(tzinfo=UTC) if on_sqlite else value
        return str(moment.isoformat()).replace("+00:00", "Z")

    def bound_time(moment: datetime) -> Any:
        return moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") if on_sqlite else moment

    def bound_uuid(text_id: str) -> Any:
        return uuid.UUID(text_id).hex if on_sqlite else uuid.UUID(text_id)

    def cursor_after(row: dict[str, Any]) -> str:
        body = json.dumps({"k": [row["created_at"], row["defect_id"]]}, separators=(",", ":")).encode()
        signature = hmac.new(key, body, hashlib.sha256).digest()[:16]
        return f"{base64.urlsafe_b64encode(body).decode()}.{base64.urlsafe_b64encode(signature).decode()}"

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await rows.open()
        try:
            yield
        finally:
            await rows.close()

    async def health(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def list_defects(request: Request) -> JSONResponse:
        limit = min(int(request.query_params.get("limit", "20")), 100)
        building_id = request.query_params.get("building_id")
        if building_id is not None:
            found = await rows.fetch(overdue_sql, bound_uuid(building_id), bound_time(utcnow()), limit + 1)
        else:
            found = await rows.fetch(page_sql, limit + 1)
        data = [
            {
                "defect_id": as_uuid(row[0]),
                "asset_id": as_uuid(row[1]),
                "building_id": as_uuid(row[2]),
                "session_id": as_uuid(row[3]),
                "condition": row[4],
                "severity": row[5],
                "status": row[6],
                "due_at": as_time(row[7]),
                "created_at": as_time(row[8]),
            }
            for row in found[:limit]
        ]
        next_cursor = cursor_after(data[-1]) if len(found) > limit else None
        return JSONResponse({"data": data, "next_cursor": next_cursor})

    return Starlette(
        routes=[Route(HEALTH_PATH, health), Route("/v1/defects", list_defects)], lifespan=lifespan
    )


def serve(kind: str, port: int, data_dir: Path, database_url: str) -> None:
    settings = firemode_settings(data_dir, database_url)
    app = (
        create_firemode_app(settings)
        if kind == "kit"
        else build_bare_app(database_url, settings.secret("secret_key"))
    )
    serve_app(app, port)


def start(kind: str, data_dir: Path, name: str, database_url: str) -> Server:
    arguments = [f"--data-dir={data_dir}", f"--database-url={database_url}"]
    return launch(__file__, kind, arguments, data_dir / f"{kind}-{name.lower()}.log")


# ---------------------------------------------------------------------------------------------
# The data


@dataclass(frozen=True)
class Setup:
    supervisor: str  # email
    busiest_building: str  # the one with the most overdue defects


async def set_up(data_dir: Path, url: str) -> Setup:
    await migrate(url)
    settings = firemode_settings(data_dir, url)
    email = "supervisor@bench.example.com"
    owner = await create_account(settings, email, Role.SUPERVISOR)
    building = await seed_defects(Database(url), owner)
    return Setup(email, building)


async def seed_defects(database: Database, owner: uuid.UUID) -> str:
    """``DEFECTS`` defects over ``BUILDINGS`` buildings; the id of the first building."""
    now = utcnow()
    buildings = [
        {"id": new_id(), "name": f"Bench building {n}", "address": f"{n} Bench St", "created_by": owner}
        for n in range(BUILDINGS)
    ]
    assets = [
        {
            "id": new_id(),
            "building_id": building["id"],
            "tag": f"EXT-{n:03d}",
            "asset_type": "portable_extinguisher",
            "location": "Level 1",
            "details": {},
            "status": "active",
            "created_by": owner,
            "tag_key": f"ext-{n:03d}",
            "location_key": "level 1",
            "created_at": now,
            "updated_at": now,
        }
        for building in buildings
        for n in range(ASSETS_PER_BUILDING)
    ]
    severities, statuses = list(Severity), list(DefectStatus)
    defects = []
    for n in range(DEFECTS):
        created = now - timedelta(days=90) * (n / DEFECTS) - timedelta(microseconds=n)
        asset = assets[n % len(assets)]
        severity = severities[n % len(severities)]
        due = None if severity == Severity.NON_CONFORMANCE else created + timedelta(days=30 if n % 3 else -1)
        defects.append(
            {
                "id": new_id(),
                "asset_id": asset["id"],
                "building_id": asset["building_id"],
                "condition": "pressure_low",
                "severity": severity.value,
                "description": "Found at the six-monthly service " + "x" * 200,
                "evidence_ids": [],
                "status": statuses[(n // 7) % len(statuses)].value,
                "rule_version": 1,
                "due_at": due,
                "opened_by": owner,
                "created_at": created,
                "updated_at": created,
            }
        )
    try:
        async with database.transactional() as session:
            await session.execute(
                insert(Building), [b | {"created_at": now, "updated_at": now} for b in buildings]
            )
            await session.execute(insert(Asset), assets)
            await session.execute(insert(Defect), defects)
            if database.dialect == "postgresql":
                await session.execute(text("ANALYZE"))
    finally:
        await database.dispose()
    return str(buildings[0]["id"])


# ---------------------------------------------------------------------------------------------
# Measuring


def same_page(kit: bytes, bare: bytes) -> bool:
    """The same defects in the same order and shape; each side signs its own cursor."""
    kit_page, bare_page = json.loads(kit), json.loads(bare)
    return bool(
        kit_page.keys() == bare_page.keys()
        and kit_page["data"] == bare_page["data"]
        and (kit_page["next_cursor"] is None) == (bare_page["next_cursor"] is None)
    )


def measure(load: Any, name: str, data_dir: Path, plan: Plan) -> list[Comparison]:
    data_dir.mkdir()
    with scratch_database(name, data_dir, "firemode") as url:
        setup = asyncio.run(set_up(data_dir, url))
        starters = [lambda kind=kind: start(kind, data_dir, name, url) for kind in ("kit", "bare")]
        with serving(starters) as (kit, bare):
            token = log_in(kit.port, setup.supervisor)
            paths = [
                f"/v1/defects?limit={LIMIT}",
                f"/v1/defects?building_id={setup.busiest_building}&overdue=true&limit={LIMIT}",
            ]
            return [
                compare(
                    load,
                    (
                        name,
                        "GET "
                        + path.split("?")[0]
                        + ("?building_id&overdue=true" if "overdue" in path else ""),
                    ),
                    (kit, Endpoint(path, bearer(token))),
                    (bare, Endpoint(path)),
                    plan,
                    max_cost=1 / TARGET_RATIO,
                    same=same_page,
                )
                for path in paths
            ]


def table(comparisons: Sequence[Comparison]) -> str:
    header = (
        "| database | endpoint | kit rps | bare rps | kit/bare | kit p50 ms | bare p50 ms | kit p95 ms "
        f"| bare p95 ms | ≥ {TARGET_RATIO}× |"
    )
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for c in comparisons:
        lines.append(
            f"| {c.database} | {c.endpoint} | {c.kit_rps:.0f} | {c.bare_rps:.0f} | {c.ratio:.2f}× "
            f"| {median_of(c.kit, 'p50_ms'):.2f} | {median_of(c.bare, 'p50_ms'):.2f} "
            f"| {median_of(c.kit, 'p95_ms'):.2f} | {median_of(c.bare, 'p95_ms'):.2f} "
            f"| {'yes' if c.meets_target else 'NO'} |"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="one short round: a smoke test")
    parser.add_argument("--load-generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--databases", help="comma-separated, of sqlite and postgresql (default both)")
    commands = parser.add_subparsers(dest="command")
    server = commands.add_parser("serve", help="internal: one server subprocess")
    server.add_argument("kind", choices=["kit", "bare"])
    server.add_argument("--port", type=int, required=True)
    server.add_argument("--data-dir", type=Path, required=True)
    server.add_argument("--database-url", required=True)
    return parser.parse_args(argv)


def databases(args: argparse.Namespace) -> list[str]:
    known = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    wanted = [known[name.strip().lower()] for name in (args.databases or "sqlite,postgresql").split(",")]
    if "PostgreSQL" in wanted and not asyncio.run(postgres_answers()):
        print(f"PostgreSQL: nothing answers at {POSTGRES_DSN}; SQLite only")
        wanted = [name for name in wanted if name != "PostgreSQL"] or ["SQLite"]
    return wanted


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if args.command == "serve":
        serve(args.kind, args.port, args.data_dir, args.database_url)
        return 0
    logging.disable(logging.INFO)  # the setup's migration and audit lines (servers log to files)
    plan = Plan(
        rounds=1 if args.quick else 4,
        seconds=1 if args.quick else 2,
        connections=8,
        warmup_requests=300 if args.quick else 2000,
        warmup_seconds=0.5 if args.quick else 2.0,
    )
    names = databases(args)
    comparisons: list[Comparison] = []
    spawn = multiprocessing.get_context("spawn")
    with (
        tempfile.TemporaryDirectory(prefix="bench-defects-") as tmp,
        ProcessPoolExecutor(max_workers=1, mp_context=spawn) as executor,
    ):
        load = choose_load_generator(args.load_generator, Path(tmp), executor)
        print(f"defects: {', '.join(names)}; {machine()}; load from {load.name}")
        for name in names:
            comparisons += measure(load, name, Path(tmp) / name, plan)
    print(f"\nGET /v1/defects, {DEFECTS:,} defects\n\n{table(comparisons)}")
    failed = sum(c.errors for c in comparisons)
    if failed:
        print(f"\nerror: {failed} failed request(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
