"""A mixed load on both services at once, as their clients use them: Locust, 2 workers each.

Issue "Performance: hot reads at half the speed of a bare handler" (the mixed load). The script:

1. creates two scratch PostgreSQL databases (``bench_<hex>``, from ``test``; dropped at the end)
   and migrates and seeds them with the services' own commands (``firemode migrate``,
   ``firemode seed-demo``, ``alloy migrate``, ``alloy seed-demo``);
2. serves each service with its own ``serve --workers 2`` on 127.0.0.1, on PostgreSQL and Redis
   (``--redis-url``, under a namespace of this run's whose keys are deleted at the end). Rate
   limits that a few dozen users from one address would meet within the run are raised through
   the services' settings (``LOGIN_RATE_PER_ADDRESS``, ``LOGIN_RATE_PER_ACCOUNT``,
   ``REGISTER_RATE_PER_ADDRESS``, ``PROGRAM_CREATE_RATE``, ``REPORT_RATE``); every limiter still
   runs, and any 429 is counted as a failure and shown in the statuses;
3. prepares the users over HTTP as clients would: FireMode's admin creates technicians and a
   second supervisor (``POST /v1/users``), a supervisor registers assets in the seeded building;
   Alloy's lifters sign up (``POST /v1/auth/register``) and each builds a program;
4. runs Locust headless (``bench/_locustfile.py``: ``--users``, default 32, spawned at 8 a
   second, for ``--seconds``, default 60): FireMode technicians and two supervisors, Alloy
   lifters, each logged in as its own account and thinking 0.5–2 s between requests, over the
   weighted mix of ``bench/_load_mix.py``. The figures start once every user has started and
   logged in (Locust's ``--reset-stats``): the logins (Argon2, a burst as the users spawn) are
   ``bench/auth.py``'s subject, not this one's;
5. prints every operation of both OpenAPI documents that the mix leaves out, with the reason; a
   table per route (requests, failures, p50, p95, p99 in ms, the answers' statuses) and the
   totals, against the targets: p95 < 200 ms and ≥ 99.9% of all requests successful.

Locust's percentiles are its own (response times rounded to 2 significant digits past 100 ms).
Load is generated on the same machine as the servers and the database: a loaded machine's
figures say so in the header (load average at the start and at the end).

    .venv/bin/python bench/load.py                 # about two minutes
    .venv/bin/python bench/load.py --quick         # about a minute: 16 users, 20 s
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from redis import Redis

from _common import (
    BENCH_PASSWORD,
    POSTGRES_DSN,
    argument_parser,
    machine,
    markdown_table,
    postgres_answers,
    scratch_postgres_database,
    serve_service,
    serving,
    status_counts,
)
from _load_mix import ALLOY, FIREMODE, LEFT_OUT, LOGINS, MIX, Route

TARGET_P95_MS = 200.0
TARGET_SUCCESS = 0.999
WORKERS = 2
TECHNICIANS = 16
LIFTERS = 16
ASSETS = 40
UNLIMITED = "100000/minute"
RAISED_LIMITS = {
    FIREMODE: {
        "LOGIN_RATE_PER_ADDRESS": UNLIMITED,
        "LOGIN_RATE_PER_ACCOUNT": UNLIMITED,
        "REPORT_RATE": UNLIMITED,
    },
    ALLOY: {
        "LOGIN_RATE_PER_ADDRESS": UNLIMITED,
        "LOGIN_RATE_PER_ACCOUNT": UNLIMITED,
        "REGISTER_RATE_PER_ADDRESS": UNLIMITED,
        "PROGRAM_CREATE_RATE": UNLIMITED,
    },
}
DEMO_ADMIN = ("admin@firemode.example.com", "red extinguisher on level nine")
DEMO_SUPERVISOR = ("supervisor@firemode.example.com", "red extinguisher on level nine")
PROGRAM: dict[str, Any] = {
    "name": "Load block",
    "goals": [{"goal": "strength", "weight": 6}, {"goal": "hypertrophy", "weight": 4}],
    "duration_weeks": 8,
    "start_date": (date.today() - timedelta(days=date.today().weekday())).isoformat(),
    "days_per_week": 4,
    "max_session_minutes": 60,
    "equipment": ["barbell", "dumbbell", "bench", "squat_rack", "pull_up_bar", "cable"],
}
READINESS = {"sleep_hours": 7, "energy": 6, "stress": 4, "soreness": {}, "minutes_available": 60}
BENCH_DIR = Path(__file__).resolve().parent


# ---------------------------------------------------------------------------------------------
# The stack


def command(service: str, arguments: Sequence[str], settings: Mapping[str, str]) -> str:
    """``<service> <arguments…>`` with the run's settings; its output (it must succeed)."""
    prefix = f"{service.upper()}_"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("FIREMODE_", "ALLOY_"))}
    environment.update({prefix + name: value for name, value in settings.items()})
    executable = str(Path(sys.executable).with_name(service))
    done = subprocess.run(
        [executable, *arguments], env=environment, capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{service} {' '.join(arguments)}: {done.returncode}\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


def service_settings(
    service: str, data_dir: Path, database_url: str, redis_url: str, run: str
) -> dict[str, str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    return {
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "REDIS_NAMESPACE": f"{run}-{service}",
        "LOG_JSON": "true",
        "PURGE_INTERVAL_MINUTES": "0",
        **RAISED_LIMITS[service],
    }


def delete_namespace(redis_url: str, namespace: str) -> int:
    client = Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{namespace}*", count=1000))
        if keys:
            client.delete(*keys)
        return len(keys)
    finally:
        client.close()


# ---------------------------------------------------------------------------------------------
# The users, prepared as clients would


def expect(response: httpx.Response, *statuses: int) -> Any:
    if response.status_code not in statuses:
        raise RuntimeError(
            f"{response.request.method} {response.request.url}: {response.status_code} {response.text[:300]}"
        )
    body = response.json() if response.content else None
    enveloped = isinstance(body, dict) and {"data", "meta", "errors"} <= set(body)  # Alloy's envelope
    return body["data"] if enveloped else body


def prepare_firemode(base: str, run: str) -> dict[str, Any]:
    with httpx.Client(base_url=base, timeout=60) as client:

        def log_in(email: str, password: str) -> dict[str, str]:
            form = {"username": email, "password": password}
            token = expect(client.post("/v1/auth/token", data=form), 200)["access_token"]
            return {"Authorization": f"Bearer {token}"}

        admin = log_in(*DEMO_ADMIN)
        technicians = []
        for n in range(TECHNICIANS):
            email = f"tech{n}-{run}@load.example.com"
            body = {"email": email, "password": BENCH_PASSWORD, "role": "technician"}
            user = expect(client.post("/v1/users", json=body, headers=admin), 201)
            technicians.append({"email": email, "password": BENCH_PASSWORD, "id": user["user_id"]})
        email = f"supervisor-{run}@load.example.com"
        body = {"email": email, "password": BENCH_PASSWORD, "role": "supervisor"}
        expect(client.post("/v1/users", json=body, headers=admin), 201)
        supervisors = [
            {"email": DEMO_SUPERVISOR[0], "password": DEMO_SUPERVISOR[1]},
            {"email": email, "password": BENCH_PASSWORD},
        ]
        supervisor = log_in(*DEMO_SUPERVISOR)
        building_id = expect(client.get("/v1/buildings", headers=supervisor), 200)["data"][0]["building_id"]
        assets = f"/v1/buildings/{building_id}/assets"
        asset_ids = []
        for n in range(ASSETS):
            body = {
                "tag": f"EXT-{n:03d}",
                "asset_type": "portable_extinguisher",
                "location": f"Level {n % 20 + 1}",
            }
            asset_ids.append(expect(client.post(assets, json=body, headers=supervisor), 201)["asset_id"])
        body = {"tag": "SP-01", "asset_type": "stair_pressurisation", "location": "Fire stair A"}
        stair = expect(client.post(assets, json=body, headers=supervisor), 201)["asset_id"]
        baseline = {"pressure_pa": 50.0, "door_opening_force_n": 90.0, "air_velocity_ms": 1.5}
        expect(client.put(f"/v1/assets/{stair}/baseline", json=baseline, headers=supervisor), 200, 201)
    return {
        "host": base,
        "technicians": technicians,
        "technician_ids": [technician["id"] for technician in technicians],
        "supervisors": supervisors,
        "building_id": building_id,
        "asset_ids": asset_ids,
        "stair_asset_id": stair,
    }


def prepare_alloy(base: str, run: str) -> dict[str, Any]:
    with httpx.Client(base_url=base, timeout=120) as client:
        lifters = []
        for n in range(LIFTERS):
            email = f"lifter{n}-{run}@load.example.com"
            body = {"email": email, "password": BENCH_PASSWORD, "name": f"Lifter {n}"}
            token = expect(client.post("/v1/auth/register", json=body), 201)["tokens"]["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            program = expect(client.post("/v1/programs", json=PROGRAM, headers=headers), 201)
            day = f"/v1/readiness/{date.today().isoformat()}"
            expect(client.put(day, json=READINESS, headers=headers), 200, 201)
            sessions = [s["session_id"] for week in program["schedule"] for s in week["sessions"]]
            lifters.append(
                {
                    "email": email,
                    "password": BENCH_PASSWORD,
                    "program_id": program["program_id"],
                    "session_ids": sessions,
                }
            )
        movements = expect(client.get("/v1/movements?limit=100", headers=headers), 200)
        circuits = expect(client.get("/v1/circuits?limit=50", headers=headers), 200)
    movement_ids = [m["movement_id"] for m in movements["items"]]
    return {
        "host": base,
        "lifters": lifters,
        "movement_ids": movement_ids,
        "logged_movement_ids": movement_ids[:12],
        "circuit_ids": [c["circuit_id"] for c in circuits["items"]],
        "program": PROGRAM,
    }


# ---------------------------------------------------------------------------------------------
# Locust and its figures


@dataclass(frozen=True)
class RouteFigures:
    method: str
    name: str  # "<service> <template>"
    requests: int
    failures: int
    p50: float
    p95: float
    p99: float
    statuses: Counter[int]

    @property
    def success(self) -> float:
        return 1 - self.failures / self.requests if self.requests else 0.0

    @classmethod
    def of(cls, method: str, name: str, samples: Sequence[Sequence[Any]]) -> RouteFigures:
        """From ``(status, ms, failed, end)`` samples; percentiles by nearest rank, in ms."""
        times = sorted(sample[1] for sample in samples)

        def rank(fraction: float) -> float:
            return times[max(0, math.ceil(fraction * len(times)) - 1)] if times else 0.0

        failures = sum(1 for sample in samples if sample[2])
        statuses = Counter(int(sample[0]) for sample in samples)
        return cls(method, name, len(samples), failures, rank(0.50), rank(0.95), rank(0.99), statuses)


@dataclass(frozen=True)
class LoadFigures:
    routes: list[RouteFigures]  # after the last user's login
    total: RouteFigures  # the same, all routes together: what the targets judge
    logins: list[RouteFigures]  # each user's one login, as the users started
    measured_seconds: float


def run_locust(tmp: Path, plan_path: Path, users: int, seconds: int) -> LoadFigures:
    """Locust over the plan; the figures from every request's sample. Requests are counted from
    the moment the last user has logged in (the logins, Argon2 in a burst as users start, are
    shown apart: ``bench/auth.py`` measures them)."""
    samples_path = tmp / "samples.json"
    environment = {**os.environ, "LOAD_PLAN": str(plan_path), "LOAD_SAMPLES": str(samples_path)}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCH_DIR), environment.get("PYTHONPATH")]))
    arguments = [
        str(Path(sys.executable).with_name("locust")),
        "-f",
        str(BENCH_DIR / "_locustfile.py"),
        "--headless",
        f"--users={users}",
        "--spawn-rate=8",
        f"--run-time={seconds}s",
        "--stop-timeout=10",
        f"--csv={tmp / 'locust'}",
        "--only-summary",
        "--loglevel=WARNING",
    ]
    with (tmp / "locust.log").open("wb") as log:
        subprocess.run(
            arguments,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=seconds + 120,
            check=False,
        )
    if not samples_path.exists():
        raise RuntimeError(f"Locust wrote no samples; see {tmp / 'locust.log'}")
    samples: dict[str, list[list[Any]]] = json.loads(samples_path.read_text())
    login_names = {f"{route.method} {route.service} {route.path}" for route in LOGINS}
    logins = [entry for key, entries in samples.items() if key in login_names for entry in entries]
    started = max((entry[3] for entry in logins), default=0.0)
    ended = max((entry[3] for entries in samples.values() for entry in entries), default=started)
    routes, steady = [], []
    for key, entries in sorted(samples.items()):
        if key in login_names:
            continue
        kept = [entry for entry in entries if entry[3] - entry[1] / 1000 >= started]
        method, name = key.split(" ", 1)
        if kept:
            routes.append(RouteFigures.of(method, name, kept))
        steady += kept
    login_figures = [
        RouteFigures.of(key.split(" ", 1)[0], key.split(" ", 1)[1], entries)
        for key, entries in sorted(samples.items())
        if key in login_names
    ]
    return LoadFigures(routes, RouteFigures.of("", "all", steady), login_figures, ended - started)


