"""Alloy's catalogue reads: ``POST /v1/movements/query`` and ``GET /v1/movements`` at 32 clients.

The targets are the catalogue issue's. The real Alloy app runs under uvicorn (one worker) in a
subprocess on 127.0.0.1, on a database migrated as ``alloy migrate`` does (the migrations, then the
shipped catalogue: 259 movements with their equipment and disciplines), on SQLite (a file in a
temporary directory) and, when it answers on 127.0.0.1:5432, on PostgreSQL (a scratch database
``bench_<hex>`` created from ``test`` and dropped at the end). No Redis: the app's page cache is its
in-process LRU (``apikit.cache``), as when ``redis_url`` is unset. JSON access logs, as in
production. Every kit request carries a bearer token issued by the app's own
``identity.access_tokens.issue(user_id, role)`` for an account that exists (role ``user``) and is
checked on every request.

Five workloads, each measured against a **bare reference**: plain Starlette (no FastAPI, no
middleware, **no authentication**, no cache) on the same raw driver (one aiosqlite connection; an
asyncpg pool as large as the kit's), running the SELECTs the ORM emitted for the request (the
page of ``movements``, then the two ``selectinload`` queries for ``movement_equipment`` and
``movement_disciplines``; for the structured query also the ``count(*)`` over the same subquery)
and answering the same JSON: the same envelope, the same ``data`` (checked equal to the kit's before
measuring, cursors included: the bare side signs them with the service's secret).

The app caches the shared catalogue's answers once for everyone; a user who owns a private
movement gets answers of their own. So the **uncached** runs send every request from a different
account that owns one private movement (its own token; the movement is named to sort after the
whole catalogue and is of the last pattern, so the answers compared are the bare side's): every
request misses the page cache and reads the database, as each such user's first look does.

* **``POST /v1/movements/query``, uncached**: ``{"filters": [{"field": "pattern", "operator":
  "eq", "value": P}], "limit": 20}``, P cycling through the 16 movement patterns.
* **``POST /v1/movements/query``, shared cache**: the same 16 bodies from one account without
  private movements: after the first 16, every answer comes from the entry shared by everyone.
* **``GET /v1/movements?limit=20``, cached**: the same first page by the same user, again and
  again: after the first request every answer comes from the app's page cache.
* **``GET /v1/movements?limit=20``, uncached**: the same first page, every request from a
  different account with a private movement.
* **``GET /v1/movements?limit=20``, shared by new users**: every request from a different account
  **without** private movements: the page comes from the entry shared by everyone, but whether
  the account owns a movement is not cached yet, so each request also reads that (one indexed
  ``EXISTS``), as a new user's first look does.

Load comes from the asyncio keep-alive client of ``bench/_common.py`` in a separate process,
32 connections, each request timed from the moment it is sent (no coordinated-omission correction);
wrk is not used because requests differ (bodies, tokens). Kit and bare runs are interleaved (kit
bare, bare kit, …), 4 rounds × 2 s each, after an untimed warm-up; medians of the rounds are
reported. Every run is bounded in requests and seconds. Targets: kit p95 < 100 ms, and kit ≥ 0.4×
the bare handler's requests/s.

    .venv/bin/python bench/catalogue.py            # about two minutes
    .venv/bin/python bench/catalogue.py --quick    # about half a minute: SQLite, one round of 1 s
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import sys
import uuid
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from _common import (
    BENCH_PASSWORD,
    BareDatabase,
    BareSqlite,
    Comparison,
    Exchanges,
    Plan,
    RunResult,
    Server,
    add_serve_command,
    argument_parser,
    bare_database,
    bare_starlette,
    bearer,
    choose_databases,
    exchange_loop,
    http_request,
    kit_and_bare,
    latency_cells,
    machine,
    markdown_table,
    median_of,
    run_event_loop,
    scratch_database,
    serve_app,
    serving,
    verdict,
    workspace,
)
from alloy.catalogue.models import Movement, MovementEquipment
from alloy.catalogue.vocabulary import Pattern
from alloy.cli import SERVICE as ALLOY
from alloy.identity.models import User
from alloy.identity.roles import Role
from alloy.identity.service import AccountService
from alloy.main import create_alloy_app
from alloy.settings import AlloySettings
from apikit.cli import migrate
from apikit.db.engine import Database
from apikit.jsoncodec import canonical

CONNECTIONS = 32
TARGET_P95_MS = 100.0
TARGET_RATIO = 0.4
LIST_PATH = "/v1/movements?limit=20"
QUERY_PATH = "/v1/movements/query"
PAGE_SIZE = 20
EMAIL = "athlete@bench.example.com"
PATTERNS = tuple(pattern.value for pattern in Pattern)
JSON_HEADERS = (("Content-Type", "application/json"),)
MAX_RATE = 5_000  # requests per second per run before its cap stops it (well above either side here)


# ---------------------------------------------------------------------------------------------
# The kit (built inside the server subprocess)


def alloy_settings(data_dir: Path, database_url: str) -> AlloySettings:
    """Alloy as the benchmark runs it: no ``.env``, no Redis, JSON logs. Secrets are generated once
    into ``data_dir``, so the setup (which issues the tokens) and the servers agree on them."""
    return AlloySettings(
        _env_file=None, data_dir=data_dir, database_url=database_url, redis_url=None, log_json=True
    )


# ---------------------------------------------------------------------------------------------
# The bare reference: the ORM's SQL on the raw driver, the same JSON


COLUMNS = (
    "slug",
    "name",
    "name_key",
    "scope",
    "owner_id",
    "pattern",
    "primary_muscle",
    "secondary_muscles",
    "compound",
    "unilateral",
    "skill_level",
    "cns_load",
    "metric_type",
    "tier",
    "rep_min",
    "rep_max",
    "plate_increment_kg",
    "plate_increment_lb",
    "substitution_group",
    "progression_id",
    "regression_id",
    "description",
    "id",
    "created_at",
    "updated_at",
)
INDEX = {name: position for position, name in enumerate(COLUMNS)}
SELECT_COLUMNS = ", ".join(f"movements.{name}" for name in COLUMNS)
ALIASED_COLUMNS = ", ".join(f"movements.{name} AS {name}" for name in COLUMNS)
TAG_SQL = (
    "SELECT {table}.movement_id, {table}.{column}, {table}.position FROM {table} "
    "WHERE {table}.movement_id IN ({ids}) ORDER BY {table}.position"
)


class BareSql:
    """The statements SQLAlchemy renders for the two routes, for one dialect.

    Taken from the SQL the ORM sends (captured with a ``before_cursor_execute`` listener): on SQLite
    ``?`` and ``LIMIT ? OFFSET ?``; on PostgreSQL ``$n::TYPE`` and ``LIMIT`` alone for the list.
    """

    def __init__(self, on_sqlite: bool) -> None:
        self.on_sqlite = on_sqlite

    def param(self, number: int, cast: str) -> str:
        return "?" if self.on_sqlite else f"${number}::{cast}"

    def visible(self, filtered: bool) -> str:
        condition = f"movements.owner_id IS NULL OR movements.owner_id = {self.param(1, 'UUID')}"
        if not filtered:
            return condition
        return f"({condition}) AND movements.pattern = {self.param(2, 'VARCHAR')}"

    def page(self, filtered: bool, with_offset: bool) -> str:
        first = 3 if filtered else 2
        limit = f"LIMIT {self.param(first, 'INTEGER')}"
        if with_offset or self.on_sqlite:
            limit += f" OFFSET {self.param(first + 1, 'INTEGER')}"
        return (
            f"SELECT {SELECT_COLUMNS} FROM movements WHERE {self.visible(filtered)} "  # noqa: S608
            f"ORDER BY movements.name ASC, movements.id ASC {limit}"  # (constants and placeholders only)
        )

    def count(self) -> str:
        return (
            f"SELECT count(*) AS count_1 FROM (SELECT {ALIASED_COLUMNS} FROM movements "  # noqa: S608
            f"WHERE {self.visible(True)}) AS anon_1"  # (constants and placeholders only)
        )

    def tags(self, table: str, column: str, count: int) -> str:
        ids = ", ".join(self.param(number, "UUID") for number in range(1, count + 1))
        return TAG_SQL.format(table=table, column=column, ids=ids)


def iso_utc(value: Any) -> str:
    """A timestamp as pydantic writes one: ISO 8601, ``Z`` for UTC."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat().replace("+00:00", "Z")


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def cursor_key(secret: bytes) -> bytes:
    """The key ``apikit.pagination`` signs cursors with, from the service's secret."""
    return hashlib.sha256(b"apikit.cursor\x00" + secret).digest()


