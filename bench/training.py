"""Alloy's training loop: logging a workout and a movement's progress over three years of logs.

Issue "Alloy: the training loop" (first half). The real Alloy app runs under uvicorn (one worker)
in a subprocess on 127.0.0.1, next to a **bare reference**: plain Starlette (no FastAPI, no
middleware, **no authentication**) on the same raw driver (one aiosqlite connection; an asyncpg pool
as large as the kit's), running the same SQL the ORM sends for the request and answering the same
data. Both on SQLite (a file in a temporary directory) and, when it answers on 127.0.0.1:5432,
PostgreSQL (a scratch database ``bench_<hex>``, dropped at the end). No Redis; JSON logs.

The lifter has three years of training: 750 logged sessions (about five a week), each of four
movements × five sets (15,000 sets, loads on 2.5 kg plates), and a second lifter has as many (so
every query must find its owner's rows by index). Every kit request carries a bearer token the app issued.

* **``GET /v1/progress/movements/{squat}``** (no window: all 750 days and the all-time records):
  kit and bare interleaved (kit bare, bare kit, …), 4 rounds × 2 s after an untimed warm-up, loaded
  with wrk (else the asyncio client) over **one connection**, so p95 is one request's latency, not
  a queue's. The bare side runs the six statements the ORM sends (the caller's units and formula,
  whether the movement is visible, the days folded by window functions, the best-e1RM and
  heaviest sets, the most reps per load) and shapes the same days and record values. Targets: kit
  p95 < 100 ms, kit ≥ 0.3× the bare side's requests/s.
* **``POST /v1/workout-logs``** with 4 entries × 5 sets (20 sets), ad hoc, on top of that history
  (its records are computed against all three years): 4 rounds × 50 sequential requests on one
  keep-alive connection, kit and bare interleaved. The bare side runs the writes the ORM sends (the
  log, then the 20 sets in one ``executemany``) in a transaction and answers the stored rows. Target:
  kit p95 < 50 ms.

    .venv/bin/python bench/training.py            # about five minutes
    .venv/bin/python bench/training.py --quick    # SQLite, one short round: a smoke test
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import logging
import os
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from _common import (
    HOST,
    BareSqlite,
    Comparison,
    Endpoint,
    add_serve_command,
    argument_parser,
    bare_database,
    bare_starlette,
    bearer,
    choose_databases,
    choose_load_generator,
    compare,
    comparison_plan,
    launch,
    machine,
    markdown_table,
    percentile,
    ratio_table,
    scratch_database,
    serve_app,
    serving,
    verdict,
    workspace,
)
from alloy.catalogue.models import Movement
from alloy.cli import SERVICE as ALLOY
from alloy.identity.roles import Role
from alloy.identity.service import AccountService
from alloy.main import create_alloy_app
from alloy.settings import AlloySettings
from alloy.training.e1rm import Formula, set_e1rm
from alloy.training.models import WorkoutLog, WorkoutSet
from alloy.training.repository import WorkoutLogRepository
from apikit.cli import migrate
from apikit.db.engine import Database
from apikit.ids import new_id, utcnow

TARGET_RATIO = 0.3
PROGRESS_P95_MS = 100
LOG_P95_MS = 50
SESSIONS = 750
YEARS = 3
SLUGS = ("back_squat", "bench_press", "deadlift", "barbell_row")
SETS_PER_ENTRY = 5
LOG_ROUNDS, LOG_RUNS = 4, 50
PASSWORD = "tangerine quarry lantern 42 bicycle"  # noqa: S105 - a throwaway bench account
SET_COLUMNS = (
    "id, log_id, user_id, performed_at, performed_on, entry_position, movement_id, exercise_id, position, "
    "reps, load_kg, duration_seconds, distance_m, rpe, rir, completed, e1rm_epley, e1rm_brzycki, "
    "e1rm_lombardi, e1rm_oconner"
)
# What the ORM sends for a movement's progress (alloy.training.repository), its constants inline.
DAYS_SQL = (
    "SELECT day, best_e1rm, volume_kg, counts, load_kg, reps, rpe FROM (SELECT performed_on AS day, "
    "max({e1rm}) OVER (PARTITION BY performed_on) AS best_e1rm, "
    "sum(CASE WHEN {counts} THEN load_kg * reps ELSE 0.0 END) OVER (PARTITION BY performed_on) "
    "AS volume_kg, CASE WHEN {counts} THEN 1 ELSE 0 END AS counts, load_kg, reps, rpe, row_number() "
    "OVER (PARTITION BY performed_on ORDER BY CASE WHEN {counts} THEN 1 ELSE 0 END DESC, load_kg DESC, "
    "reps DESC, {earliest}) AS rank FROM workout_sets WHERE user_id = {p1} AND movement_id = {p2}) "
    "AS days WHERE rank = 1 ORDER BY day"
)
BEST_SQL = (
    "SELECT {e1rm}, load_kg, reps, performed_at, log_id FROM workout_sets WHERE user_id = {p1} "
    "AND movement_id = {p2} AND {counts} AND {e1rm} IS NOT NULL ORDER BY {e1rm} DESC, {earliest} LIMIT 1"
)
HEAVIEST_SQL = (
    "SELECT load_kg, reps, performed_at, log_id FROM workout_sets WHERE user_id = {p1} "
    "AND movement_id = {p2} AND {counts} ORDER BY load_kg DESC, {earliest} LIMIT 1"
)
PER_LOAD_SQL = (
    "SELECT load_kg, reps, performed_at, log_id FROM (SELECT load_kg, reps, performed_at, log_id, "
    "row_number() OVER (PARTITION BY load_kg ORDER BY reps DESC, {earliest}) AS rank FROM workout_sets "
    "WHERE user_id = {p1} AND movement_id = {p2} AND {counts}) AS loads WHERE rank = 1 ORDER BY load_kg DESC"
)
PREFS_SQL = "SELECT units, e1rm_formula FROM users WHERE id = {p1}"
VISIBLE_SQL = "SELECT id FROM movements WHERE id IN ({p1}) AND (owner_id IS NULL OR owner_id = {p2})"
LOG_SQL = (
    "INSERT INTO workout_logs (id, user_id, session_id, performed_at, duration_minutes, "
    "perceived_effort, notes, created_at, updated_at) VALUES ({values})"
)
SET_SQL = "INSERT INTO workout_sets ({columns}) VALUES ({values})"
COUNTS = "completed AND load_kg > 0 AND reps >= 1"
EARLIEST = "performed_at, log_id, entry_position, position"


def alloy_settings(data_dir: Path, database_url: str) -> AlloySettings:
    return AlloySettings(
        _env_file=None, data_dir=data_dir, database_url=database_url, redis_url=None, log_json=True
    )


# ---------------------------------------------------------------------------------------------
# The bare reference (built inside the server subprocess)


def build_bare_app(database_url: str) -> Starlette:
    rows = bare_database(database_url)
    sqlite = isinstance(rows, BareSqlite)
    p = rows.placeholder
    prefs_sql = PREFS_SQL.format(p1=p(1))
    visible_sql = VISIBLE_SQL.format(p1=p(1), p2=p(2))
    log_sql = LOG_SQL.format(values=", ".join(p(n) for n in range(1, 10)))
    set_sql = SET_SQL.format(columns=SET_COLUMNS, values=", ".join(p(n) for n in range(1, 21)))
    by_formula = {
        formula: [
            sql.format(e1rm=f"e1rm_{formula.value}", p1=p(1), p2=p(2), counts=COUNTS, earliest=EARLIEST)
            for sql in (DAYS_SQL, BEST_SQL, HEAVIEST_SQL, PER_LOAD_SQL)
        ]
        for formula in Formula
    }

    def bound_id(value: uuid.UUID) -> Any:
        return value.hex if sqlite else value

    def bound_time(moment: datetime) -> Any:
        return moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else moment

    def user_of(request: Request) -> uuid.UUID:
        return uuid.UUID(request.headers["x-bench-user"])  # the bare side authenticates nobody

    async def progress(request: Request) -> JSONResponse:
        user_id, movement_id = user_of(request), uuid.UUID(request.path_params["movement_id"])
        (_units, formula), *_ = await rows.fetch(prefs_sql, bound_id(user_id))
        if not await rows.fetch(visible_sql, bound_id(movement_id), bound_id(user_id)):
            return JSONResponse({"data": None}, status_code=404)
        days_sql, best_sql, heaviest_sql, per_load_sql = by_formula[Formula(formula)]
        key = (bound_id(user_id), bound_id(movement_id))
        days = [
            {
                "date": str(day),
                "best_e1rm": best_e1rm,
                "top_set": {"load": round(load, 2), "reps": reps, "rpe": rpe} if counts else None,
                "volume": round(volume, 2),
            }
            for day, best_e1rm, volume, counts, load, reps, rpe in await rows.fetch(days_sql, *key)
        ]
        best = await rows.fetch(best_sql, *key)
        heaviest = await rows.fetch(heaviest_sql, *key)
        frontier, most = [], 0
        for load, reps, _at, _log in await rows.fetch(per_load_sql, *key):
            if reps > most:
                frontier.append({"load": round(load, 2), "reps": reps})
                most = reps
        records = {
            "best_e1rm": best[0][0] if best else None,
            "heaviest_load": heaviest[0][0] if heaviest else None,
            "best_reps_at_load": frontier,
        }
        return JSONResponse({"data": {"movement_id": str(movement_id), "days": days, "records": records}})

    async def create_log(request: Request) -> JSONResponse:
        user_id, body = user_of(request), await request.json()
        (units, _formula), *_ = await rows.fetch(prefs_sql, bound_id(user_id))
        now, log_id = utcnow(), new_id()
        set_rows = []
        for entry_position, entry in enumerate(body["entries"]):
            for position, item in enumerate(entry["sets"]):
                e1rms = [
                    set_e1rm(formula, item["load"], item["reps"], item.get("rpe")) for formula in Formula
                ]
                set_rows.append(
                    (
                        bound_id(new_id()),
                        bound_id(log_id),
                        bound_id(user_id),
                        bound_time(now),
                        now.date().isoformat() if sqlite else now.date(),
                        entry_position,
                        bound_id(uuid.UUID(entry["movement_id"])),
                        None,
                        position,
                        item["reps"],
                        item["load"],
                        None,
                        None,
                        item.get("rpe"),
                        None,
                        True,
                        *e1rms,
                    )
                )
        log_row = (
            bound_id(log_id),
            bound_id(user_id),
            None,
            bound_time(now),
            None,
            None,
            "",
            bound_time(now),
            bound_time(now),
        )
        if sqlite:
            connection = rows.connection
            assert connection is not None
            await connection.execute(log_sql, log_row)
            await connection.executemany(set_sql, set_rows)
            await connection.commit()
        else:
            assert rows.pool is not None  # type: ignore[attr-defined]
            async with rows.pool.acquire() as connection, connection.transaction():  # type: ignore[attr-defined]
                await connection.execute(log_sql, *log_row)
                await connection.executemany(set_sql, set_rows)
        stored = [{"reps": row[9], "load": row[10], "rpe": row[13], "e1rm": row[16]} for row in set_rows]
        return JSONResponse(
            {"data": {"log_id": str(log_id), "units": units, "sets": stored}}, status_code=201
        )

    return bare_starlette(
        rows,
        [
            Route("/v1/progress/movements/{movement_id}", progress),
            Route("/v1/workout-logs", create_log, methods=["POST"]),
        ],
    )


def serve(kind: str, port: int, data_dir: Path, database_url: str) -> None:
    for name in [name for name in os.environ if name.startswith("ALLOY_")]:
        del os.environ[name]  # every run configures the same app
    app: Any = (
        create_alloy_app(alloy_settings(data_dir, database_url))
        if kind == "kit"
        else build_bare_app(database_url)
    )
    serve_app(app, port)


# ---------------------------------------------------------------------------------------------
# The data


@dataclass(frozen=True)
class Setup:
    user_id: uuid.UUID
    token: str
    movements: list[str]


def history_rows(
    user_id: uuid.UUID, movements: list[uuid.UUID], now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """750 sessions over three years, each every movement × 5 sets, loads creeping up with misses."""
    logs, sets = [], []
    span = timedelta(days=365 * YEARS)
    for number in range(SESSIONS):
        performed_at = now - span + span * (number / SESSIONS)
        log_id = new_id()
        logs.append(
            {
                "id": log_id,
                "user_id": user_id,
                "session_id": None,
                "performed_at": performed_at,
                "duration_minutes": 60,
                "perceived_effort": 7,
                "notes": "",
                "created_at": performed_at,
                "updated_at": performed_at,
            }
        )
        for entry_position, movement_id in enumerate(movements):
            base = 60 + 40 * entry_position / len(movements) + 60 * number / SESSIONS
            for position in range(SETS_PER_ENTRY):
                load = 2.5 * round((base + 2.5 * (number % 4)) / 2.5)  # on the plates
                reps = 5 - (position == SETS_PER_ENTRY - 1 and number % 3 == 0)
                rpe = 7 + (number % 3)
                row: dict[str, Any] = {
                    "id": new_id(),
                    "log_id": log_id,
                    "user_id": user_id,
                    "performed_at": performed_at,
                    "performed_on": performed_at.date(),
                    "entry_position": entry_position,
                    "movement_id": movement_id,
                    "exercise_id": None,
                    "position": position,
                    "reps": reps,
                    "load_kg": load,
                    "duration_seconds": None,
                    "distance_m": None,
                    "rpe": rpe,
                    "rir": None,
                    "completed": True,
                }
                for formula in Formula:
                    row[f"e1rm_{formula.value}"] = set_e1rm(formula, load, reps, rpe)
                sets.append(row)
    return logs, sets


async def set_up(data_dir: Path, url: str) -> Setup:
    database = Database(url)
    await migrate(ALLOY, database)
    await database.dispose()
    settings = alloy_settings(data_dir, url).model_copy(update={"log_level": "WARNING"})
    app = create_alloy_app(settings)
    try:
        users = []
        async with app.state.database.transactional() as session:
            accounts = AccountService(session, app.state.identity, settings)
            for name in ("lifter", "neighbour"):
                user = await accounts.create_account(
                    email=f"{name}@bench.example.com", password=PASSWORD, name=name, role=Role.USER
                )
                users.append(user)
            statement = select(Movement.slug, Movement.id).where(Movement.slug.in_(SLUGS))
            found = {row.slug: row.id for row in await session.execute(statement)}
            movements = [found[slug] for slug in SLUGS]
        now = utcnow()
        for user in users:
            logs, sets = history_rows(user.id, movements, now)
            async with app.state.database.transactional() as session:
                await session.execute(insert(WorkoutLog), logs)
                for start in range(0, len(sets), 5000):
                    await session.execute(insert(WorkoutSet), sets[start : start + 5000])
                # The bests the app keeps with every log, as logging all of it would have left them.
                await WorkoutLogRepository(session, user.id).rebuild_bests(movements)
        async with app.state.database.transactional() as session:
            if app.state.database.dialect == "postgresql":
                await session.execute(text("ANALYZE"))
        token, _ = app.state.identity.access_tokens.issue(str(users[0].id), users[0].role)
        return Setup(users[0].id, token, [str(m) for m in movements])
    finally:
        await app.state.database.dispose()


# ---------------------------------------------------------------------------------------------
# Measuring


def log_body(movements: list[str]) -> bytes:
    entries = [
        {
            "movement_id": movement,
            "sets": [{"reps": 5, "load": 100 + 2.5 * n, "rpe": 8} for n in range(SETS_PER_ENTRY)],
        }
        for movement in movements
    ]
    return json.dumps({"entries": entries}).encode()


@dataclass(frozen=True)
class Latencies:
    kit: list[float]
    bare: list[float]

    def row(self, name: str) -> str:
        kit_p50, bare_p50 = statistics.median(self.kit), statistics.median(self.bare)
        kit_p95, bare_p95 = percentile(sorted(self.kit), 0.95), percentile(sorted(self.bare), 0.95)
        return (
            f"| {name} | {kit_p50:.1f} | {bare_p50:.1f} | {kit_p95:.1f} | {bare_p95:.1f} "
            f"| {bare_p50 / kit_p50:.2f}× | {verdict(kit_p95 < LOG_P95_MS)} |"
        )


def post_logs(port: int, body: bytes, headers: dict[str, str], runs: int) -> list[float]:
    """``runs`` sequential creations on one keep-alive connection; each one's milliseconds."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    timings = []
    try:
        for _ in range(runs):
            started = time.perf_counter()
            connection.request("POST", "/v1/workout-logs", body, headers)
            response = connection.getresponse()
            answer = response.read()
            timings.append((time.perf_counter() - started) * 1000)
            if response.status != 201:
                raise RuntimeError(f"POST /v1/workout-logs on {port}: {response.status} {answer[:300]!r}")
    finally:
        connection.close()
    return timings


