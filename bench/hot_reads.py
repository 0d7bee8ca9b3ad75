"""Hot reads: the first rows of issue 17's targets, measured side by side on PostgreSQL.

* **FireMode's session list, authenticated, against a bare handler.** ``GET /v1/tests/sessions
  ?limit=20`` on the real FireMode app (``create_firemode_app``, one uvicorn worker, JSON access
  log), as a technician who takes part in 200 of the 400 sessions seeded (the other 200 are another
  technician's), with a token from a real login checked on every request. The reference is plain
  Starlette (no FastAPI, no middleware, **no authentication**) with an asyncpg pool as large as the
  kit's, running **the SQL the kit sends, compiled from ``SESSION_LIST``'s statement** for this
  shape (so it follows the kit's query wherever that goes) and answering the same JSON (``data``
  plus the same signed ``next_cursor``, checked equal before measuring), written by Starlette's
  ``JSONResponse``. Target: ours ≥ 0.45× bare.
* **The same against the FastAPI full-stack template's authenticated item list** (``GET
  /api/v1/items/?skip=0&limit=20``): its real backend code (``bench/_peer_template.py`` says what
  runs and what was changed), one uvicorn worker, its own token and user, 200 items of that user
  in a scratch database of its own. Target: ours ≥ 3× the peer's requests/s.
* **Alloy's movement query and list, uncached, against a bare handler**, at 32 clients:
  ``POST /v1/movements/query`` (``pattern eq P``, P cycling through the 16 patterns, limit 20) and
  ``GET /v1/movements?limit=20`` on the real Alloy app, against ``bench/catalogue.py``'s bare
  handlers (the ORM's statements on asyncpg, the same JSON, no authentication). **Uncached**: the
  app has no setting that turns its page cache off, so the benchmark's Alloy server replaces the
  app's ``Cache`` (``app.state.cache``) with one of zero entries before serving: every read misses
  and runs its queries, which are not changed. It refuses to run when the app holds a cache
  anywhere else in its state, which this swap would not reach. Targets: ours ≥ 0.4× bare, and the
  query's p95 < 100 ms.
* **Authentication with Redis** and **``/health``** are measured by ``bench/auth.py`` and
  ``bench/stack_overhead.py``; the table names them and this script does not repeat them.

How: every database is a scratch PostgreSQL database (``bench_<hex>``, dropped afterwards); the
servers run in subprocesses on 127.0.0.1. FireMode's rows are loaded with ``wrk`` (else the
asyncio client), 8 connections, ours and the reference alternating round by round (ours first,
then the reference first, …), medians of the rounds; Alloy's with the asyncio client at 32
connections, likewise interleaved. Ratios are taken within one run: the machine is shared.
``--profile N`` then drives the session list N times in process (no HTTP server, the same app and
token) under cProfile and prints where the time goes.

    .venv/bin/python bench/hot_reads.py                 # about four minutes, with the peer's install
    .venv/bin/python bench/hot_reads.py --quick         # one round of one second each
    .venv/bin/python bench/hot_reads.py --profile 2000  # and the session list's profile
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import os
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from _common import (
    BENCH_PASSWORD,
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
    http_request,
    kit_and_bare,
    log_in,
    machine,
    markdown_table,
    median_of,
    postgres_answers,
    scratch_postgres_database,
    serve_app,
    serve_kit_or_bare,
    serving,
    set_up_accounts,
    start_server,
    verdict,
    workspace,
)
from _peer_template import PEER_PATH, PeerTemplate
from _session_profile import profile_session_list
from alloy.main import create_alloy_app
from apikit.cache import Cache
from apikit.db.engine import Database
from catalogue import (
    CONNECTIONS,
    PATTERNS,
    Runner,
    Side,
    Workload,
    alloy_settings,
    check_same_data,
    cursor_key,
    filters_digest,
    iso_utc,
    query_body,
    signed_cursor,
)
from catalogue import build_bare_app as build_bare_catalogue
from catalogue import set_up as set_up_catalogue
from firemode.identity.roles import Role
from firemode.sessions.repository import SESSION_LIST
from merge import seed_sessions

LIST_PATH = "/v1/tests/sessions?limit=20"
MOVEMENTS_PATH = "/v1/movements?limit=20"
QUERY_PATH = "/v1/movements/query"
SESSIONS = 200  # the technician's; another technician has as many
ITEMS = SESSIONS  # the peer's user's
TECHNICIAN = "tech@bench.example.com"
OTHER_TECHNICIAN = "other-tech@bench.example.com"
VS_BARE, VS_PEER, ALLOY_VS_BARE, ALLOY_P95_MS = 0.45, 3.0, 0.4, 100.0


# ---------------------------------------------------------------------------------------------
# The bare session list (built inside its server subprocess)


def session_list_sql() -> str:
    """The statement the kit runs for a technician's first page, compiled as the kit compiles it."""
    # Forwards, from the start; the shape: not every session, no status filter, no dates.
    compiled = SESSION_LIST.statements(False, False, False, 0, False, False).postgres()
    if compiled.names != ("caller_id", "_limit"):
        raise RuntimeError(f"the session list's parameters changed: {compiled.names}; update this bench")
    return compiled.sql