def filters_digest(filters: dict[str, Any]) -> str:
    """What a cursor records of the filters its page was made under, as ``apikit.pagination`` does."""
    return b64(hashlib.sha256(canonical(filters, default=str).encode()).digest()[:12])


def signed_cursor(key: bytes, payload: dict[str, Any]) -> str:
    """A cursor as ``apikit.pagination`` writes one: the canonical payload and its signature."""
    body = canonical(payload).encode()
    signature = hmac.new(key, body, hashlib.sha256).digest()[:16]
    return f"{b64(body)}.{b64(signature)}"


class BareCatalogue:
    """The two handlers' work: the statements, the rows turned into the routes' JSON."""

    def __init__(self, rows: BareDatabase, secret: bytes, user_id: uuid.UUID) -> None:
        self.rows = rows
        self.on_sqlite = isinstance(rows, BareSqlite)
        self.sql = BareSql(self.on_sqlite)
        self.cursor_key = cursor_key(secret)
        self.user = user_id.hex if self.on_sqlite else user_id
        self.list_sql = self.sql.page(filtered=False, with_offset=False)
        self.query_sql = self.sql.page(filtered=True, with_offset=True)
        self.count_sql = self.sql.count()
        self.no_filters = filters_digest(
            {"pattern": None, "equipment": None, "discipline": None, "q": None, "tier": None}
        )

    def as_uuid(self, value: Any) -> str | None:
        if value is None:
            return None
        return str(uuid.UUID(hex=value)) if self.on_sqlite else str(value)

    async def tags(self, table: str, column: str, ids: list[Any]) -> dict[Any, list[str]]:
        found: dict[Any, list[str]] = {}
        for movement_id, value, _position in await self.rows.fetch(
            self.sql.tags(table, column, len(ids)), *ids
        ):
            found.setdefault(movement_id, []).append(value)
        return found

    async def items(self, rows: list[Any]) -> list[dict[str, Any]]:
        ids = [row[INDEX["id"]] for row in rows]
        equipment = await self.tags("movement_equipment", "equipment", ids) if ids else {}
        disciplines = await self.tags("movement_disciplines", "discipline", ids) if ids else {}
        items = []
        for row in rows:
            muscles = row[INDEX["secondary_muscles"]]
            items.append(
                {
                    "movement_id": self.as_uuid(row[INDEX["id"]]),
                    "slug": row[INDEX["slug"]],
                    "name": row[INDEX["name"]],
                    "pattern": row[INDEX["pattern"]],
                    "primary_muscle": row[INDEX["primary_muscle"]],
                    "secondary_muscles": json.loads(muscles) if isinstance(muscles, str) else muscles,
                    "equipment": equipment.get(row[INDEX["id"]], []),
                    "disciplines": disciplines.get(row[INDEX["id"]], []),
                    "compound": bool(row[INDEX["compound"]]),
                    "unilateral": bool(row[INDEX["unilateral"]]),
                    "skill_level": row[INDEX["skill_level"]],
                    "cns_load": row[INDEX["cns_load"]],
                    "metric_type": row[INDEX["metric_type"]],
                    "tier": row[INDEX["tier"]],
                    "rep_min": row[INDEX["rep_min"]],
                    "rep_max": row[INDEX["rep_max"]],
                    "plate_increment_kg": row[INDEX["plate_increment_kg"]],
                    "plate_increment_lb": row[INDEX["plate_increment_lb"]],
                    "substitution_group": row[INDEX["substitution_group"]],
                    "progression_id": self.as_uuid(row[INDEX["progression_id"]]),
                    "regression_id": self.as_uuid(row[INDEX["regression_id"]]),
                    "description": row[INDEX["description"]],
                    "custom": row[INDEX["owner_id"]] is not None,
                    "created_at": iso_utc(row[INDEX["created_at"]]),
                    "updated_at": iso_utc(row[INDEX["updated_at"]]),
                }
            )
        return items

    def cursor(self, last: dict[str, Any]) -> str:
        """What ``apikit.pagination`` signs for the next page after ``last``, signed the same way."""
        key = [last["name"], {"u": uuid.UUID(last["movement_id"]).hex}]
        payload = {"v": 1, "l": "movements", "f": self.no_filters, "d": "next", "k": key}
        return signed_cursor(self.cursor_key, payload)

    async def list_page(self, limit: int) -> dict[str, Any]:
        arguments = (self.user, limit + 1, 0) if self.on_sqlite else (self.user, limit + 1)
        rows = await self.rows.fetch(self.list_sql, *arguments)
        has_more = len(rows) > limit
        items = await self.items(rows[:limit])
        return {
            "items": items,
            "next_cursor": self.cursor(items[-1]) if has_more and items else None,
            "prev_cursor": None,
            "has_more": has_more,
        }

    async def query(self, body: dict[str, Any]) -> dict[str, Any]:
        (condition,) = body["filters"]  # the bench sends one: pattern eq P
        pattern, limit, offset = condition["value"], int(body.get("limit", 50)), int(body.get("offset", 0))
        ((total,),) = await self.rows.fetch(self.count_sql, self.user, pattern)
        rows = await self.rows.fetch(self.query_sql, self.user, pattern, limit, offset)
        items = await self.items(rows)
        return {
            "items": items,
            "total": total,
            "limit": limit,
            "offset": offset,
            "has_next": offset + len(items) < total,
            "has_prev": offset > 0,
            "total_pages": max(1, -(-total // limit)),
            "current_page": offset // limit + 1,
            "filters_applied": {
                "filters": [{"field": "pattern", "operator": "eq", "value": pattern}],
                "sort_by": "name",
                "sort_order": "asc",
            },
        }


def enveloped(data: Any) -> JSONResponse:
    """Alloy's envelope, with the same meta fields (a request id, a timestamp, no warnings)."""
    meta = {"request_id": str(uuid.uuid4()), "timestamp": iso_utc(datetime.now(UTC)), "warnings": []}
    return JSONResponse({"data": data, "meta": meta, "errors": []})


def build_bare_app(database_url: str, secret: bytes, user_id: uuid.UUID) -> Starlette:
    rows = bare_database(database_url)
    catalogue = BareCatalogue(rows, secret, user_id)

    async def list_movements(request: Request) -> JSONResponse:
        limit = min(int(request.query_params.get("limit", PAGE_SIZE)), 100)
        return enveloped(await catalogue.list_page(limit))

    async def query_movements(request: Request) -> JSONResponse:
        return enveloped(await catalogue.query(json.loads(await request.body())))

    return bare_starlette(
        rows, [Route("/v1/movements", list_movements), Route(QUERY_PATH, query_movements, methods=["POST"])]
    )


def serve(kind: str, port: int, data_dir: Path, database_url: str, user_id: str) -> None:
    """The server subprocess: the real Alloy app, or the bare handlers."""
    for name in [name for name in os.environ if name.startswith("ALLOY_")]:
        del os.environ[name]  # every run configures the same app
    settings = alloy_settings(data_dir, database_url)
    if kind == "kit":
        app: Any = create_alloy_app(settings)
    else:
        app = build_bare_app(database_url, settings.secret("secret_key"), uuid.UUID(user_id))
    serve_app(app, port)


# ---------------------------------------------------------------------------------------------
# Setting up: the migrated catalogue, the accounts and their tokens


@dataclass(frozen=True)
class Accounts:
    user_id: uuid.UUID  # the account the cached runs (and the bare side's SQL) use
    token: str
    owning_list: list[str]  # one token per account with a private movement, per uncached run kind
    owning_query: list[str]
    sharing: list[str]  # one token per account without, for the shared runs


def private_movement(user_id: uuid.UUID, number: int) -> dict[str, Any]:
    """One private movement of ``user_id``: named to sort after the whole catalogue, of the last
    pattern (the first request of each run, which is compared with the bare side's, is of the
    first)."""
    name = f"Zz private {number}"
    return {
        "id": uuid.uuid4(),
        "slug": f"custom_{uuid.uuid4().hex}",
        "name": name,
        "name_key": name.casefold(),
        "scope": str(user_id),
        "owner_id": user_id,
        "pattern": PATTERNS[-1],
        "primary_muscle": "abs",
        "secondary_muscles": [],
        "compound": False,
        "unilateral": False,
        "skill_level": 2,
        "cns_load": 2,
        "metric_type": "reps",
        "tier": "accessory",
        "rep_min": 8,
        "rep_max": 15,
        "substitution_group": "bench_private",
        "description": "",
    }


async def set_up(data_dir: Path, database_url: str, extra_users: int) -> Accounts:
    """Migrate, check the catalogue is there, make the accounts and issue their tokens."""
    database = Database(database_url)
    try:
        await migrate(ALLOY, database)
    finally:
        await database.dispose()
    settings = alloy_settings(data_dir, database_url).model_copy(update={"log_level": "WARNING"})
    app = create_alloy_app(settings)
    try:
        async with app.state.database.transactional() as session:
            movements = await session.scalar(select(func.count()).select_from(Movement))
            user = await AccountService(session, app.state.identity, settings).create_account(
                email=EMAIL, password=BENCH_PASSWORD, name="bench", role=Role.USER
            )
            # Further accounts in bulk, with the first account's hash (none of them logs in): the
            # first two thirds own a private movement each.
            others = [
                {
                    "id": uuid.uuid4(),
                    "email": f"athlete-{number}@bench.example.com",
                    "password_hash": user.password_hash,
                    "name": f"athlete {number}",
                    "role": Role.USER.value,
                }
                for number in range(3 * extra_users)
            ]
            if others:
                await session.execute(insert(User), others)
                owned = [
                    private_movement(row["id"], number)
                    for number, row in enumerate(others[: 2 * extra_users])
                ]
                await session.execute(insert(Movement), owned)
                await session.execute(
                    insert(MovementEquipment),
                    [{"movement_id": row["id"], "equipment": "bodyweight", "position": 0} for row in owned],
                )
        issue = app.state.identity.access_tokens.issue
        token, _ = issue(str(user.id), Role.USER.value)
        tokens = [issue(str(row["id"]), Role.USER.value)[0] for row in others]
    finally:
        await app.state.database.dispose()
    print(f"  catalogue: {movements} shared movements; {3 * extra_users + 1} accounts")
    return Accounts(
        user.id,
        token,
        owning_list=tokens[:extra_users],
        owning_query=tokens[extra_users : 2 * extra_users],
        sharing=tokens[2 * extra_users :],
    )


# ---------------------------------------------------------------------------------------------
# Load (the client side runs in its own process)


class Cycle:
    """The next request from a list shared by every connection of a run, round and round."""

    def __init__(self, requests: Sequence[bytes]) -> None:
        self.requests = requests
        self.position = 0

    def take(self) -> bytes:
        request = self.requests[self.position % len(self.requests)]
        self.position += 1
        return request


class FromCycle:
    def __init__(self, cycle: Cycle) -> None:
        self.cycle = cycle

    def next_request(self) -> bytes:
        return self.cycle.take()

    def answered(self, status: int, body: bytes) -> None:
        pass


def drive(
    port: int, requests: Sequence[bytes], connections: int, seconds: float, max_requests: int
) -> Exchanges:
    cycle = Cycle(requests)
    conversations = [FromCycle(cycle) for _ in range(connections)]
    return run_event_loop(exchange_loop(port, conversations, seconds, max_requests))


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a server and the requests it gets (all different, or cycled)."""

    server: Server
    requests: Sequence[bytes]
    unique: bool = False  # each request once only: runs get disjoint slices, capped at their size


@dataclass(frozen=True)
class Workload:
    label: str
    kit: Side
    bare: Side


class Runner:
    def __init__(self, executor: ProcessPoolExecutor, plan: Plan) -> None:
        self.executor = executor
        self.plan = plan

    def run(self, side: Side, seconds: float, slice_index: int, slices: int) -> tuple[RunResult, Exchanges]:
        requests, cap = side.requests, self.plan.seconds * MAX_RATE
        if side.unique:
            size = len(requests) // slices
            requests = requests[slice_index * size : (slice_index + 1) * size]
            cap = len(requests)
        future = self.executor.submit(drive, side.server.port, requests, CONNECTIONS, seconds, cap)
        seen = future.result(timeout=seconds + 60)
        return seen.result(), seen

    def compare(self, database: str, workload: Workload) -> tuple[Comparison, int]:
        """Warm both up, then kit bare, bare kit, …; how many runs hit their request cap."""
        slices = self.plan.rounds + 1  # the warm-up takes the first slice of unique requests
        for side in (workload.kit, workload.bare):
            _result, seen = self.run(side, self.plan.warmup_seconds, 0, slices)
            if seen.errors:
                raise RuntimeError(f"{workload.label}: errors while warming up: {seen.samples}")
        runs: dict[str, list[RunResult]] = {"kit": [], "bare": []}
        capped = 0
        print(f"{database} {workload.label}")
        for round_index in range(self.plan.rounds):
            order = ("kit", "bare") if round_index % 2 == 0 else ("bare", "kit")
            for name in order:
                side = workload.kit if name == "kit" else workload.bare
                result, seen = self.run(side, self.plan.seconds, round_index + 1, slices)
                capped += result.seconds < self.plan.seconds * 0.95
                runs[name].append(result)
                progress = f"round {round_index + 1}/{self.plan.rounds}  {name:<4}"
                print(f"  {progress}  {result.describe()}  {dict(seen.statuses)}")
                for status, sample in seen.samples.items():
                    print(f"    {status}: {sample[:300]!r}")
        comparison = Comparison(
            database, workload.label, runs["kit"], runs["bare"], max_cost=1 / TARGET_RATIO
        )
        print(
            f"  median: kit {comparison.kit_rps:.0f} rps, bare {comparison.bare_rps:.0f} rps, "
            f"kit/bare {comparison.ratio:.2f}; kit p95 {median_of(comparison.kit, 'p95_ms'):.1f} ms"
        )
        return comparison, capped


# ---------------------------------------------------------------------------------------------
# One database


def query_body(pattern: str) -> bytes:
    filters = [{"field": "pattern", "operator": "eq", "value": pattern}]
    return json.dumps({"filters": filters, "limit": PAGE_SIZE}).encode()


async def fetch_once(port: int, request: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *lines = head.split(b"\r\n")
        length = next(
            int(line.split(b":")[1]) for line in lines if line.lower().startswith(b"content-length:")
        )
        return int(status_line.split()[1]), await reader.readexactly(length)
    finally:
        writer.close()


def check_same_data(label: str, kit: Side, bare: Side) -> None:
    """The first request of each side answers 200 with equal ``data``: the same work, the same JSON."""
    kit_status, kit_body = run_event_loop(fetch_once(kit.server.port, kit.requests[0]))
    bare_status, bare_body = run_event_loop(fetch_once(bare.server.port, bare.requests[0]))
    if kit_status != 200 or bare_status != 200:
        raise RuntimeError(
            f"{label}: kit {kit_status} {kit_body[:300]!r}, bare {bare_status} {bare_body[:300]!r}"
        )
    kit_answer, bare_answer = json.loads(kit_body), json.loads(bare_body)
    if kit_answer["data"] != bare_answer["data"] or kit_answer.keys() != bare_answer.keys():
        raise RuntimeError(
            f"{label}: the bare answer differs: kit {kit_body[:400]!r}, bare {bare_body[:400]!r}"
        )
    if kit_answer["meta"].keys() != bare_answer["meta"].keys():
        raise RuntimeError(f"{label}: meta differs: {kit_answer['meta']} against {bare_answer['meta']}")


def workloads(kit: Server, bare: Server, accounts: Accounts) -> list[Workload]:
    def get(port: int, token: str | None) -> bytes:
        return http_request("GET", LIST_PATH, port, bearer(token) if token else ())

    def post(port: int, token: str | None, pattern: str) -> bytes:
        headers = (*JSON_HEADERS, *(bearer(token) if token else ()))
        return http_request("POST", QUERY_PATH, port, headers, query_body(pattern))

    return [
        Workload(
            "POST /v1/movements/query, uncached",
            Side(
                kit,
                [
                    post(kit.port, token, PATTERNS[number % len(PATTERNS)])
                    for number, token in enumerate(accounts.owning_query)
                ],
                unique=True,
            ),
            Side(bare, [post(bare.port, None, pattern) for pattern in PATTERNS]),
        ),
        Workload(
            "POST /v1/movements/query, shared cache",
            Side(kit, [post(kit.port, accounts.token, pattern) for pattern in PATTERNS]),
            Side(bare, [post(bare.port, None, pattern) for pattern in PATTERNS]),
        ),
        Workload(
            "GET /v1/movements, cached",
            Side(kit, [get(kit.port, accounts.token)]),
            Side(bare, [get(bare.port, None)]),
        ),
        Workload(
            "GET /v1/movements, uncached",
            Side(kit, [get(kit.port, token) for token in accounts.owning_list], unique=True),
            Side(bare, [get(bare.port, None)]),
        ),
        Workload(
            "GET /v1/movements, shared by new users",
            Side(kit, [get(kit.port, token) for token in accounts.sharing], unique=True),
            Side(bare, [get(bare.port, None)]),
        ),
    ]


def measure_database(name: str, tmp: Path, runner: Runner, extra_users: int) -> tuple[list[Comparison], int]:
    data_dir = tmp / name.lower()
    data_dir.mkdir()
    comparisons: list[Comparison] = []
    capped = 0
    with scratch_database(name, data_dir, "alloy") as url:
        accounts = asyncio.run(set_up(data_dir, url, extra_users))
        starters = kit_and_bare(__file__, data_dir, name, url, f"--user-id={accounts.user_id}")
        with serving(starters) as (kit, bare):
            for workload in workloads(kit, bare, accounts):
                check_same_data(workload.label, workload.kit, workload.bare)
                comparison, hit_cap = runner.compare(name, workload)
                comparisons.append(comparison)
                capped += hit_cap
    return comparisons, capped


# ---------------------------------------------------------------------------------------------
# The figures


def table(comparisons: Sequence[Comparison]) -> str:
    header = (
        "| database | endpoint | kit rps | bare rps | kit/bare | kit p50 ms | bare p50 ms | kit p95 ms "
        f"| bare p95 ms | p95 < {TARGET_P95_MS:.0f} ms | ≥ {TARGET_RATIO}× |"
    )
    return markdown_table(
        header,
        (
            f"| {c.database} | {c.endpoint} | {c.kit_rps:.0f} | {c.bare_rps:.0f} | {c.ratio:.2f}× "
            f"| {latency_cells(c, decimals=1)} | {verdict(median_of(c.kit, 'p95_ms') < TARGET_P95_MS)} "
            f"| {verdict(c.ratio >= TARGET_RATIO)} |"
            for c in comparisons
        ),
    )


# ---------------------------------------------------------------------------------------------
# Command line


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argument_parser(__doc__)
    parser.add_argument("--quick", action="store_true", help="SQLite, one short round: a smoke test")
    parser.add_argument("--databases", choices=["both", "sqlite", "postgresql"], default="both")
    server = add_serve_command(parser, ["kit", "bare"])
    server.add_argument("--user-id", required=True)
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if args.command == "serve":
        serve(args.kind, args.port, args.data_dir, args.database_url, args.user_id)
        return 0

    logging.disable(logging.INFO)  # the setup's migration and audit lines (servers log to files)
    plan = Plan(
        rounds=1 if args.quick else 4,
        seconds=1 if args.quick else 2,
        connections=CONNECTIONS,
        warmup_requests=0,  # the warm-up is bounded by time (and, for unique requests, by its slice)
        warmup_seconds=0.5 if args.quick else 1.0,
    )
    # Enough accounts that no uncached run repeats one: each run gets (rounds + 1)-th of them.
    extra_users = (plan.rounds + 1) * plan.seconds * 1_500
    names = choose_databases(args.databases, args.quick)
    comparisons: list[Comparison] = []
    capped = 0
    with workspace("bench-catalogue-") as (tmp, executor):
        runner = Runner(executor, plan)
        print(f"catalogue: {', '.join(names)}; {CONNECTIONS} connections; {machine()}")
        for name in names:
            more, hit_cap = measure_database(name, tmp, runner, extra_users)
            comparisons += more
            capped += hit_cap

    print(
        f"\ncatalogue reads, {CONNECTIONS} concurrent clients: kit (bearer checked) against bare (no auth)\n"
    )
    print(table(comparisons))
    if capped:
        print(f"\nnote: {capped} run(s) stopped at their request cap before their time was up")
    errors = sum(c.errors for c in comparisons)
    if errors:
        print(f"\nerror: {errors} failed request(s) during the measured runs")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