def same_progress(kit: bytes, bare: bytes) -> bool:
    """The same days, top sets, volumes and record values (the kit's records carry more)."""
    kit_data, bare_data = json.loads(kit)["data"], json.loads(bare)["data"]
    records = kit_data["records"]
    return bool(
        kit_data["days"] == bare_data["days"]
        and records["best_e1rm"]["value"] == bare_data["records"]["best_e1rm"]
        and records["heaviest_load"]["value"] == bare_data["records"]["heaviest_load"]
        and [{"load": r["load"], "reps": r["reps"]} for r in records["best_reps_at_load"]]
        == bare_data["records"]["best_reps_at_load"]
    )


def measure(load: Any, name: str, data_dir: Path, quick: bool) -> tuple[Comparison, Latencies]:
    data_dir.mkdir()
    with scratch_database(name, data_dir, "alloy") as url:
        setup = asyncio.run(set_up(data_dir, url))
        arguments = (f"--data-dir={data_dir}", f"--database-url={url}")
        starters = [
            lambda kind=kind: launch(__file__, kind, arguments, data_dir / f"{kind}-{name.lower()}.log")
            for kind in ("kit", "bare")
        ]
        with serving(starters) as (kit, bare):
            path = f"/v1/progress/movements/{setup.movements[0]}"
            progress = compare(
                load,
                (name, f"GET /v1/progress/movements/{{id}} ({SESSIONS} sessions)"),
                (kit, Endpoint(path, bearer(setup.token))),
                (bare, Endpoint(path, (("X-Bench-User", str(setup.user_id)),))),
                comparison_plan(quick, connections=1, warmup_requests=50),
                max_cost=1 / TARGET_RATIO,
                same=same_progress,
            )
            body = log_body(setup.movements)
            kit_headers = {"Content-Type": "application/json", "Authorization": f"Bearer {setup.token}"}
            bare_headers = {"Content-Type": "application/json", "X-Bench-User": str(setup.user_id)}
            rounds, runs = (1, 20) if quick else (LOG_ROUNDS, LOG_RUNS)
            post_logs(kit.port, body, kit_headers, 5)  # warm-up
            post_logs(bare.port, body, bare_headers, 5)
            kit_ms: list[float] = []
            bare_ms: list[float] = []
            print(f"{name} POST /v1/workout-logs (20 sets)")
            for round_index in range(rounds):
                sides = [(kit.port, kit_headers, kit_ms), (bare.port, bare_headers, bare_ms)]
                for port, headers, into in sides if round_index % 2 == 0 else sides[::-1]:
                    timings = post_logs(port, body, headers, runs)
                    into.extend(timings)
                    side = "kit" if port == kit.port else "bare"
                    print(
                        f"  round {round_index + 1}/{rounds}  {side:<4}  "
                        f"p50 {statistics.median(timings):6.2f} ms  "
                        f"p95 {percentile(sorted(timings), 0.95):6.2f} ms"
                    )
            return progress, Latencies(kit_ms, bare_ms)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argument_parser(__doc__)
    parser.add_argument("--quick", action="store_true", help="SQLite, one short round: a smoke test")
    parser.add_argument("--load-generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--databases", choices=["both", "sqlite", "postgresql"], default="both")
    add_serve_command(parser, ["kit", "bare"])
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if args.command == "serve":
        serve(args.kind, args.port, args.data_dir, args.database_url)
        return 0
    logging.disable(logging.INFO)
    names = choose_databases(args.databases, args.quick)
    progress: list[Comparison] = []
    creation: list[tuple[str, Latencies]] = []
    with workspace("bench-training-") as (tmp, executor):
        load = choose_load_generator(args.load_generator, tmp, executor)
        print(f"training: {', '.join(names)}; {machine()}; load from {load.name}")
        for name in names:
            compared, latencies = measure(load, name, tmp / name, args.quick)
            progress.append(compared)
            creation.append((name, latencies))
    print(f"\nGET /v1/progress/movements/{{id}}, {SESSIONS} sessions over {YEARS} years, one connection\n")
    print(ratio_table(progress, TARGET_RATIO, endpoints=False))
    for comparison in progress:
        kit_p95 = statistics.median(run.p95_ms for run in comparison.kit)
        print(
            f"{comparison.database}: kit p95 {kit_p95:.1f} ms "
            f"(< {PROGRESS_P95_MS} ms: {verdict(kit_p95 < PROGRESS_P95_MS)})"
        )
    print("\nPOST /v1/workout-logs, 20 sets, sequential on one connection\n")
    header = (
        "| database | kit p50 ms | bare p50 ms | kit p95 ms | bare p95 ms | kit/bare "
        f"| p95 < {LOG_P95_MS} ms |"
    )
    print(markdown_table(header, (latencies.row(name) for name, latencies in creation)))
    failed = sum(c.errors for c in progress)
    if failed:
        print(f"\nerror: {failed} failed request(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
