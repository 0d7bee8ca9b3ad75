"""Stack overhead: what the kit's whole HTTP stack costs over a bare Starlette handler.

Two endpoints, each measured on the kit and on a bare reference in the same run:

* ``GET /health`` on the real FireMode app (``create_firemode_app``: FastAPI plus the kit's
  middleware — request context with its access log line and metrics, error boundary, gzip, body
  limit) against a bare Starlette app (no FastAPI, no middleware) returning the same JSON.
* ``GET /bench/rows/42``, a one-row read by primary key. On the FireMode app it is a bench-only
  route taking ``ReadSession`` (SQLAlchemy's async engine, as the kit configures it); on the bare
  app a handler runs the same SQL on the raw driver: one shared aiosqlite connection, or an asyncpg
  pool (as large as the kit's) whose release skips asyncpg's reset query. It runs on SQLite always,
  and on PostgreSQL too when it answers on 127.0.0.1:5432 (database ``test``, in a table this
  script creates and drops). ``/health`` touches no database, so it is measured once.

How: each app is served by uvicorn (one worker, access log off) in its own subprocess on a free
127.0.0.1 port, warmed up, then loaded from a separate process — ``wrk`` when it is installed, else
a small asyncio keep-alive HTTP/1.1 client — over a few keep-alive connections. Every run is bounded
in requests and seconds. Kit and bare runs alternate (kit bare, bare kit, …) because the machine is
shared and noisy, and the median of the rounds is reported.

Only the ratios mean anything, not the absolute figures: the target is a stack that costs no more
than 1.6× the bare handler (kit rps ≥ bare rps / 1.6); the p95 latency ratio is reported alongside.

    .venv/bin/python bench/stack_overhead.py            # about a minute
    .venv/bin/python bench/stack_overhead.py --quick    # about 20 s (server start-up dominates)
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import asyncpg
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from _common import (
    HEALTH_PATH,
    POSTGRES_DSN,
    Comparison,
    Endpoint,
    LoadGenerator,
    Plan,
    add_serve_command,
    argument_parser,
    bare_database,
    bare_starlette,
    checked_identifier,
    choose_load_generator,
    compare,
    comparison_plan,
    kit_and_bare,
    latency_cells,
    machine,
    markdown_table,
    postgres_answers,
    serve_app,
    serving,
    verdict,
    workspace,
)
from apikit.db.engine import ReadSession
from apikit.errors import NotFoundError
from firemode.main import create_firemode_app
from firemode.settings import FireModeSettings

KIT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
TARGET_RATIO = 1.6
ROW_COUNT = 100
ROW_ID = 42
ROW_PATH = f"/bench/rows/{ROW_ID}"


# ---------------------------------------------------------------------------------------------
# What is measured


@dataclass(frozen=True)
class Database:
    """Where the row read runs: the URL the kit uses (the bare app derives its driver's from it)."""

    name: str
    url: str
    table: str


# ---------------------------------------------------------------------------------------------
# The bench table


def select_row_sql(table: str, placeholder: str) -> str:
    """The one query both apps run; only the driver's placeholder style differs."""
    return f"SELECT id, name FROM {checked_identifier(table)} WHERE id = {placeholder}"  # noqa: S608 - our table


def create_table_sql(table: str) -> str:
    return f"CREATE TABLE {checked_identifier(table)} (id integer PRIMARY KEY, name text NOT NULL)"


def insert_row_sql(table: str, placeholders: tuple[str, str]) -> str:
    first, second = placeholders
    return f"INSERT INTO {checked_identifier(table)} (id, name) VALUES ({first}, {second})"  # noqa: S608


def bench_rows() -> list[tuple[int, str]]:
    return [(row_id, f"row-{row_id}") for row_id in range(1, ROW_COUNT + 1)]


def create_sqlite_table(path: Path, table: str) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")  # as the kit leaves its database
        connection.execute(create_table_sql(table))
        connection.executemany(insert_row_sql(table, ("?", "?")), bench_rows())
    connection.close()


async def create_postgres_table(table: str) -> None:
    connection = await asyncpg.connect(POSTGRES_DSN, timeout=5)
    try:
        await connection.execute(create_table_sql(table))
        await connection.executemany(insert_row_sql(table, ("$1", "$2")), bench_rows())
    finally:
        await connection.close()


async def drop_postgres_table(table: str) -> None:
    connection = await asyncpg.connect(POSTGRES_DSN, timeout=5)
    try:
        await connection.execute(f"DROP TABLE IF EXISTS {checked_identifier(table)}")
    finally:
        await connection.close()


@contextmanager
def postgres_table() -> Iterator[Database]:
    """A uniquely named bench table in ``test``, dropped again whatever happens."""
    table = f"bench_rows_{secrets.token_hex(4)}"
    try:
        asyncio.run(create_postgres_table(table))
        yield Database("PostgreSQL", KIT_POSTGRES_URL, table)
    finally:
        asyncio.run(drop_postgres_table(table))


# ---------------------------------------------------------------------------------------------
# The two apps (built inside the server subprocess)


class BenchRow(BaseModel):
    id: int
    name: str


def build_kit_app(data_dir: Path, database: Database) -> FastAPI:
    """The real FireMode app, plus one bench-only route reading a row through ``ReadSession``."""
    settings = FireModeSettings(
        _env_file=None,  # no developer .env in a benchmark
        data_dir=data_dir,
        database_url=database.url,
        log_json=True,  # what production writes
    )
    app = create_firemode_app(settings)
    query = text(select_row_sql(database.table, ":id"))

    async def read_bench_row(row_id: int, session: ReadSession) -> BenchRow:
        row = (await session.execute(query, {"id": row_id})).one_or_none()
        if row is None:
            raise NotFoundError("No such bench row")
        return BenchRow(id=row.id, name=row.name)

    app.add_api_route(
        "/bench/rows/{row_id}",
        read_bench_row,
        methods=["GET"],
        response_model=BenchRow,
        include_in_schema=False,
    )
    return app


def build_bare_app(database: Database) -> Starlette:
    """Plain Starlette: the same two answers, no FastAPI, no middleware, the raw driver."""
    rows = bare_database(database.url)
    sql = select_row_sql(database.table, rows.placeholder(1))

    async def read_row(request: Request) -> JSONResponse:
        found = await rows.fetch(sql, request.path_params["row_id"])
        if not found:
            return JSONResponse({"message": "No such bench row"}, status_code=404)
        return JSONResponse({"id": found[0][0], "name": found[0][1]})

    return bare_starlette(rows, [Route("/bench/rows/{row_id:int}", read_row)])


def serve(kind: str, port: int, data_dir: Path, database: Database) -> None:
    """The server subprocess."""
    app = build_kit_app(data_dir, database) if kind == "kit" else build_bare_app(database)
    serve_app(app, port)


# ---------------------------------------------------------------------------------------------
# Running the servers


def measure_database(
    load: LoadGenerator, data_dir: Path, database: Database, paths: Sequence[str], plan: Plan
) -> list[Comparison]:
    """The kit and the bare app, started together, compared on each path in turn."""
    starters = kit_and_bare(__file__, data_dir, database.name, database.url, f"--table={database.table}")
    with serving(starters) as (kit, bare):
        return [
            compare(
                load,
                (database.name, path),
                (kit, Endpoint(path)),
                (bare, Endpoint(path)),
                plan,
                max_cost=TARGET_RATIO,
            )
            for path in paths
        ]


def run_benchmark(load: LoadGenerator, plan: Plan, data_dir: Path, with_postgres: bool) -> list[Comparison]:
    sqlite = Database("SQLite", f"sqlite+aiosqlite:///{data_dir / 'firemode.sqlite3'}", "bench_rows")
    create_sqlite_table(data_dir / "firemode.sqlite3", sqlite.table)
    comparisons = measure_database(load, data_dir, sqlite, [HEALTH_PATH, ROW_PATH], plan)
    if not with_postgres:
        return comparisons
    if not asyncio.run(postgres_answers()):
        print(f"PostgreSQL: nothing answers at {POSTGRES_DSN}; skipped")
        return comparisons
    with postgres_table() as postgres:
        comparisons += measure_database(load, data_dir, postgres, [ROW_PATH], plan)
    return comparisons


def summary_table(comparisons: Sequence[Comparison]) -> str:
    header = (
        "| database | endpoint | kit rps | bare rps | cost (bare/kit rps) | kit p50 ms | bare p50 ms "
        f"| kit p95 ms | bare p95 ms | p95 ratio | ≤ {TARGET_RATIO}× |"
    )
    return markdown_table(
        header,
        (
            f"| {'— | GET /health' if c.endpoint == HEALTH_PATH else f'{c.database} | row read'} "
            f"| {c.kit_rps:.0f} | {c.bare_rps:.0f} | {c.cost:.2f}× "
            f"| {latency_cells(c)} | {c.p95_ratio:.2f}× | {verdict(c.meets_target)} |"
            for c in comparisons
        ),
    )


# ---------------------------------------------------------------------------------------------
# Command line


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argument_parser(__doc__)
    parser.add_argument("--quick", action="store_true", help="one short round each: a smoke test")
    parser.add_argument("--rounds", type=int, help="kit/bare pairs per endpoint (default 4, quick 1)")
    parser.add_argument("--seconds", type=int, help="seconds per run (default 2, quick 1)")
    parser.add_argument("--connections", type=int, default=8, help="keep-alive connections (default 8)")
    parser.add_argument("--load-generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    server = add_serve_command(parser, ["kit", "bare"])
    server.add_argument("--table", required=True)
    return parser.parse_args(argv)


def plan_from(args: argparse.Namespace) -> Plan:
    plan = comparison_plan(args.quick, args.connections, warmup_requests=3000)
    return replace(plan, rounds=args.rounds or plan.rounds, seconds=args.seconds or plan.seconds)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if args.command == "serve":
        database = Database("served", args.database_url, args.table)
        serve(args.kind, args.port, args.data_dir, database)
        return 0

    plan = plan_from(args)
    with workspace("bench-stack-") as (tmp, executor):
        load = choose_load_generator(args.load_generator, tmp, executor)
        print(
            f"stack overhead: load from {load.name}, {plan.connections} connections, "
            f"{plan.rounds} round(s) × {plan.seconds} s per app and endpoint, {machine()}"
        )
        comparisons = run_benchmark(load, plan, tmp, with_postgres=not args.no_postgres)

    print()
    print(summary_table(comparisons))
    errors = sum(c.errors for c in comparisons)
    capped = sum(c.capped(plan) for c in comparisons)
    if capped:
        print(f"\nwarning: {capped} run(s) hit their request cap; their rps is understated")
    missed = [c for c in comparisons if not c.meets_target]
    print(
        f"\ntarget (stack ≤ {TARGET_RATIO}× the bare handler): "
        + ("met everywhere" if not missed else f"missed in {len(missed)} of {len(comparisons)}")
    )
    if errors:
        print(f"error: {errors} failed request(s) during the measured runs")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