def routes_of(app_openapi: dict[str, Any], service: str) -> set[Route]:
    return {
        Route(service, method.upper(), path) for path, ops in app_openapi["paths"].items() for method in ops
    }


def coverage(base_urls: Mapping[str, str]) -> tuple[list[tuple[Route, str]], list[Route]]:
    """What the mix leaves out (with the reason), and operations neither sent nor explained."""
    documented: set[Route] = set()
    for service, base in base_urls.items():
        documented |= routes_of(httpx.get(f"{base}/openapi.json", timeout=30).json(), service)
    sent = set(MIX) | LOGINS
    left_out = sorted(((route, LEFT_OUT[route]) for route in documented - sent if route in LEFT_OUT), key=str)
    unexplained = sorted(documented - sent - set(LEFT_OUT), key=str)
    return left_out, unexplained


def figures_table(routes: Sequence[RouteFigures], total: RouteFigures, logins: Sequence[RouteFigures]) -> str:
    header = "| route | requests | failures | p50 ms | p95 ms | p99 ms | statuses |"
    rows = [
        f"| {r.name.split(' ', 1)[0]} {r.method} {r.name.split(' ', 1)[1]} | {r.requests} | {r.failures} "
        f"| {r.p50:.0f} | {r.p95:.0f} | {r.p99:.0f} | {status_counts(r.statuses)} |"
        for r in sorted(routes, key=lambda r: (r.name, r.method))
    ]
    rows += [
        f"| ({r.name.split(' ', 1)[0]} {r.method} {r.name.split(' ', 1)[1]}: each user's login as it "
        f"started, not in the total) | {r.requests} | {r.failures} | {r.p50:.0f} | {r.p95:.0f} | {r.p99:.0f} "
        f"| {status_counts(r.statuses)} |"
        for r in logins
    ]
    rows.append(
        f"| **all** | {total.requests} | {total.failures} | {total.p50:.0f} | {total.p95:.0f} "
        f"| {total.p99:.0f} | {status_counts(total.statuses)} |"
    )
    return markdown_table(header, rows)


