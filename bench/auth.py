"""Identity and access: what a login costs, and what authentication adds to every request.

Issue "Identity and access". The real FireMode app runs under uvicorn (one worker) in a subprocess
on 127.0.0.1, on PostgreSQL when it answers (a scratch database ``bench_<hex>`` created from
``test`` and dropped at the end), else on SQLite in a temporary directory. Everything is measured
twice: **without Redis** (the revocation list is process memory, re-read from the database every
``revocation_sync_seconds``; rate limits in memory) and **with Redis** (``redis_url`` set, under a
namespace of its own whose keys are deleted at the end): then each process keeps the revocation
list in memory, kept current over Redis pub/sub (no Redis round trip per authenticated request),
and every login counts its attempts there.

* **Login**: p50/p95 of ``POST /v1/auth/token`` (the OAuth2 password form) for one account whose
  password was hashed with the standard Argon2 parameters (the default ``password_hash_profile``:
  Argon2id, t=3, m=64 MiB, p=4). One connection gives the latency of a login alone; four show
  logins queueing for the machine's CPUs. A login counts one attempt for its address and checks
  its account's failure windows, finds the user, verifies the hash (in a thread), writes an audit
  row and a refresh token, and commits. The login rate limits are raised for the run
  (``login_rate_per_address``/``login_rate_per_account``), or the thirty-first login in a minute
  from the one address would be a 429; the limiter still runs on every login.
* **Authenticated-request overhead**: ``GET /v1/users/me`` with a valid bearer token (from a real
  login) against a bench-only route added to the same app, ``GET /bench/users/{id}``, which does
  the same ``session.get(User, id)`` through ``ReadSession`` and returns the same
  ``UserResponse`` (byte for byte) without the auth dependency. Loaded with wrk (else the asyncio
  client), 8 keep-alive connections; the two routes alternate round by round and the median is
  reported. Target: authentication costs at most 1.1× (unauthenticated rps / authenticated rps).

Logins use the asyncio client (``bench/_common.py``) in a separate process: each request's latency
is measured as sent, with no coordinated-omission correction. Every run is bounded in requests and
seconds.

    .venv/bin/python bench/auth.py            # about a minute and a half
    .venv/bin/python bench/auth.py --quick    # about half a minute
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import secrets
import sys
import uuid
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from redis import Redis
from redis.exceptions import RedisError

from _common import (
    LOGIN_HEADERS,
    POSTGRES_DSN,
    Comparison,
    Endpoint,
    Exchanges,
    LoadGenerator,
    Plan,
    Repeat,
    RunResult,
    Server,
    add_serve_command,
    argument_parser,
    bearer,
    choose_load_generator,
    compare,
    comparison_plan,
    exchange_loop,
    firemode_settings,
    http_get,
    http_request,
    latency_cells,
    log_in,
    login_body,
    machine,
    markdown_table,
    postgres_answers,
    run_event_loop,
    scratch_database,
    serve_app,
    serving,
    set_up_accounts,
    start_server,
    status_counts,
    verdict,
    workspace,
)
from apikit.db.engine import ReadSession
from apikit.errors import NotFoundError
from firemode.identity.models import User
from firemode.identity.roles import Role
from firemode.identity.schemas import UserResponse
from firemode.main import create_firemode_app

TARGET_COST = 1.1
REDIS_URL = "redis://127.0.0.1:6379/0"
EMAIL = "tech@bench.example.com"
ME_PATH = "/v1/users/me"
UNLIMITED = "1000000/minute"  # the login rate limits, raised for the run (see the docstring)
LOGIN_CONNECTIONS = (1, 4)


# ---------------------------------------------------------------------------------------------
# The app (built inside the server subprocess)


def build_app(data_dir: Path, database_url: str, redis_url: str | None, namespace: str) -> FastAPI:
    """The real FireMode app, plus ``GET /bench/users/{id}``: ``/v1/users/me`` without the auth."""
    settings = firemode_settings(
        data_dir,
        database_url,
        redis_url=redis_url,
        redis_namespace=namespace,
        login_rate_per_address=UNLIMITED,
        login_rate_per_account=UNLIMITED,
    )
    app = create_firemode_app(settings)

    async def read_user_unauthenticated(user_id: uuid.UUID, session: ReadSession) -> UserResponse:
        user = await session.get(User, user_id)  # what read_current_user does, minus CurrentUser
        if user is None:
            raise NotFoundError("No such user", code="NF_USER")
        return UserResponse.model_validate(user)  # what the route's response_model makes of it

    app.add_api_route(
        "/bench/users/{user_id}",
        read_user_unauthenticated,
        methods=["GET"],
        response_model=UserResponse,
        include_in_schema=False,
    )
    return app


def serve(port: int, data_dir: Path, database_url: str, redis_url: str | None, namespace: str) -> None:
    serve_app(build_app(data_dir, database_url, redis_url, namespace), port)


# ---------------------------------------------------------------------------------------------
# Redis: a namespace per run, emptied afterwards


@dataclass(frozen=True)
class Mode:
    name: str  # "no Redis" or "Redis"
    redis_url: str | None
    namespace: str


def delete_namespace(mode: Mode) -> int:
    """Delete every key the run made under its namespace; how many there were."""
    if mode.redis_url is None:
        return 0
    client = Redis.from_url(mode.redis_url)
    try:
        keys = list(client.scan_iter(match=f"{mode.namespace}:*", count=1000))
        if keys:
            client.delete(*keys)
        return len(keys)
    finally:
        client.close()


def redis_answers() -> bool:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        return bool(client.ping())
    except (RedisError, OSError):  # redis-py wraps connection failures in its own errors
        return False
    finally:
        client.close()


# ---------------------------------------------------------------------------------------------
# Logins (the client side runs in its own process)


def drive_logins(port: int, connections: int, seconds: float, max_requests: int) -> Exchanges:
    """``connections`` keep-alive connections logging in as the bench account, again and again."""
    request = http_request("POST", "/v1/auth/token", port, LOGIN_HEADERS, login_body(EMAIL))
    conversations = [Repeat(request) for _ in range(connections)]
    return run_event_loop(exchange_loop(port, conversations, seconds, max_requests))


@dataclass(frozen=True)
class LoginRun:
    mode: str
    connections: int
    result: RunResult
    statuses: dict[int, int]


@dataclass(frozen=True)
class LoginPlan:
    seconds: float
    max_requests: int
    warmup_requests: int


def measure_logins(
    executor: ProcessPoolExecutor, mode: Mode, server: Server, plan: LoginPlan
) -> list[LoginRun]:
    runs = []
    warm = executor.submit(drive_logins, server.port, 1, 30.0, plan.warmup_requests).result(timeout=60)
    if warm.errors:
        raise RuntimeError(f"login warm-up failed: {dict(warm.statuses)} {warm.samples}")
    for connections in LOGIN_CONNECTIONS:
        future = executor.submit(drive_logins, server.port, connections, plan.seconds, plan.max_requests)
        seen = future.result(timeout=plan.seconds + 60)
        run = LoginRun(mode.name, connections, seen.result(), dict(seen.statuses))
        runs.append(run)
        described = f"{run.result.describe()}  statuses {run.statuses}"
        print(f"{mode.name}: login, {connections} connection(s): {described}")
        for status, sample in seen.samples.items():
            print(f"  {status}: {sample[:300]!r}")
    return runs


# ---------------------------------------------------------------------------------------------
# One mode: a server, its logins, and the overhead comparison


def start(data_dir: Path, database_url: str, mode: Mode) -> Server:
    arguments = [f"--namespace={mode.namespace}"]
    if mode.redis_url:
        arguments.append(f"--redis-url={mode.redis_url}")
    slug = mode.name.lower().replace(" ", "-")
    return start_server(__file__, "kit", data_dir, slug, database_url, *arguments)


def user_id_of(server: Server, token: str) -> str:
    status, body = http_get(server.port, ME_PATH, dict(bearer(token)))
    if status != 200:
        raise RuntimeError(f"{ME_PATH}: {status} {body[:300]!r}")
    return str(json.loads(body)["user_id"])  # the response names it user_id; the model reads it from id


def measure_mode(
    load: LoadGenerator,
    executor: ProcessPoolExecutor,
    data_dir: Path,
    database: tuple[str, str],
    mode: Mode,
    plans: tuple[Plan, LoginPlan],
) -> tuple[Comparison, list[LoginRun]]:
    (database_name, database_url), (overhead_plan, login_plan) = database, plans
    try:
        with serving([lambda: start(data_dir, database_url, mode)]) as (server,):
            token = log_in(server.port, EMAIL)  # a real login: the token the devices would hold
            unauthenticated = Endpoint(f"/bench/users/{user_id_of(server, token)}")
            comparison = compare(
                load,
                (f"{database_name}, {mode.name}", "GET " + ME_PATH),
                (server, Endpoint(ME_PATH, bearer(token))),
                (server, unauthenticated),
                overhead_plan,
                max_cost=TARGET_COST,
            )
            logins = measure_logins(executor, mode, server, login_plan)
    finally:
        removed = delete_namespace(mode)
        if removed:
            print(f"  Redis: deleted the run's {removed} key(s) under {mode.namespace}:*")
    return comparison, logins


# ---------------------------------------------------------------------------------------------
# The figures


def login_table(runs: Sequence[LoginRun]) -> str:
    header = "| revocation and rate limits | connections | logins | logins/s | p50 ms | p95 ms | statuses |"
    return markdown_table(
        header,
        (
            f"| {run.mode} | {run.connections} | {run.result.requests} | {run.result.rps:.1f} "
            f"| {run.result.p50_ms:.1f} | {run.result.p95_ms:.1f} | {status_counts(run.statuses)} |"
            for run in runs
        ),
    )


def overhead_table(comparisons: Sequence[Comparison]) -> str:
    header = (
        "| database, revocation | with token rps | without auth rps | cost (without/with rps) "
        f"| with p50 ms | without p50 ms | with p95 ms | without p95 ms | ≤ {TARGET_COST}× |"
    )
    return markdown_table(
        header,
        (
            f"| {c.database} | {c.kit_rps:.0f} | {c.bare_rps:.0f} | {c.cost:.2f}× "
            f"| {latency_cells(c)} | {verdict(c.meets_target)} |"
            for c in comparisons
        ),
    )


# ---------------------------------------------------------------------------------------------
# Command line


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argument_parser(__doc__)
    parser.add_argument("--quick", action="store_true", help="one short round each: a smoke test")
    parser.add_argument("--load-generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite")
    parser.add_argument("--no-redis", action="store_true", help="only the run without Redis")
    server = add_serve_command(parser, ["kit"])
    server.add_argument("--namespace", required=True)
    server.add_argument("--redis-url")
    return parser.parse_args(argv)


def modes(with_redis: bool) -> list[Mode]:
    tag = secrets.token_hex(4)
    chosen = [Mode("no Redis", None, f"bench-{tag}")]
    if with_redis and redis_answers():
        chosen.append(Mode("Redis", REDIS_URL, f"bench-{tag}"))
    elif with_redis:
        print(f"Redis: nothing answers at {REDIS_URL}; the run with Redis is skipped")
    return chosen


def database_kind(with_postgres: bool) -> str:
    if with_postgres and asyncio.run(postgres_answers()):
        return "PostgreSQL"
    if with_postgres:
        print(f"PostgreSQL: nothing answers at {POSTGRES_DSN}; SQLite instead")
    return "SQLite"


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if args.command == "serve":
        serve(args.port, args.data_dir, args.database_url, args.redis_url, args.namespace)
        return 0

    logging.disable(logging.INFO)  # the setup's migration and audit lines (the server logs to a file)
    overhead_plan = comparison_plan(args.quick)
    login_plan = LoginPlan(seconds=2 if args.quick else 6, max_requests=1000, warmup_requests=2)
    kind = database_kind(not args.no_postgres)
    chosen = modes(not args.no_redis)
    comparisons: list[Comparison] = []
    logins: list[LoginRun] = []
    with workspace("bench-auth-") as (tmp, executor), scratch_database(kind, tmp, "firemode") as url:
        load = choose_load_generator(args.load_generator, tmp, executor)
        print(f"auth: {kind}; {', '.join(mode.name for mode in chosen)}; {machine()}; load from {load.name}")
        asyncio.run(set_up_accounts(tmp, url, (EMAIL, Role.TECHNICIAN)))
        for mode in chosen:
            comparison, runs = measure_mode(
                load, executor, tmp, (kind, url), mode, (overhead_plan, login_plan)
            )
            comparisons.append(comparison)
            logins += runs

    print(f"\nlogin (POST /v1/auth/token, standard Argon2)\n\n{login_table(logins)}")
    print(f"\nauthenticated-request overhead (GET {ME_PATH})\n\n{overhead_table(comparisons)}")
    errors = sum(c.errors for c in comparisons) + sum(run.result.errors for run in logins)
    if errors:
        print(f"\nerror: {errors} failed request(s) during the measured runs")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