def build_bare_sessions(database_url: str, secret: bytes, caller: uuid.UUID) -> Starlette:
    """Plain Starlette on asyncpg: the kit's SQL, the kit's answer (cursor signed the same way)."""
    rows = bare_database(database_url)
    sql, key = session_list_sql(), cursor_key(secret)
    no_filters = filters_digest({"status": [], "from": None, "to": None})

    def cursor(last: Any) -> str:
        position = [{"dt": last["_key0"].isoformat()}, {"u": last["_key1"].hex}]
        return signed_cursor(key, {"v": 1, "l": "test_sessions", "f": no_filters, "d": "next", "k": position})

    async def list_sessions(request: Request) -> JSONResponse:
        limit = min(int(request.query_params.get("limit", "20")), 100)
        found = await rows.fetch(sql, caller, limit + 1)
        page = found[:limit]
        data = [
            {
                "session_id": str(row["session_id"]),
                "building_id": None if row["building_id"] is None else str(row["building_id"]),
                "status": row["status"],
                "created_at": iso_utc(row["created_at"]),
            }
            for row in page
        ]
        return JSONResponse({"data": data, "next_cursor": cursor(page[-1]) if len(found) > limit else None})

    return bare_starlette(rows, [Route("/v1/tests/sessions", list_sessions)])


# ---------------------------------------------------------------------------------------------
# Alloy with its page cache off (built inside its server subprocess)


def build_uncached_alloy(data_dir: Path, database_url: str) -> Any:
    """The real Alloy app whose page cache keeps nothing (see the module's text)."""
    settings = alloy_settings(data_dir, database_url)
    app = create_alloy_app(settings)
    caches = [name for name, value in vars(app.state)["_state"].items() if isinstance(value, Cache)]
    if caches != ["cache"]:
        raise RuntimeError(f"Alloy holds caches {caches}: teach this bench to bypass them all")
    app.state.cache = Cache(None, namespace=settings.namespace, max_entries=0)
    return app


def serve(args: argparse.Namespace) -> None:
    """The server subprocesses: FireMode or its bare list, uncached Alloy or its bare handlers."""
    for name in [name for name in os.environ if name.startswith("ALLOY_")]:
        del os.environ[name]  # every run configures the same app
    if args.kind in ("kit", "bare"):
        build = functools.partial(build_bare_sessions, caller=uuid.UUID(args.caller_id))
        serve_kit_or_bare(build, args.kind, args.port, args.data_dir, args.database_url)
    elif args.kind == "alloy":
        serve_app(build_uncached_alloy(args.data_dir, args.database_url), args.port)
    else:
        secret = alloy_settings(args.data_dir, args.database_url).secret("secret_key")
        serve_app(build_bare_catalogue(args.database_url, secret, uuid.UUID(args.caller_id)), args.port)


# ---------------------------------------------------------------------------------------------
# The measurements


@dataclass(frozen=True)
class Row:
    """One line of the summary: a figure, ours, the reference, their ratio and the target."""

    figure: str
    ours: str
    reference: str
    ratio: str
    target: str
    met: str
    errors: int = 0  # failed requests in the measured runs


