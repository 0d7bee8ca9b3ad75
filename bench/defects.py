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
import sys
import uuid
from collections.abc import Sequence
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
    POSTGRES_DSN,
    BareSqlite,
    Comparison,
    Endpoint,
    Plan,
    add_serve_command,
    argument_parser,
    bare_database,
    bare_starlette,
    bearer,
    choose_load_generator,
    compare,
    comparison_plan,
    kit_and_bare,
    log_in,
    machine,
    named_databases,
    postgres_answers,
    ratio_table,
    scratch_database,
    serve_kit_or_bare,
    serving,
    set_up_accounts,
    workspace,
)
from apikit.db.engine import Database
from apikit.ids import new_id, utcnow
from firemode.assets.models import Asset
from firemode.buildings.models import Building
from firemode.defects.models import Defect
from firemode.defects.vocabulary import DefectStatus, Severity
from firemode.identity.roles import Role

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

    return bare_starlette(rows, [Route("/v1/defects", list_defects)])


# ---------------------------------------------------------------------------------------------
# The data


@dataclass(frozen=True)
class Setup:
    supervisor: str  # email
    busiest_building: str  # the one with the most overdue defects


async def set_up(data_dir: Path, url: str) -> Setup:
    email = "supervisor@bench.example.com"
    (owner,) = await set_up_accounts(data_dir, url, (email, Role.SUPERVISOR))
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
        with serving(kit_and_bare(__file__, data_dir, name, url)) as (kit, bare):
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


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argument_parser(__doc__)
    parser.add_argument("--quick", action="store_true", help="one short round: a smoke test")
    parser.add_argument("--load-generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--databases", help="comma-separated, of sqlite and postgresql (default both)")
    add_serve_command(parser, ["kit", "bare"])
    return parser.parse_args(argv)


def databases(args: argparse.Namespace) -> list[str]:
    wanted = named_databases(args.databases or "sqlite,postgresql")
    if "PostgreSQL" in wanted and not asyncio.run(postgres_answers()):
        print(f"PostgreSQL: nothing answers at {POSTGRES_DSN}; SQLite only")
        wanted = [name for name in wanted if name != "PostgreSQL"] or ["SQLite"]
    return wanted


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if args.command == "serve":
        serve_kit_or_bare(build_bare_app, args.kind, args.port, args.data_dir, args.database_url)
        return 0
    logging.disable(logging.INFO)  # the setup's migration and audit lines (servers log to files)
    plan = comparison_plan(args.quick)
    names = databases(args)
    comparisons: list[Comparison] = []
    with workspace("bench-defects-") as (tmp, executor):
        load = choose_load_generator(args.load_generator, tmp, executor)
        print(f"defects: {', '.join(names)}; {machine()}; load from {load.name}")
        for name in names:
            comparisons += measure(load, name, tmp / name, plan)
    print(f"\nGET /v1/defects, {DEFECTS:,} defects\n\n{ratio_table(comparisons, TARGET_RATIO)}")
    failed = sum(c.errors for c in comparisons)
    if failed:
        print(f"\nerror: {failed} failed request(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
