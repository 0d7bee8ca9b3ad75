"""FireMode's results merge: throughput in process, latency over HTTP, and the session list.

Issue "FireMode: buildings, test sessions and the offline-first results merge". Three parts, each on
SQLite and, when it answers on 127.0.0.1:5432, on PostgreSQL (a scratch database ``bench_<hex>``
created from ``test`` and dropped at the end; SQLite files live in a temporary directory). Part a
gets a fresh database; parts c and b (run in that order) share another. Servers run on 127.0.0.1
only, their logs in the temporary directory:

a. **Merge throughput in process** (no HTTP). Changes applied per second for batches of 100 and
   1,000 in-order changes into sessions already holding 0, 10k and 100k changes: one call of
   ``ResultsService(session, limits, documents).submit(session_id, caller, changes)`` inside
   ``Database.transactional()`` (commit included) per batch, ``documents`` being one
   ``DocumentCache`` for the run as the app's in-process merge keeps one (``--no-document-cache``:
   none, every batch reads and decodes its session's document, as before 2026-12-01), timed one
   batch at a time after one untimed batch, median reported. The changes set (and now and then
   delete) fields of 400 assets, so a session's document stays the size of a real one (tens of KB)
   however many changes it holds. Sessions are prefilled in bulk: the prefill changes are merged by
   the engine (``firemode.sync.engine.merge``) and written as ``ResultsService`` writes them — the
   log rows by the kit's ``insert_rows`` (one ``COPY`` on PostgreSQL), then the session row
   (document, clock, counts, last key) — so the state is exactly what the service leaves, without
   paying the service's price 100 times over. Each timed batch goes to a copy of that prefilled
   session (``INSERT … SELECT``), reused until it has grown by 10%; at 0, each batch goes to a new
   empty session. On PostgreSQL the tables are ``ANALYZE``d after the prefill, as a long-running
   database would be. The reference is the engine alone (``merge`` on a copy of the in-memory
   state) for the same batches; and the rebuild case: a 100-change batch whose first change sorts
   before everything a 10k session holds (each on a fresh copy), so the document is folded again
   from the whole history. Target: ≥ 50,000 changes/s applied in process for in-order batches.

b. **Results over HTTP**: p50/p95 of ``POST /v1/tests/sessions/{id}/results`` with 100-change
   batches from 32 concurrent devices, against the real FireMode app under uvicorn (one worker).
   Each device is one keep-alive connection of a separate client process (an asyncio client, not
   wrk, because each request needs its own body): its own actor, its counters increasing from
   batch to batch, a fresh ``Idempotency-Key`` per request, the bearer token of a real login
   (``POST /v1/auth/token``) of a technician created through the app's ``UserService``. Measured
   with all 32 devices on one session, and with them spread over 32 sessions (one each). Every run
   is bounded in requests and seconds, after an untimed warm-up of one batch per device (which
   creates the sessions). A device whose batch fails sends the same changes again with a new key.
   The script then reads the change log to count how many measured batches took the rebuild path
   (their first change sorted before what the session held). Target: p95 < 50 ms on PostgreSQL.

c. **Session list**: requests/s of ``GET /v1/tests/sessions?limit=20`` as a supervisor (bearer
   token checked on every request), with 3,000 sessions present (each with a ~1 KB results
   document, over 20 buildings and 90 days), against a bare Starlette handler
   (no FastAPI, no middleware, **no authentication**) running ``SELECT id, building_id, status,
   created_at FROM test_sessions ORDER BY created_at DESC, id DESC LIMIT 21`` on the raw driver
   (one aiosqlite connection; an asyncpg pool as large as the kit's) and answering the same JSON
   shape (``data`` plus a signed ``next_cursor``). Loaded with wrk (else the asyncio client),
   8 connections, kit and bare runs interleaved, median of the rounds. Target: kit ≥ 0.5× bare.

    .venv/bin/python bench/merge.py                # about two minutes
    .venv/bin/python bench/merge.py --quick        # about half a minute: PostgreSQL only, fewer
                                                   # levels (0 and 10k), shorter runs
    .venv/bin/python bench/merge.py --parts a      # some parts only (any of a, b, c)
    .venv/bin/python bench/merge.py --databases sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import copy
import hashlib
import hmac
import json
import logging
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, insert, literal, select, text, update
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from _common import (
    POSTGRES_DSN,
    BareSqlite,
    Comparison,
    Endpoint,
    Exchanges,
    LoadGenerator,
    Plan,
    RunResult,
    Server,
    add_serve_command,
    argument_parser,
    bare_database,
    bare_starlette,
    bearer,
    choose_load_generator,
    compare,
    comparison_plan,
    exchange_loop,
    http_request,
    kit_and_bare,
    log_in,
    machine,
    markdown_table,
    migrate,
    named_databases,
    postgres_answers,
    ratio_table,
    run_event_loop,
    scratch_database,
    serve_kit_or_bare,
    serving,
    set_up_accounts,
    status_counts,
    verdict,
    workspace,
)
from apikit import jsoncodec
from apikit.auth.dependencies import Principal
from apikit.db.bulk import insert_rows
from apikit.db.engine import Database
from apikit.ids import new_id, utcnow
from firemode.buildings.models import Building
from firemode.identity.models import User
from firemode.identity.roles import Role
from firemode.sessions.models import SessionParticipant, TestSession
from firemode.sessions.schemas import SessionStatus
from firemode.sessions.service import device_actor, insert_session_if_absent
from firemode.sync.documents import DocumentCache
from firemode.sync.engine import Change, MergeState, merge, parse_pointer
from firemode.sync.models import SessionChange
from firemode.sync.schemas import ChangeIn
from firemode.sync.service import ResultsService, SyncLimits, document_cache

TARGET_CHANGES_PER_SECOND = 50_000
TARGET_P95_MS = 50.0
TARGET_LIST_RATIO = 0.5  # kit rps ≥ 0.5 × bare rps, that is the kit costs at most 2× the bare handler
BATCH_SIZES = (100, 1000)
REBUILD_HELD = 10_000
REBUILD_SIZE = 100
REGROW_ALLOWANCE = 0.10  # a copy of a prefilled session is reused until it has grown by this much
DEVICES = 32
HTTP_BATCH = 100
LISTED_SESSIONS = 3000
LIST_PATH = "/v1/tests/sessions?limit=20"

# The changes: a session tests ASSETS assets, each with these fields; a device's change number n
# sets (or now and then deletes) one of them, so documents stay the size of a real session's.
FIELDS = ("result", "pressure_kpa", "checked_at", "notes", "tag")
ASSETS = 400
PREFILL_ACTORS = 8
# Prefilled and in-order changes count from here; a rebuild batch counts from 1, so it sorts first.
FIRST_COUNTER = 10_000


# ---------------------------------------------------------------------------------------------
# The changes


def change_fields(actor: str, counter: int) -> dict[str, Any]:
    """Change number ``counter`` of device ``actor``, as a device sends it (JSON-ready)."""
    asset, which = divmod(counter, len(FIELDS))
    name = FIELDS[which]
    path = f"/assets/EXT-{asset % ASSETS:03d}/{name}"
    if counter % 50 == 0:
        return {"op": "delete", "path": path, "actor": actor, "counter": counter}
    values: dict[str, Any] = {
        "result": "pass" if counter % 7 else "fail",
        "pressure_kpa": 1000 + counter % 400,
        "checked_at": f"2026-11-{1 + counter % 28:02d}T09:{counter % 60:02d}:00Z",
        "notes": f"gauge read by {actor}",
        "tag": f"T-{counter % 100_000:05d}",
    }
    return {"op": "set", "path": path, "value": values[name], "actor": actor, "counter": counter}


def changes_in(actor: str, first: int, count: int) -> list[ChangeIn]:
    """A batch as the service receives it: validated request models."""
    return [ChangeIn.model_validate(change_fields(actor, n)) for n in range(first, first + count)]


def engine_change(actor: str, counter: int, *, parsed: bool) -> Change:
    """One change as the engine sees it: a new one carries its parsed pointer (as the service stamps
    it), one read back from the log does not (as the service's history is read)."""
    fields = change_fields(actor, counter)
    tokens = parse_pointer(fields["path"]) if parsed else ()
    return Change(actor, counter, fields["op"], fields["path"], fields.get("value"), tokens)


def engine_batch(actor: str, first: int, count: int) -> list[Change]:
    return [engine_change(actor, n, parsed=True) for n in range(first, first + count)]


def prefill_changes(count: int) -> list[Change]:
    return [
        engine_change(f"device-{n % PREFILL_ACTORS}", n, parsed=False)
        for n in range(FIRST_COUNTER, FIRST_COUNTER + count)
    ]


def document_bytes(document: dict[str, Any]) -> int:
    return len(jsoncodec.dumps_bytes(document))


# ---------------------------------------------------------------------------------------------
# Part a: merge throughput in process


@dataclass(frozen=True)
class MergeCase:
    database: str
    held: int
    size: int
    path: str  # "in order" or "rebuild"
    service_seconds: list[float]
    engine_seconds: list[float]

    @property
    def service_ms(self) -> float:
        return statistics.median(self.service_seconds) * 1000

    @property
    def engine_ms(self) -> float:
        return statistics.median(self.engine_seconds) * 1000

    @property
    def service_rate(self) -> float:
        return self.size / statistics.median(self.service_seconds)

    @property
    def engine_rate(self) -> float:
        return self.size / statistics.median(self.engine_seconds)

    @property
    def meets_target(self) -> bool:
        return self.service_rate >= TARGET_CHANGES_PER_SECOND


@dataclass
class Template:
    """A prefilled session, and the engine's state and history for it."""

    session_id: uuid.UUID
    held: int
    state: MergeState
    history: list[Change]


@dataclass
class SessionCursor:
    """A session the timed batches go to, and the next in-order counter for it."""

    session_id: uuid.UUID
    held: int
    next_counter: int


async def create_owner(database: Database) -> Principal:
    """The technician whose sessions these are (a row only: part a needs no login)."""
    user_id = new_id()
    async with database.transactional() as session:
        unusable = "!"  # no login in part a: no hash needed
        session.add(
            User(id=user_id, email=f"{user_id}@bench.example.com", password_hash=unusable, role="technician")
        )
    return Principal(user_id=user_id, role=Role.TECHNICIAN)


async def prefill(database: Database, owner: Principal, held: int) -> Template:
    """A session holding ``held`` changes, written as ``ResultsService`` writes them."""
    history = prefill_changes(held)
    state = merge(MergeState({}, {device_actor(owner.user_id): 1}, None), history)
    assert state.last_key is not None
    session_id, now = new_id(), utcnow()
    rows = [
        {
            "session_id": session_id,
            "seq": seq,
            "actor": change.actor,
            "counter": change.counter,
            "op": change.op,
            "path": change.path,
            "value": change.value,
            "submitted_by": owner.user_id,
            "accepted_at": now,
        }
        for seq, change in enumerate(history, start=1)
    ]
    async with database.transactional() as session:
        await insert_session_if_absent(session, session_id, owner.user_id, status=SessionStatus.IN_PROGRESS)
        await insert_rows(session, cast(Table, SessionChange.__table__), rows)
        await session.execute(
            update(TestSession)
            .where(TestSession.id == session_id)
            .values(
                document=state.document,
                document_bytes=document_bytes(state.document),
                vector_clock=state.vector_clock,
                change_count=held,
                checkpoint=held,
                last_counter=state.last_key[0],
                last_actor=state.last_key[1],
                updated_at=now,
            )
        )
    return Template(session_id, held, state, history)


async def copy_session(database: Database, template: Template) -> SessionCursor:
    """A new session with the template's row, participants and change log (``INSERT … SELECT``)."""
    new = new_id()
    async with database.transactional() as session:
        for model, key in (
            (TestSession, "id"),
            (SessionParticipant, "session_id"),
            (SessionChange, "session_id"),
        ):
            table = model.__table__
            columns = [
                literal(new, table.c[key].type).label(key) if column.name == key else column
                for column in table.c
            ]
            source = select(*columns).where(table.c[key] == template.session_id)
            await session.execute(insert(table).from_select([column.name for column in table.c], source))
    return SessionCursor(new, template.held, FIRST_COUNTER + template.held)


async def empty_session(database: Database, owner: Principal, limits: SyncLimits) -> SessionCursor:
    """A new session holding nothing, created as a device's first (empty) sync creates it."""
    session_id = new_id()
    async with database.transactional() as session:
        await ResultsService(session, limits).submit(session_id, owner, [])
    return SessionCursor(session_id, 0, FIRST_COUNTER)


class SessionSupply:
    """Sessions holding about ``held`` changes for the timed batches."""

    def __init__(
        self, database: Database, owner: Principal, limits: SyncLimits, template: Template | None
    ) -> None:
        self.database, self.owner, self.limits, self.template = database, owner, limits, template
        self.current: SessionCursor | None = None

    async def take(self, size: int) -> SessionCursor:
        if self.template is None:
            return await empty_session(self.database, self.owner, self.limits)
        allowed = self.template.held * (1 + REGROW_ALLOWANCE)
        if self.current is None or self.current.held + size > allowed:
            self.current = await copy_session(self.database, self.template)
        return self.current


@dataclass(frozen=True)
class Merging:
    """What the app's in-process merge holds: the limits and the process's decoded documents."""

    limits: SyncLimits
    documents: DocumentCache


async def timed_submit(
    database: Database, merging: Merging, cursor: SessionCursor, owner: Principal, batch: list[ChangeIn]
) -> float:
    """One batch through the service, in its own unit of work, commit included."""
    started = time.perf_counter()
    async with database.transactional() as session:
        service = ResultsService(session, merging.limits, merging.documents)
        outcome = await service.submit(cursor.session_id, owner, batch)
    elapsed = time.perf_counter() - started
    if outcome.applied != len(batch):
        raise RuntimeError(f"expected {len(batch)} changes applied, got {outcome.applied}")
    cursor.held += len(batch)
    return elapsed


def time_engine(
    template: Template | None, batch: list[Change], repeats: int, *, rebuild: bool = False
) -> list[float]:
    """``merge`` alone on a copy of the session's state (copied outside the timing)."""
    timings = []
    for _ in range(repeats):
        if template is None:
            state = MergeState({}, {}, None)
        else:
            base = template.state
            state = MergeState(copy.deepcopy(base.document), dict(base.vector_clock), base.last_key)
        history = template.history if rebuild and template is not None else None
        started = time.perf_counter()
        merge(state, batch, history)
        timings.append(time.perf_counter() - started)
    return timings


async def in_process(
    name: str, url: str, levels: Sequence[int], batches: int, limits: SyncLimits
) -> list[MergeCase]:
    """Part a on one database: prefill, then time in-order batches and the rebuild batch."""
    await migrate(url)
    database = Database(url)
    merging = Merging(limits, document_cache(limits))
    try:
        owner = await create_owner(database)
        templates: dict[int, Template] = {}
        for held in sorted({*[level for level in levels if level], REBUILD_HELD}):
            started = time.perf_counter()
            templates[held] = await prefill(database, owner, held)
            elapsed = time.perf_counter() - started
            print(f"  {name}: prefilled a session with {held:,} changes in {elapsed:.1f} s")
        if database.dialect == "postgresql":
            async with database.transactional() as session:
                await session.execute(text("ANALYZE"))
        cases = []
        for held in levels:
            template = templates.get(held)
            for size in BATCH_SIZES:
                supply = SessionSupply(database, owner, limits, template)
                timings = []
                for index in range(batches + 1):  # the first batch warms up, untimed
                    cursor = await supply.take(size)
                    batch = changes_in("device-bench", cursor.next_counter, size)
                    cursor.next_counter += size
                    elapsed = await timed_submit(database, merging, cursor, owner, batch)
                    if index:
                        timings.append(elapsed)
                first = FIRST_COUNTER + held
                engine = time_engine(template, engine_batch("device-bench", first, size), max(batches, 5))
                case = MergeCase(name, held, size, "in order", timings, engine)
                cases.append(case)
                print(
                    f"  {name}: held {held:>7,}  batch {size:>5}  service {case.service_ms:8.1f} ms "
                    f"({case.service_rate:>9,.0f} changes/s)  engine {case.engine_ms:7.2f} ms"
                )
        cases.append(await rebuild_case(name, database, merging, owner, templates[REBUILD_HELD], batches))
        return cases
    finally:
        await database.dispose()


async def rebuild_case(
    name: str, database: Database, merging: Merging, owner: Principal, template: Template, batches: int
) -> MergeCase:
    """A batch whose first change sorts before everything held: the document is folded again."""
    timings = []
    for index in range(batches + 1):
        cursor = await copy_session(database, template)
        elapsed = await timed_submit(
            database, merging, cursor, owner, changes_in("device-early", 1, REBUILD_SIZE)
        )
        if index:
            timings.append(elapsed)
    engine = time_engine(
        template, engine_batch("device-early", 1, REBUILD_SIZE), max(batches, 5), rebuild=True
    )
    case = MergeCase(name, template.held, REBUILD_SIZE, "rebuild", timings, engine)
    print(
        f"  {name}: held {template.held:>7,}  batch {REBUILD_SIZE:>5}  REBUILD service "
        f"{case.service_ms:8.1f} ms ({case.service_rate:>9,.0f} changes/s)  engine {case.engine_ms:7.2f} ms"
    )
    return case


# ---------------------------------------------------------------------------------------------
# The apps for parts b and c (built inside the server subprocess)


LIST_SQL = (
    "SELECT id, building_id, status, created_at FROM test_sessions "
    "ORDER BY created_at DESC, id DESC LIMIT {limit}"
)


def build_bare_app(database_url: str, secret: bytes) -> Starlette:
    """Plain Starlette: the session list's keyset query on the raw driver, the same JSON shape.

    No authentication: the kit's side checks a bearer token, this one checks nothing.
    """
    rows = bare_database(database_url)
    sql = LIST_SQL.format(limit=rows.placeholder(1))
    on_sqlite = isinstance(rows, BareSqlite)
    key = hashlib.sha256(b"bench.cursor\x00" + secret).digest()

    def as_uuid(value: Any) -> str | None:
        if value is None:
            return None
        return str(uuid.UUID(hex=value)) if on_sqlite else str(value)

    def as_time(value: Any) -> str:
        moment = datetime.fromisoformat(value).replace(tzinfo=UTC) if on_sqlite else value
        return str(moment.isoformat()).replace("+00:00", "Z")

    def cursor_after(row: dict[str, Any]) -> str:
        body = json.dumps({"k": [row["created_at"], row["session_id"]]}, separators=(",", ":")).encode()
        signature = hmac.new(key, body, hashlib.sha256).digest()[:16]
        return f"{base64.urlsafe_b64encode(body).decode()}.{base64.urlsafe_b64encode(signature).decode()}"

    async def list_sessions(request: Request) -> JSONResponse:
        limit = min(int(request.query_params.get("limit", "20")), 100)
        found = await rows.fetch(sql, limit + 1)
        data = [
            {
                "session_id": as_uuid(row[0]),
                "building_id": as_uuid(row[1]),
                "status": row[2],
                "created_at": as_time(row[3]),
            }
            for row in found[:limit]
        ]
        next_cursor = cursor_after(data[-1]) if len(found) > limit else None
        return JSONResponse({"data": data, "next_cursor": next_cursor})

    return bare_starlette(rows, [Route("/v1/tests/sessions", list_sessions)])


# ---------------------------------------------------------------------------------------------
# Setting up a database for parts b and c


@dataclass(frozen=True)
class Accounts:
    technician: str  # email
    supervisor: str


async def set_up(settings_dir: Path, url: str) -> Accounts:
    """Schema, a technician (the devices) and a supervisor (the list), and the listed sessions."""
    accounts = Accounts("tech@bench.example.com", "supervisor@bench.example.com")
    technician, _ = await set_up_accounts(
        settings_dir, url, (accounts.technician, Role.TECHNICIAN), (accounts.supervisor, Role.SUPERVISOR)
    )
    await seed_sessions(Database(url), technician, LISTED_SESSIONS)
    return accounts


async def seed_sessions(database: Database, owner: uuid.UUID, count: int) -> None:
    """``count`` sessions over 20 buildings and 90 days, each with a small results document."""
    now = utcnow()
    buildings = [
        {
            "id": new_id(),
            "name": f"Bench building {number}",
            "address": f"{number} Bench St",
            "created_by": owner,
            "created_at": now,
            "updated_at": now,
        }
        for number in range(20)
    ]
    statuses = [status.value for status in SessionStatus]
    sessions, participants = [], []
    for number in range(count):
        session_id = new_id()
        created = now - timedelta(days=90) * (number / count) - timedelta(microseconds=number)
        document = {
            "assets": {f"EXT-{asset:03d}": {"result": "pass", "pressure_kpa": 1200} for asset in range(20)}
        }
        sessions.append(
            {
                "id": session_id,
                "building_id": buildings[number % len(buildings)]["id"] if number % 10 else None,
                "name": f"Bench session {number}",
                "status": statuses[number % len(statuses)],
                "created_by": owner,
                "document": document,
                "document_bytes": document_bytes(document),
                "vector_clock": {device_actor(owner): 1},
                "change_count": 0,
                "checkpoint": 0,
                "created_at": created,
                "updated_at": created,
            }
        )
        participants.append({"session_id": session_id, "user_id": owner, "added_at": created})
    try:
        async with database.transactional() as session:
            await session.execute(insert(Building), buildings)
            await session.execute(insert(TestSession), sessions)
            await session.execute(insert(SessionParticipant), participants)
            if database.dialect == "postgresql":
                await session.execute(text("ANALYZE"))
    finally:
        await database.dispose()


# ---------------------------------------------------------------------------------------------
# Part b: results over HTTP, 32 devices (the client side runs in its own process)


class Device:
    """One device on one keep-alive connection: its own actor, counters going up batch by batch,
    a fresh Idempotency-Key on every request. A failed batch is sent again (same changes, new key)."""

    def __init__(self, port: int, token: str, session_id: str, actor: str, counter: int) -> None:
        self.port, self.actor, self.counter = port, actor, counter
        self.path = f"/v1/tests/sessions/{session_id}/results"
        self.headers = (*bearer(token), ("Content-Type", "application/json"))
        self.applied = 0

    def next_request(self) -> bytes:
        changes = [change_fields(self.actor, n) for n in range(self.counter, self.counter + HTTP_BATCH)]
        body = json.dumps({"changes": changes}, separators=(",", ":")).encode()
        headers = (*self.headers, ("Idempotency-Key", uuid.uuid4().hex))
        return http_request("POST", self.path, self.port, headers, body)

    def answered(self, status: int, body: bytes) -> None:
        if status == 200:
            self.counter += HTTP_BATCH
            self.applied += json.loads(body)["applied"]


def drive_devices(
    port: int,
    token: str,
    session_ids: list[str],
    counters: list[int],
    seconds: float,
    max_requests: int,
    pace: float | None = None,
) -> tuple[Exchanges, int, list[int]]:
    """Run in the client process: ``len(counters)`` devices, device i on session i mod n, each
    sending back to back, or ``pace`` batches a second (an open loop, timed from when each batch
    was due).

    Returns what the run saw, the changes applied, and each device's next counter.
    """
    devices = [
        Device(port, token, session_ids[index % len(session_ids)], f"device-{index:02d}", counter)
        for index, counter in enumerate(counters)
    ]
    interval = None if pace is None else 1 / pace
    seen = run_event_loop(exchange_loop(port, devices, seconds, max_requests, interval=interval))
    return seen, sum(device.applied for device in devices), [device.counter for device in devices]


@dataclass(frozen=True)
class HttpRun:
    database: str
    layout: str
    pace: float | None  # batches a second per device; None: back to back
    result: RunResult
    statuses: dict[int, int]
    samples: dict[int, bytes]
    applied: int
    batches: int  # measured batches found in the change log
    rebuilt: int  # of which took the rebuild path
    held_before: int
    held_after: int

    @property
    def meets_target(self) -> bool:
        return self.result.p95_ms < TARGET_P95_MS and not self.result.errors

    @property
    def verdict(self) -> str:
        """The target is PostgreSQL's; SQLite's figures are context."""
        if self.database != "PostgreSQL":
            return "(context)"
        return "yes" if self.meets_target else "NO"


@dataclass
class LogBatch:
    accepted_at: datetime
    keys: list[tuple[int, str]] = field(default_factory=list)


async def read_batches(url: str, session_ids: list[str]) -> dict[str, list[LogBatch]]:
    """Each session's accepted batches, in arrival order (one ``accepted_at`` per batch)."""
    database = Database(url)
    ids = [uuid.UUID(session_id) for session_id in session_ids]
    statement = (
        select(
            SessionChange.session_id, SessionChange.accepted_at, SessionChange.counter, SessionChange.actor
        )
        .where(SessionChange.session_id.in_(ids))
        .order_by(SessionChange.session_id, SessionChange.seq)
    )
    batches: dict[str, list[LogBatch]] = {session_id: [] for session_id in session_ids}
    try:
        async with database.read_sessions() as session:
            for session_id, accepted_at, counter, actor in await session.execute(statement):
                log = batches[str(session_id)]
                if not log or log[-1].accepted_at != accepted_at:
                    log.append(LogBatch(accepted_at))
                log[-1].keys.append((counter, actor))
    finally:
        await database.dispose()
    return batches


def count_rebuilds(batches: dict[str, list[LogBatch]], since: datetime) -> tuple[int, int, int]:
    """``(measured batches, rebuilt, changes held)``: a batch was rebuilt when its first key sorted
    before the greatest key its session held (what ``ResultsService._apply`` tests)."""
    measured = rebuilt = held = 0
    for log in batches.values():
        greatest: tuple[int, str] | None = None
        for batch in log:
            held += len(batch.keys)
            if batch.accepted_at >= since:
                measured += 1
                rebuilt += greatest is not None and min(batch.keys) < greatest
            greatest = max(batch.keys) if greatest is None else max(greatest, *batch.keys)
    return measured, rebuilt, held


@dataclass(frozen=True)
class HttpPlan:
    seconds: float
    max_requests: int
    warmup_batches: int  # per device
    paces: tuple[float, ...]  # batches a second per device, for the open-loop runs (32 sessions)


def results_over_http(
    executor: ProcessPoolExecutor, name: str, url: str, kit: Server, token: str, plan: HttpPlan
) -> list[HttpRun]:
    """Part b on one server: the 32 devices on one session, then spread over 32 sessions, each
    sending back to back; then, spread, at each of the plan's paces."""
    runs = []
    layouts: list[tuple[str, int, float | None]] = [
        ("one session", 1, None),
        (f"{DEVICES} sessions", DEVICES, None),
    ]
    layouts += [(f"{DEVICES} sessions", DEVICES, pace) for pace in plan.paces]
    sessions: dict[int, tuple[list[str], list[int]]] = {}
    for layout, session_count, pace in layouts:
        if session_count not in sessions:
            session_ids = [str(uuid.uuid4()) for _ in range(session_count)]
            warm = executor.submit(
                drive_devices,
                kit.port,
                token,
                session_ids,
                [1] * DEVICES,
                30.0,
                DEVICES * plan.warmup_batches,
            )
            warmed, _, counters = warm.result(timeout=60)
            if warmed.errors:
                print(f"  warm-up answers: {dict(warmed.statuses)} (failed batches are sent again)")
            sessions[session_count] = (session_ids, counters)
        session_ids, counters = sessions[session_count]
        held_before = sum(counter - 1 for counter in counters)
        since = utcnow()
        measured = executor.submit(
            drive_devices, kit.port, token, session_ids, counters, plan.seconds, plan.max_requests, pace
        )
        seen, applied, counters = measured.result(timeout=plan.seconds + 60)
        sessions[session_count] = (session_ids, counters)
        batches, rebuilt, held_after = count_rebuilds(asyncio.run(read_batches(url, session_ids)), since)
        run = HttpRun(
            name,
            layout,
            pace,
            seen.result(),
            dict(seen.statuses),
            seen.samples,
            applied,
            batches,
            rebuilt,
            held_before,
            held_after,
        )
        runs.append(run)
        print(
            f"{name} results, {DEVICES} devices on {layout}, {offered(pace)}: {run.result.describe()}  "
            f"statuses {run.statuses}  rebuilt {rebuilt}/{batches}  held {held_before:,} → {held_after:,}"
        )
        for status, sample in run.samples.items():
            print(f"  {status}: {sample[:300]!r}")
    return runs


def offered(pace: float | None) -> str:
    if pace is None:
        return "back to back"
    return f"{pace:g}/s per device ({pace * DEVICES:g} req/s offered)"


# ---------------------------------------------------------------------------------------------
# Part c: the session list


def same_page(kit: bytes, bare: bytes) -> bool:
    """The same sessions in the same order and shape; each side signs its own cursor."""
    kit_page, bare_page = json.loads(kit), json.loads(bare)
    return bool(
        kit_page.keys() == bare_page.keys()
        and kit_page["data"] == bare_page["data"]
        and (kit_page["next_cursor"] is None) == (bare_page["next_cursor"] is None)
    )


def session_list(
    load: LoadGenerator, name: str, kit: Server, bare: Server, token: str, plan: Plan
) -> Comparison:
    return compare(
        load,
        (name, "GET " + LIST_PATH),
        (kit, Endpoint(LIST_PATH, bearer(token))),
        (bare, Endpoint(LIST_PATH)),
        plan,
        max_cost=1 / TARGET_LIST_RATIO,
        same=same_page,
    )


def over_http(
    parts: str,
    load: LoadGenerator,
    executor: ProcessPoolExecutor,
    name: str,
    data_dir: Path,
    plans: tuple[Plan, HttpPlan],
) -> tuple[list[Comparison], list[HttpRun]]:
    """Parts b and c on one fresh database: set up, start the kit and the bare app, measure."""
    list_plan, http_plan = plans
    data_dir.mkdir()
    with scratch_database(name, data_dir, "firemode") as url:
        accounts = asyncio.run(set_up(data_dir, url))
        with serving(kit_and_bare(__file__, data_dir, name, url)) as (kit, bare):
            comparisons = []
            if "c" in parts:
                token = log_in(kit.port, accounts.supervisor)
                comparisons.append(session_list(load, name, kit, bare, token, list_plan))
            runs = []
            if "b" in parts:
                token = log_in(kit.port, accounts.technician)
                runs = results_over_http(executor, name, url, kit, token, http_plan)
            return comparisons, runs


# ---------------------------------------------------------------------------------------------
# The figures


def merge_table(cases: Sequence[MergeCase]) -> str:
    header = (
        "| database | held | batch | path | service ms/batch | service changes/s | engine ms/batch "
        f"| engine changes/s | ≥ {TARGET_CHANGES_PER_SECOND:,}/s |"
    )
    return markdown_table(
        header,
        (
            f"| {case.database} | {case.held:,} | {case.size:,} | {case.path} | {case.service_ms:.1f} "
            f"| {case.service_rate:,.0f} | {case.engine_ms:.2f} | {case.engine_rate:,.0f} "
            f"| {verdict(case.meets_target) if case.path == 'in order' else '(reference)'} |"
            for case in cases
        ),
    )


def http_table(runs: Sequence[HttpRun]) -> str:
    header = (
        "| database | devices on | sending | requests | req/s | changes/s | p50 ms | p95 ms | statuses "
        f"| rebuilt batches | changes held (start → end) | p95 < {TARGET_P95_MS:.0f} ms |"
    )
    return markdown_table(
        header,
        (
            f"| {run.database} | {run.layout} | {offered(run.pace)} "
            f"| {run.result.requests} | {run.result.rps:.1f} "
            f"| {run.applied / run.result.seconds:,.0f} | {run.result.p50_ms:.1f} | {run.result.p95_ms:.1f} "
            f"| {status_counts(run.statuses)} | {run.rebuilt}/{run.batches} "
            f"| {run.held_before:,} → {run.held_after:,} | {run.verdict} |"
            for run in runs
        ),
    )


# ---------------------------------------------------------------------------------------------
# Command line


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argument_parser(__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer levels and shorter runs: a smoke test")
    parser.add_argument("--parts", default="abc", help="which parts to run: any of a, b, c (default abc)")
    parser.add_argument("--load-generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--databases",
        help="comma-separated, of sqlite and postgresql (default both; with --quick, PostgreSQL only "
        "when it answers, else SQLite)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only (--databases=sqlite)")
    parser.add_argument(
        "--no-document-cache",
        action="store_true",
        help="part a without the process's decoded documents (as before they were kept)",
    )
    add_serve_command(parser, ["kit", "bare"])
    return parser.parse_args(argv)


def databases(args: argparse.Namespace) -> list[str]:
    """The databases to run on, PostgreSQL only when it answers."""
    if args.no_postgres:
        wanted = ["SQLite"]
    elif args.databases:
        wanted = named_databases(args.databases)
    else:
        wanted = ["PostgreSQL"] if args.quick else ["SQLite", "PostgreSQL"]
    if "PostgreSQL" in wanted and not asyncio.run(postgres_answers()):
        print(f"PostgreSQL: nothing answers at {POSTGRES_DSN}; SQLite instead")
        wanted = ["SQLite"]
    return wanted


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if args.command == "serve":
        serve_kit_or_bare(build_bare_app, args.kind, args.port, args.data_dir, args.database_url)
        return 0

    logging.disable(logging.INFO)  # the setup's migration and audit lines (servers log to files)
    quick = args.quick
    levels = (0, 10_000) if quick else (0, 10_000, 100_000)
    batches = 2 if quick else 5
    list_plan = comparison_plan(quick)
    http_plan = HttpPlan(
        seconds=2 if quick else 8, max_requests=5000, warmup_batches=1, paces=(2,) if quick else (1, 2, 3)
    )
    names = databases(args)
    # The app's defaults; without the cache, every batch decodes its session's document again.
    limits = SyncLimits(cached_documents=0) if args.no_document_cache else SyncLimits()
    cases: list[MergeCase] = []
    comparisons: list[Comparison] = []
    runs: list[HttpRun] = []
    with workspace("bench-merge-") as (tmp, executor):
        load = choose_load_generator(args.load_generator, tmp, executor)
        cache = "off" if args.no_document_cache else "on"
        print(f"merge: {', '.join(names)}; {machine()}; list load from {load.name}; document cache {cache}")
        for name in names:
            if "a" in args.parts:
                print(f"part a, {name}: levels {levels}, {batches} timed batches per case")
                with scratch_database(name, tmp, "merge") as url:
                    cases += asyncio.run(in_process(name, url, levels, batches, limits))
            if "b" in args.parts or "c" in args.parts:
                more = over_http(args.parts, load, executor, name, tmp / name, (list_plan, http_plan))
                comparisons += more[0]
                runs += more[1]

    for title, table, shown in (
        ("a. merge throughput in process", merge_table(cases), cases),
        ("b. POST …/results, 100-change batches", http_table(runs), runs),
        (
            "c. GET /v1/tests/sessions?limit=20",
            ratio_table(comparisons, TARGET_LIST_RATIO, endpoints=False),
            comparisons,
        ),
    ):
        if shown:
            print(f"\n{title}\n\n{table}")
    return exit_status(comparisons, runs)


def exit_status(comparisons: Sequence[Comparison], runs: Sequence[HttpRun]) -> int:
    """1 when a request failed in a way the app should never answer: a list request that failed,
    or a results batch answered with anything but 200 or 503 (a database too busy to answer in
    time, which SQLite's single writer produces under 32 devices: reported in the table)."""
    failed_lists = sum(c.errors for c in comparisons)
    unexpected = {
        status: count for run in runs for status, count in run.statuses.items() if status not in (200, 503)
    }
    busy = sum(run.statuses.get(503, 0) for run in runs)
    if busy:
        print(f"\nnote: {busy} results batch(es) answered 503 (the database did not answer in time)")
    if failed_lists or unexpected:
        print(f"\nerror: {failed_lists} failed list request(s); unexpected results statuses {unexpected}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