def rps_row(figure: str, comparison: Comparison, reference: str, minimum: float) -> Row:
    return Row(
        figure,
        f"{comparison.kit_rps:.0f} rps",
        f"{comparison.bare_rps:.0f} rps ({reference})",
        f"{comparison.ratio:.3g}×",  # three figures: 0.446 is not shown as a met 0.45
        f"≥ {minimum}×",
        verdict(comparison.ratio >= minimum),
        comparison.errors,
    )


async def seed_firemode(data_dir: Path, url: str) -> uuid.UUID:
    """The schema, two technicians, and 2 × SESSIONS sessions: every other one (by age) each's."""
    technician, other = await set_up_accounts(
        data_dir, url, (TECHNICIAN, Role.TECHNICIAN), (OTHER_TECHNICIAN, Role.TECHNICIAN)
    )
    await seed_sessions(Database(url), technician, 2 * SESSIONS)
    connection = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        await connection.execute(HAND_OVER, other)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return technician


HAND_OVER = """
    UPDATE session_participants SET user_id = $1 WHERE session_id IN (
        SELECT id FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM test_sessions) AS s
        WHERE n % 2 = 0
    )
"""


def same_session_page(ours: bytes, bare: bytes) -> bool:
    if json.loads(ours) != json.loads(bare):
        raise RuntimeError(f"the bare session list differs: {ours[:300]!r} against {bare[:300]!r}")
    return True


def peer_page(_ours: bytes, peer: bytes) -> bool:
    """The peer's answer is its own shape: 20 items of the 200, and their count."""
    answer = json.loads(peer)
    if len(answer["data"]) != 20 or answer["count"] != ITEMS:
        raise RuntimeError(f"the peer answered {peer[:300]!r}")
    return True


def measure_firemode(tmp: Path, executor: Any, plan: Plan, args: argparse.Namespace) -> list[Row]:
    load = choose_load_generator(args.load_generator, tmp, executor)
    print(f"FireMode session list: load from {load.name}, {plan.connections} connections")
    data_dir = tmp / "firemode"
    data_dir.mkdir()
    with scratch_postgres_database() as url, scratch_postgres_database() as peer_url:
        technician = asyncio.run(seed_firemode(data_dir, url))
        peer = PeerTemplate(tmp, peer_url)
        print(f"  peer: {peer.install()}")
        peer_token = peer.seed(ITEMS)
        starters = [
            *kit_and_bare(__file__, data_dir, "PostgreSQL", url, f"--caller-id={technician}"),
            peer.start,
        ]
        with serving(starters) as (kit, bare, peer_server):
            ours = Endpoint(LIST_PATH, bearer(log_in(kit.port, TECHNICIAN, BENCH_PASSWORD)))
            vs_bare = compare(
                load,
                ("PostgreSQL", "session list vs bare"),
                (kit, ours),
                (bare, Endpoint(LIST_PATH)),
                plan,
                max_cost=1 / VS_BARE,
                same=same_session_page,
            )
            peer_side = (peer_server, Endpoint(PEER_PATH, bearer(peer_token)))
            vs_peer = compare(
                load,
                ("PostgreSQL", "session list vs peer"),
                (kit, ours),
                peer_side,
                plan,
                max_cost=1 / VS_PEER,
                same=peer_page,
            )
            if args.profile:
                print(profile_session_list(data_dir, url, ours, args.profile))
    return [
        rps_row(
            "FireMode session list, authenticated, vs bare Starlette + asyncpg", vs_bare, "bare", VS_BARE
        ),
        rps_row("same, vs the FastAPI full-stack template's item list", vs_peer, "template", VS_PEER),
    ]