# ---------------------------------------------------------------------------------------------
# Command line


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argument_parser(__doc__)
    parser.add_argument("--quick", action="store_true", help="16 users for 20 s: a smoke test")
    parser.add_argument("--users", type=int, help="concurrent Locust users (default 32)")
    parser.add_argument("--seconds", type=int, help="how long the load runs (default 60)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="Redis for both services")
    parser.add_argument("--keep", type=Path, help="copy Locust's CSV files and the servers' logs here")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    users = args.users or (16 if args.quick else 32)
    seconds = args.seconds or (20 if args.quick else 60)
    if not asyncio.run(postgres_answers()):
        print(f"PostgreSQL: nothing answers at {POSTGRES_DSN}; this benchmark needs it")
        return 2
    run = f"load-{secrets.token_hex(4)}"
    print(f"load: {users} users for {seconds} s, {WORKERS} workers per service; {machine()}")
    with (
        tempfile.TemporaryDirectory(prefix="bench-load-") as tmp_name,
        scratch_postgres_database() as fm_url,
        scratch_postgres_database() as al_url,
    ):
        tmp = Path(tmp_name)
        settings = {
            FIREMODE: service_settings(FIREMODE, tmp / FIREMODE, fm_url, args.redis_url, run),
            ALLOY: service_settings(ALLOY, tmp / ALLOY, al_url, args.redis_url, run),
        }
        try:
            started = time.perf_counter()
            for service in (FIREMODE, ALLOY):
                command(service, ["migrate"], settings[service])
                command(service, ["seed-demo"], settings[service])
            starters = [
                functools.partial(serve_service, service, WORKERS, settings[service], tmp / f"{service}.log")
                for service in (FIREMODE, ALLOY)
            ]
            with serving(starters) as servers:
                bases = {server.kind.split()[0]: f"http://127.0.0.1:{server.port}" for server in servers}
                plan = {
                    FIREMODE: prepare_firemode(bases[FIREMODE], run),
                    ALLOY: prepare_alloy(bases[ALLOY], run),
                }
                plan_path = tmp / "plan.json"
                plan_path.write_text(json.dumps(plan))
                print(f"prepared in {time.perf_counter() - started:.0f} s; Locust runs …")
                figures = run_locust(tmp, plan_path, users, seconds)
                left_out, unexplained = coverage(bases)
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                for path in tmp.glob("*.*"):
                    if path.suffix in (".csv", ".log", ".json"):
                        (args.keep / path.name).write_bytes(path.read_bytes())
        finally:
            for service in (FIREMODE, ALLOY):
                delete_namespace(args.redis_url, f"{run}-{service}")
    return report(figures, left_out, unexplained, users)


def report(
    figures: LoadFigures, left_out: Sequence[tuple[Route, str]], unexplained: Sequence[Route], users: int
) -> int:
    print("\nLeft out of the mix (and why):\n")
    for route, reason in left_out:
        print(f"- {route.service} {route.method} {route.path}: {reason}")
    for route in unexplained:
        print(f"- {route.service} {route.method} {route.path}: NOT IN THE MIX AND NO REASON GIVEN")
    seconds, total = figures.measured_seconds, figures.total
    print(
        f"\n{users} users, {WORKERS} workers per service, PostgreSQL + Redis; {seconds:.0f} s measured "
        f"(from the last user's login); {machine()}\n"
    )
    print(figures_table(figures.routes, total, figures.logins))
    p95_met, success_met = total.p95 < TARGET_P95_MS, total.success >= TARGET_SUCCESS
    print(
        f"\ntotal: {total.requests} requests, {total.requests / max(seconds, 1e-9):.1f}/s; "
        f"p95 {total.p95:.0f} ms "
        f"(< {TARGET_P95_MS:.0f} ms: {'yes' if p95_met else 'NO'}); success {total.success:.4%} "
        f"(≥ {TARGET_SUCCESS:.1%}: {'yes' if success_met else 'NO'})"
    )
    slow = [r for r in figures.routes if r.p95 >= TARGET_P95_MS]
    if slow:
        print(
            f"routes with p95 ≥ {TARGET_P95_MS:.0f} ms: "
            + ", ".join(f"{r.method} {r.name} ({r.p95:.0f})" for r in slow)
        )
    return 0 if p95_met and success_met and not unexplained else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