def measure_alloy(tmp: Path, executor: Any, plan: Plan) -> list[Row]:
    data_dir = tmp / "alloy"
    data_dir.mkdir()
    runner = Runner(executor, Plan(plan.rounds, plan.seconds, CONNECTIONS, 0, plan.warmup_seconds))
    with scratch_postgres_database() as url:
        accounts = asyncio.run(set_up_catalogue(data_dir, url, extra_users=0))
        starters = [
            functools.partial(
                start_server, __file__, kind, data_dir, "alloy", url, f"--caller-id={accounts.user_id}"
            )
            for kind in ("alloy", "bare-alloy")
        ]
        with serving(starters) as (kit, bare):
            workloads = [
                Workload(
                    "POST /v1/movements/query, uncached",
                    Side(kit, [post(kit.port, accounts.token, pattern) for pattern in PATTERNS]),
                    Side(bare, [post(bare.port, None, pattern) for pattern in PATTERNS]),
                ),
                Workload(
                    "GET /v1/movements, uncached",
                    Side(kit, [http_request("GET", MOVEMENTS_PATH, kit.port, bearer(accounts.token))]),
                    Side(bare, [http_request("GET", MOVEMENTS_PATH, bare.port)]),
                ),
            ]
            results = []
            for workload in workloads:
                check_same_data(workload.label, workload.kit, workload.bare)
                results.append(runner.compare("PostgreSQL", workload)[0])
    query, listing = results
    p95 = median_of(query.kit, "p95_ms")
    return [
        rps_row("Alloy movement query, uncached, vs bare", query, "bare", ALLOY_VS_BARE),
        rps_row("Alloy movement list, uncached, vs bare", listing, "bare", ALLOY_VS_BARE),
        Row(
            f"Alloy movement query p95 at {CONNECTIONS} clients, uncached",
            f"{p95:.1f} ms",
            f"{median_of(query.bare, 'p95_ms'):.1f} ms (bare)",
            "—",
            f"< {ALLOY_P95_MS:.0f} ms",
            verdict(p95 < ALLOY_P95_MS),
        ),
    ]


def post(port: int, token: str | None, pattern: str) -> bytes:
    headers = (("Content-Type", "application/json"), *(bearer(token) if token else ()))
    return http_request("POST", QUERY_PATH, port, headers, query_body(pattern))


ELSEWHERE = [
    Row("auth overhead with Redis (protected vs open handler)", "bench/auth.py", "", "", "≤ 1.1×", "—"),
    Row("/health vs bare Starlette", "bench/stack_overhead.py", "", "", "≤ 3×", "—"),
]


def summary(rows: Sequence[Row]) -> str:
    return markdown_table(
        "| figure | ours | reference | ratio | target | met? |",
        (f"| {r.figure} | {r.ours} | {r.reference} | {r.ratio} | {r.target} | {r.met} |" for r in rows),
    )


# ---------------------------------------------------------------------------------------------
# Command line


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argument_parser(__doc__)
    parser.add_argument("--quick", action="store_true", help="one round of one second each: a smoke test")
    parser.add_argument("--load-generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--parts", default="firemode,alloy", help="firemode, alloy or both (default)")
    parser.add_argument("--profile", type=int, default=0, help="then profile N session list requests")
    server = add_serve_command(parser, ["kit", "bare", "alloy", "bare-alloy"])
    server.add_argument("--caller-id", required=True)
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if args.command == "serve":
        serve(args)
        return 0
    if not asyncio.run(postgres_answers()):
        print("hot reads: skipped, PostgreSQL does not answer on 127.0.0.1:5432 (the targets are its)")
        return 0
    logging.disable(logging.INFO)  # the set-up's migration and audit lines (servers log to files)
    plan = comparison_plan(args.quick)
    parts = {part.strip() for part in args.parts.split(",")}
    rows: list[Row] = []
    with workspace("bench-hot-reads-") as (tmp, executor):
        print(f"hot reads: {plan.rounds} round(s) × {plan.seconds} s per side; {machine()}")
        if "firemode" in parts:
            rows += measure_firemode(tmp, executor, plan, args)
        if "alloy" in parts:
            rows += measure_alloy(tmp, executor, plan)
    print(f"\nhot reads on PostgreSQL, one uvicorn worker each; {machine()}\n")
    print(summary([*rows, *ELSEWHERE]))
    errors = sum(row.errors for row in rows)
    if errors:
        print(f"\nerror: {errors} failed request(s) during the measured runs")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
