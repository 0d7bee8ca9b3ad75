"""What the benchmark scripts share: servers in subprocesses, load generators, the figures.

Not a benchmark itself (``make bench`` runs ``bench/[!_]*.py``). The scripts import it as
``_common`` (their own directory is first on ``sys.path``), and so do their load-generating
subprocesses (``spawn`` hands them the same ``sys.path``).

* Figures: :class:`Plan` (how long and how hard one run loads a server), :class:`RunResult` (what
  one run measured), :class:`Comparison` (interleaved runs of a measured side and a reference).
* Servers: :func:`start_server` (on :func:`launch`) starts ``<script> serve <kind> …`` on a free
  127.0.0.1 port, with its output in a log file; :func:`serving` waits until they answer
  ``/health`` and stops them afterwards; :func:`serve_app` is what the subprocess runs (uvicorn,
  one worker), and :func:`serve_kit_or_bare` picks FireMode or a script's bare app for it.
  :func:`bare_starlette` wraps a script's bare handlers (``/health``, the raw driver's lifetime).
  :func:`serve_service` starts a service as an operator does instead: its own ``serve`` command,
  configured by environment variables, with as many workers as asked.
* Command line and figures: :func:`argument_parser` and :func:`add_serve_command` (the internal
  ``serve`` every script has), :func:`comparison_plan`, :func:`choose_databases`,
  :func:`workspace` (the run's temporary directory and load process), :func:`markdown_table`,
  :func:`ratio_table` and the cells the scripts' own tables share.
* Load: ``wrk`` (:class:`WrkLoad`) or a small asyncio keep-alive HTTP/1.1 client
  (:class:`PythonLoad`, :func:`exchange_loop`), always bounded in requests and in seconds.
* Databases: whether PostgreSQL answers, scratch databases (``bench_<hex>``, dropped afterwards),
  and the raw drivers (aiosqlite, asyncpg) that the bare reference handlers use.
* FireMode set-up: settings, the schema and accounts (:func:`set_up_accounts`), logins; the
  settings of an app driven in process (:func:`in_process_settings`, FireMode's or Alloy's).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import http.client
import itertools
import json
import math
import multiprocessing
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import aiosqlite
import asyncpg
import uvicorn
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from apikit import migrations
from apikit.db.engine import Database
from firemode.identity.roles import Role
from firemode.identity.service import UserService
from firemode.main import create_firemode_app
from firemode.settings import FireModeSettings

HOST = "127.0.0.1"
POSTGRES_DSN = "postgresql://postgres@127.0.0.1:5432/test"
HEALTH_PATH = "/health"
POOL_SIZE = 10  # the kit's default database_pool_size; bare asyncpg pools get as many
MAX_RATE = 100_000  # requests per second per run before its request cap stops it (far above uvicorn)
REQUEST_TIMEOUT_SECONDS = 5
READY_TIMEOUT_SECONDS = 180.0  # a guard against a hang: on a busy shared machine a start-up takes 30-120 s
RESULT_MARKER = "BENCH_RESULT "

T = TypeVar("T")
S = TypeVar("S")


# ---------------------------------------------------------------------------------------------
# What is measured, and the figures


@dataclass(frozen=True)
class Plan:
    rounds: int
    seconds: int  # per run; wrk takes whole seconds
    connections: int
    warmup_requests: int
    warmup_seconds: float

    @property
    def max_requests(self) -> int:
        return self.seconds * MAX_RATE


@dataclass(frozen=True)
class Endpoint:
    """A GET path and the headers each request carries (a bearer token, say)."""

    path: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RunResult:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def describe(self) -> str:
        return f"{self.rps:8.0f} rps  p50 {self.p50_ms:6.2f} ms  p95 {self.p95_ms:6.2f} ms"


@dataclass(frozen=True)
class Comparison:
    """Interleaved runs of the measured side (``kit``) and its reference (``bare``).

    ``max_cost`` is the target: the measured side may cost at most that many times the reference,
    that is ``bare rps / kit rps ≤ max_cost``.
    """

    database: str
    endpoint: str
    kit: list[RunResult]
    bare: list[RunResult]
    max_cost: float

    @property
    def kit_rps(self) -> float:
        return statistics.median(run.rps for run in self.kit)

    @property
    def bare_rps(self) -> float:
        return statistics.median(run.rps for run in self.bare)

    @property
    def cost(self) -> float:
        """How many times the reference's cost the measured side's is: bare rps / kit rps."""
        return self.bare_rps / self.kit_rps

    @property
    def ratio(self) -> float:
        """The other way round: kit rps / bare rps."""
        return self.kit_rps / self.bare_rps

    @property
    def p95_ratio(self) -> float:
        return median_of(self.kit, "p95_ms") / median_of(self.bare, "p95_ms")

    @property
    def meets_target(self) -> bool:
        return self.cost <= self.max_cost

    @property
    def errors(self) -> int:
        return sum(run.errors for run in [*self.kit, *self.bare])

    def capped(self, plan: Plan) -> int:
        return sum(run.requests >= plan.max_requests for run in [*self.kit, *self.bare])


def median_of(runs: Sequence[RunResult], field_name: str) -> float:
    return statistics.median(getattr(run, field_name) for run in runs)


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted sequence."""
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


# ---------------------------------------------------------------------------------------------
# Databases


def checked_identifier(name: str) -> str:
    if not name.isidentifier():
        raise ValueError(f"not a plain identifier: {name!r}")
    return name


async def postgres_answers(dsn: str = POSTGRES_DSN) -> bool:
    try:
        connection = await asyncpg.connect(dsn, timeout=2)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False
    await connection.close()
    return True


async def _postgres_admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_DSN, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def scratch_postgres_database() -> Iterator[str]:
    """A new database ``bench_<hex>`` (created from ``test``), dropped again whatever happens.

    Yields the kit's URL for it (``postgresql+asyncpg://…``).
    """
    name = f"bench_{secrets.token_hex(4)}"
    asyncio.run(_postgres_admin(f"CREATE DATABASE {checked_identifier(name)}"))
    try:
        yield (
            make_url(POSTGRES_DSN)
            .set(drivername="postgresql+asyncpg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        asyncio.run(_postgres_admin(f"DROP DATABASE IF EXISTS {checked_identifier(name)} WITH (FORCE)"))


@contextmanager
def scratch_database(kind: str, data_dir: Path, tag: str) -> Iterator[str]:
    """An empty database of ``kind`` ("SQLite" or "PostgreSQL") for one part of a run: a file in
    ``data_dir`` (a temporary directory), or a scratch PostgreSQL database dropped afterwards."""
    if kind == "SQLite":
        yield f"sqlite+aiosqlite:///{data_dir / f'{tag}.sqlite3'}"
        return
    with scratch_postgres_database() as url:
        yield url


class BareDatabase(Protocol):
    """The raw driver a bare reference handler runs its SQL on."""

    def placeholder(self, number: int) -> str: ...

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]: ...


class BareSqlite:
    """One aiosqlite connection for the server's lifetime (aiosqlite runs its calls in turn)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.connection: aiosqlite.Connection | None = None

    def placeholder(self, number: int) -> str:
        return "?"

    async def open(self) -> None:
        self.connection = await aiosqlite.connect(self.path)

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        assert self.connection is not None
        async with self.connection.execute(sql, args) as cursor:
            return list(await cursor.fetchall())


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """asyncpg's default reset on release is a round trip; a bare handler leaves no state behind."""


class BarePostgres:
    """An asyncpg pool as large as the kit's, without the per-release reset query."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.pool: asyncpg.Pool | None = None

    def placeholder(self, number: int) -> str:
        return f"${number}"

    async def open(self) -> None:
        self.pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=POOL_SIZE, reset=_keep_session)

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        assert self.pool is not None
        return list(await self.pool.fetch(sql, *args))


def bare_database(kit_url: str) -> BareDatabase:
    """The raw driver for the database behind one of the kit's URLs."""
    url = make_url(kit_url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        return BareSqlite(url.database)
    return BarePostgres(url.set(drivername="postgresql").render_as_string(hide_password=False))


async def bare_health(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def bare_starlette(rows: BareDatabase, routes: Sequence[Route]) -> Starlette:
    """A bare reference app: plain Starlette, ``/health`` and ``routes``, with ``rows`` (its raw
    driver) open for the app's lifetime."""

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await rows.open()
        try:
            yield
        finally:
            await rows.close()

    return Starlette(routes=[Route(HEALTH_PATH, bare_health), *routes], lifespan=lifespan)


# ---------------------------------------------------------------------------------------------
# Running the servers


@dataclass(frozen=True)
class Server:
    kind: str  # what the script calls it: "kit", "bare" …
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    ready_path: str = HEALTH_PATH  # what answers 200 once it serves (a peer may have no /health)

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"


def serve_app(app: Any, port: int) -> None:
    """The server subprocess: one uvicorn worker, configured like ``firemode serve``."""
    uvicorn.run(
        app,
        host=HOST,
        port=port,
        workers=1,
        log_level="warning",
        access_log=False,
        log_config=None,
        server_header=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def http_get(port: int, path: str, headers: Mapping[str, str] | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_SECONDS)
    try:
        connection.request("GET", path, headers=dict(headers or {}))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def http_post(port: int, path: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]:
    """One POST on a connection of its own, with time for a slow answer (a login, a first batch)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("POST", path, body, dict(headers))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def server_environment() -> dict[str, str]:
    """This shell's environment without FIREMODE_* settings, so every run configures the same app."""
    return {name: value for name, value in os.environ.items() if not name.startswith("FIREMODE_")}


def log_tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_until_ready(server: Server) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            code = server.process.returncode
            raise RuntimeError(f"{server.kind} server exited with {code}:\n{log_tail(server.log_path)}")
        try:
            if http_get(server.port, server.ready_path)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"{server.kind} server did not answer within {READY_TIMEOUT_SECONDS:.0f} s:\n"
        + log_tail(server.log_path)
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def serve_service(
    service: str, workers: int, settings: Mapping[str, str], log_path: Path, kind: str | None = None
) -> Server:
    """``<service> serve --workers <workers>`` (the installed command: ``firemode`` or ``alloy``) on a
    free 127.0.0.1 port, configured by ``settings`` (variables without the service's prefix, e.g.
    ``{"DATABASE_URL": …}``) and nothing else of this shell's, its output in ``log_path``."""
    port = free_port()
    prefix = f"{service.upper()}_"
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("FIREMODE_", "ALLOY_"))
    }
    environment.update({prefix + name: value for name, value in settings.items()})
    command = [
        str(Path(sys.executable).with_name(service)),
        "serve",
        f"--port={port}",
        f"--workers={workers}",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
    return Server(kind or f"{service} ({workers} workers)", port, process, log_path)


def launch(script: str, kind: str, arguments: Sequence[str], log_path: Path) -> Server:
    """``python <script> serve <kind> --port=<free port> <arguments…>``, output to ``log_path``."""
    port = free_port()
    command = [sys.executable, str(Path(script).resolve()), "serve", kind, f"--port={port}", *arguments]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=server_environment())
    return Server(kind, port, process, log_path)


def start_server(
    script: str, kind: str, data_dir: Path, name: str, database_url: str, *arguments: str
) -> Server:
    """``<script> serve <kind>`` on the database at ``database_url``, with its settings and secrets in
    ``data_dir`` and its output in ``<kind>-<name>.log`` there (``name``: the database's, say)."""
    arguments = (f"--data-dir={data_dir}", f"--database-url={database_url}", *arguments)
    return launch(script, kind, arguments, data_dir / f"{kind}-{name.lower()}.log")


def kit_and_bare(
    script: str, data_dir: Path, name: str, database_url: str, *arguments: str
) -> list[Callable[[], Server]]:
    """What :func:`serving` starts for a comparison: the script's kit server and its bare one,
    both on the same database (see :func:`start_server`)."""
    return [
        functools.partial(start_server, script, kind, data_dir, name, database_url, *arguments)
        for kind in ("kit", "bare")
    ]


def serve_kit_or_bare(
    build_bare_app: Callable[[str, bytes], Any], kind: str, port: int, data_dir: Path, database_url: str
) -> None:
    """The server subprocess: the real FireMode app (``kind`` "kit"), or the script's bare handlers,
    built from the database URL and the same secret key FireMode signs its cursors with."""
    settings = firemode_settings(data_dir, database_url)
    app = (
        create_firemode_app(settings)
        if kind == "kit"
        else build_bare_app(database_url, settings.secret("secret_key"))
    )
    serve_app(app, port)


@contextmanager
def serving(starters: Sequence[Callable[[], Server]]) -> Iterator[list[Server]]:
    """Start every server (each takes seconds to import, so all at once), wait until each answers
    its ``ready_path`` (``/health``), and stop them all afterwards, whatever happens."""
    servers: list[Server] = []
    try:
        for start in starters:
            servers.append(start())
        for server in servers:
            wait_until_ready(server)
        yield servers
    finally:
        for server in servers:
            stop(server.process)


# ---------------------------------------------------------------------------------------------
# Load generation


class LoadGenerator(Protocol):
    name: str

    def run(self, server: Server, endpoint: Endpoint, plan: Plan) -> RunResult: ...


WRK_SCRIPT = """\
-- Written by a bench/ script: stop at a request cap, report the figures as one JSON line.
local limit = __LIMIT__
local count = 0

function response(status, headers, body)
  count = count + 1
  if count >= limit then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '__MARKER__{"requests": %d, "duration_us": %d, "p50_us": %.1f, "p95_us": %.1f, "errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


class WrkLoad:
    """``wrk`` with one thread; a Lua hook caps the requests and reports p50/p95 as JSON.

    wrk counts any status ≥ 400 as an error (``errors.status``), so a failing run is reported.
    """

    name = "wrk"

    def __init__(self, workdir: Path) -> None:
        self.script = workdir / "bench_report.lua"

    def run(self, server: Server, endpoint: Endpoint, plan: Plan) -> RunResult:
        lua = WRK_SCRIPT.replace("__LIMIT__", str(plan.max_requests)).replace("__MARKER__", RESULT_MARKER)
        self.script.write_text(lua)
        headers = [f"--header={name}: {value}" for name, value in endpoint.headers]
        command = [
            "wrk",
            "--threads=1",
            f"--connections={plan.connections}",
            f"--duration={plan.seconds}s",
            f"--timeout={REQUEST_TIMEOUT_SECONDS}s",
            f"--script={self.script}",
            *headers,
            server.url(endpoint.path),
        ]
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=plan.seconds + 30, check=True
        )
        line = next(line for line in completed.stdout.splitlines() if line.startswith(RESULT_MARKER))
        figures = json.loads(line.removeprefix(RESULT_MARKER))
        return RunResult(
            requests=figures["requests"],
            seconds=figures["duration_us"] / 1e6,
            p50_ms=figures["p50_us"] / 1000,
            p95_ms=figures["p95_us"] / 1000,
            errors=figures["errors"],
        )


class PythonLoad:
    """The fallback: an asyncio keep-alive client in a separate process (see :func:`python_load`)."""

    name = "python asyncio client"

    def __init__(self, executor: ProcessPoolExecutor) -> None:
        self.executor = executor

    def run(self, server: Server, endpoint: Endpoint, plan: Plan) -> RunResult:
        future = self.executor.submit(
            python_load, server.port, endpoint, plan.seconds, plan.connections, plan.max_requests
        )
        return future.result(timeout=plan.seconds + 30)


def choose_load_generator(choice: str, workdir: Path, executor: ProcessPoolExecutor) -> LoadGenerator:
    if choice == "wrk" or (choice == "auto" and shutil.which("wrk")):
        return WrkLoad(workdir)
    if choice == "auto":
        print("wrk is not installed (apt-get install wrk); falling back to the Python client")
    return PythonLoad(executor)


def run_event_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop  # optional: uvicorn[standard] brings it
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def http_request(
    method: str,
    path: str,
    port: int,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
) -> bytes:
    """One HTTP/1.1 request, ready to write on a keep-alive connection."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if body or method != "GET":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Conversation(Protocol):
    """What one keep-alive connection says: the next request, and what it makes of each answer."""

    def next_request(self) -> bytes: ...

    def answered(self, status: int, body: bytes) -> None: ...


class Repeat:
    """The same request again and again (a GET, or a login with one body)."""

    def __init__(self, request: bytes) -> None:
        self.request = request

    def next_request(self) -> bytes:
        return self.request

    def answered(self, status: int, body: bytes) -> None:
        pass


class Budget:
    """The requests a run may still send, shared by its connections (one event loop, no locks)."""

    def __init__(self, requests: int) -> None:
        self.remaining = requests

    def take(self) -> bool:
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True


@dataclass
class Exchanges:
    """Everything one bounded run saw: each request's latency and each answer's status."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0
    samples: dict[int, bytes] = field(default_factory=dict)  # the first body of each failing status

    @property
    def errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 400)

    def result(self) -> RunResult:
        if not self.latencies:
            raise RuntimeError("no answer within the run")
        ordered = sorted(self.latencies)
        return RunResult(
            requests=len(ordered),
            seconds=self.seconds,
            p50_ms=percentile(ordered, 0.50) * 1000,
            p95_ms=percentile(ordered, 0.95) * 1000,
            errors=self.errors,
        )


async def exchange_loop(
    port: int,
    conversations: Sequence[Conversation],
    seconds: float,
    max_requests: int,
    *,
    interval: float | None = None,
) -> Exchanges:
    """Each conversation on a keep-alive connection of its own, until ``seconds`` pass or
    ``max_requests`` have been sent in all; requests in flight at the deadline are awaited.

    Without ``interval`` each conversation sends its next request as soon as the last is answered
    (a closed loop: the server's pace sets the load). With it, each sends one request every
    ``interval`` seconds, the conversations' schedules spread evenly over the interval (an open
    loop: the load is offered whatever the server does). A request sent late, because the one
    before it was answered late, is timed from when it was due, so a slow server is not excused
    by the requests it held back (no coordinated omission)."""
    budget = Budget(max_requests)
    seen = Exchanges()
    started = time.perf_counter()
    deadline = started + seconds
    schedules: list[Iterator[float] | None] = [None] * len(conversations)
    if interval is not None:
        step = interval / len(conversations)
        schedules = [itertools.count(started + index * step, interval) for index in range(len(conversations))]
    async with asyncio.timeout(seconds + REQUEST_TIMEOUT_SECONDS * 2):
        await asyncio.gather(
            *(
                keep_alive_loop(port, talk, deadline, budget, seen, schedule)
                for talk, schedule in zip(conversations, schedules, strict=True)
            )
        )
    seen.seconds = time.perf_counter() - started
    return seen


async def keep_alive_loop(
    port: int,
    conversation: Conversation,
    deadline: float,
    budget: Budget,
    seen: Exchanges,
    schedule: Iterator[float] | None = None,
) -> None:
    """One connection sending a request, reading the whole answer, and again (when ``schedule``
    gives the times the requests are due: each at its time, or at once if that has passed)."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while time.perf_counter() < deadline:
            due = None if schedule is None else next(schedule)
            if due is not None:
                if due >= deadline:
                    break
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            if not budget.take():
                break
            request = conversation.next_request()  # built before the clock starts
            sent = time.perf_counter()
            writer.write(request)
            status, length = parse_head(await reader.readuntil(b"\r\n\r\n"))
            body = await reader.readexactly(length)
            seen.latencies.append(time.perf_counter() - (sent if due is None else min(due, sent)))
            seen.statuses[status] += 1
            if status >= 400:
                seen.samples.setdefault(status, body[:500])
            conversation.answered(status, body)
    finally:
        writer.close()


def parse_head(head: bytes) -> tuple[int, int]:
    """Status and Content-Length of a response head (the apps here always send a length)."""
    status_line, *header_lines = head.split(b"\r\n")
    for line in header_lines:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(status_line.split()[1]), int(value)
    raise ValueError("response without Content-Length")


def python_load(
    port: int, endpoint: Endpoint, seconds: float, connections: int, max_requests: int
) -> RunResult:
    """Keep-alive GETs over ``connections`` connections until ``seconds`` pass or the cap is hit."""
    return run_event_loop(load_loop(port, endpoint, seconds, connections, max_requests))


async def load_loop(
    port: int, endpoint: Endpoint, seconds: float, connections: int, max_requests: int
) -> RunResult:
    request = http_request("GET", endpoint.path, port, endpoint.headers)
    conversations = [Repeat(request) for _ in range(connections)]
    return (await exchange_loop(port, conversations, seconds, max_requests)).result()


def warm_up(server: Server, endpoint: Endpoint, plan: Plan) -> None:
    """Untimed requests first: lazy imports, SQLAlchemy's statement cache, pool connections."""
    result = run_event_loop(
        load_loop(server.port, endpoint, plan.warmup_seconds, plan.connections, plan.warmup_requests)
    )
    if result.errors:
        raise RuntimeError(f"{server.kind} {endpoint.path}: {result.errors} errors while warming up")


# ---------------------------------------------------------------------------------------------
# The comparison


SameAnswer = Callable[[bytes, bytes], bool]


def check_same_answer(
    kit: tuple[Server, Endpoint], bare: tuple[Server, Endpoint], same: SameAnswer | None = None
) -> None:
    """Both sides answer 200, with the same body (or bodies that ``same`` accepts)."""
    (kit_server, kit_endpoint), (bare_server, bare_endpoint) = kit, bare
    kit_answer = http_get(kit_server.port, kit_endpoint.path, dict(kit_endpoint.headers))
    bare_answer = http_get(bare_server.port, bare_endpoint.path, dict(bare_endpoint.headers))
    if kit_answer[0] != 200 or bare_answer[0] != 200:
        raise RuntimeError(f"{kit_endpoint.path}: kit answered {kit_answer}, bare answered {bare_answer}")
    if not (same or bytes.__eq__)(kit_answer[1], bare_answer[1]):
        print(f"  note: bodies differ: kit {kit_answer[1][:300]!r}, bare {bare_answer[1][:300]!r}")


def compare(
    load: LoadGenerator,
    label: tuple[str, str],
    kit: tuple[Server, Endpoint],
    bare: tuple[Server, Endpoint],
    plan: Plan,
    max_cost: float,
    same: SameAnswer | None = None,
) -> Comparison:
    """Warm both up, then alternate them round by round: kit bare, bare kit, kit bare, …

    ``label`` is ``(database, endpoint)`` as the summary names them; each side is a server and the
    endpoint loaded on it (both sides may be one server, two routes). ``same`` judges whether the
    two answers agree, when byte equality is too strict (a signed cursor, say).
    """
    check_same_answer(kit, bare, same)
    warm_up(*kit, plan)
    warm_up(*bare, plan)
    runs: dict[str, list[RunResult]] = {"kit": [], "bare": []}
    sides = {"kit": kit, "bare": bare}
    print(f"{label[0]} {label[1]}")
    for round_index in range(plan.rounds):
        order = ("kit", "bare") if round_index % 2 == 0 else ("bare", "kit")
        for side in order:
            server, endpoint = sides[side]
            result = load.run(server, endpoint, plan)
            runs[side].append(result)
            print(f"  round {round_index + 1}/{plan.rounds}  {side:<4}  {result.describe()}")
    comparison = Comparison(label[0], label[1], kit=runs["kit"], bare=runs["bare"], max_cost=max_cost)
    print(
        f"  median: kit {comparison.kit_rps:.0f} rps, bare {comparison.bare_rps:.0f} rps; "
        f"kit costs {comparison.cost:.2f}× the bare side, p95 ×{comparison.p95_ratio:.2f}"
    )
    return comparison


def machine() -> str:
    """CPUs, model and load average (the machine is shared), for the header of a run."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{os.cpu_count()} CPUs, {model}, Python {sys.version.split()[0]}, load average {load}"


# ---------------------------------------------------------------------------------------------
# The command line, the run's scratch space and the tables


def argument_parser(description: str | None) -> argparse.ArgumentParser:
    """A script's parser; its ``--help`` shows its docstring as written."""
    return argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def add_serve_command(parser: argparse.ArgumentParser, kinds: Sequence[str]) -> argparse.ArgumentParser:
    """The internal ``serve <kind> --port --data-dir --database-url`` that :func:`start_server`
    runs; returned, so a script can add what its servers need besides."""
    commands = parser.add_subparsers(dest="command")
    server = commands.add_parser("serve", help="internal: a server subprocess")
    server.add_argument("kind", choices=list(kinds))
    server.add_argument("--port", type=int, required=True)
    server.add_argument("--data-dir", type=Path, required=True)
    server.add_argument("--database-url", required=True)
    return server


def comparison_plan(quick: bool, connections: int = 8, warmup_requests: int = 2000) -> Plan:
    """Four rounds of two-second runs, or with ``quick`` one round of one second (a smoke test)."""
    return Plan(
        rounds=1 if quick else 4,
        seconds=1 if quick else 2,
        connections=connections,
        warmup_requests=300 if quick else warmup_requests,
        warmup_seconds=0.5 if quick else 2.0,
    )


def choose_databases(choice: str, quick: bool) -> list[str]:
    """``--databases both|sqlite|postgresql``: SQLite alone when asked, or when ``quick`` leaves the
    choice at both; PostgreSQL only when it answers (else SQLite)."""
    if choice == "sqlite" or (quick and choice == "both"):
        return ["SQLite"]
    wanted = ["PostgreSQL"] if choice == "postgresql" else ["SQLite", "PostgreSQL"]
    if not asyncio.run(postgres_answers()):
        print(f"PostgreSQL: nothing answers at {POSTGRES_DSN}; SQLite only")
        return ["SQLite"]
    return wanted


def named_databases(names: str) -> list[str]:
    """A comma-separated ``--databases`` list (of sqlite and postgresql), as the tables name them."""
    known = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    return [known[name.strip().lower()] for name in names.split(",")]


@contextmanager
def workspace(prefix: str) -> Iterator[tuple[Path, ProcessPoolExecutor]]:
    """A temporary directory for the run (databases, logs, files), and one spawned worker process
    for the load generator, both gone afterwards."""
    spawn = multiprocessing.get_context("spawn")
    with (
        tempfile.TemporaryDirectory(prefix=prefix) as tmp,
        ProcessPoolExecutor(max_workers=1, mp_context=spawn) as executor,
    ):
        yield Path(tmp), executor


def markdown_table(header: str, rows: Iterable[str]) -> str:
    """A header line (``| a | b |``), its separator, and the rows."""
    return "\n".join([header, "|" + "---|" * (header.count("|") - 1), *rows])


def latency_cells(comparison: Comparison, decimals: int = 2) -> str:
    """Kit p50, bare p50, kit p95, bare p95 (medians over the runs, ms) as table cells."""
    return " | ".join(
        f"{median_of(side, f'{quantile}_ms'):.{decimals}f}"
        for quantile in ("p50", "p95")
        for side in (comparison.kit, comparison.bare)
    )


def ratio_table(comparisons: Sequence[Comparison], target_ratio: float, *, endpoints: bool = True) -> str:
    """Kit against bare per comparison, kit/bare rps judged against ``kit ≥ target_ratio × bare``;
    with ``endpoints``, a column naming the endpoint (leave it out when there is only one)."""
    header = (
        f"| database | {'endpoint | ' if endpoints else ''}kit rps | bare rps | kit/bare | kit p50 ms "
        f"| bare p50 ms | kit p95 ms | bare p95 ms | ≥ {target_ratio}× |"
    )
    return markdown_table(
        header,
        (
            f"| {c.database} | {f'{c.endpoint} | ' if endpoints else ''}{c.kit_rps:.0f} | {c.bare_rps:.0f} "
            f"| {c.ratio:.2f}× | {latency_cells(c)} | {verdict(c.meets_target)} |"
            for c in comparisons
        ),
    )


def verdict(met: bool) -> str:
    return "yes" if met else "NO"


def status_counts(statuses: Mapping[int, int]) -> str:
    """``200×95, 503×5``: how many answers of each status, by status."""
    return ", ".join(f"{status}×{count}" for status, count in sorted(statuses.items()))


# ---------------------------------------------------------------------------------------------
# FireMode: settings, schema, accounts and logins

# Long enough and strong enough for the password policy (12+ characters, zxcvbn score ≥ 3).
BENCH_PASSWORD = "tangerine quarry lantern 42 bicycle"  # noqa: S105 - a throwaway bench account


def firemode_settings(data_dir: Path, database_url: str, **overrides: Any) -> FireModeSettings:
    """FireMode's settings as a benchmark runs it: no ``.env``, JSON logs as in production.

    Secrets are generated once into ``data_dir``, so the setup step, the server subprocess and a
    later login all agree on them.
    """
    return FireModeSettings(
        _env_file=None, data_dir=data_dir, database_url=database_url, log_json=True, **overrides
    )


def in_process_settings(
    settings_type: Callable[..., S], data_dir: Path, database_url: str, **overrides: Any
) -> S:
    """A service's settings for an app driven in process over ASGI (``settings_type``: FireMode's
    or Alloy's): the test environment, fixed secrets, the fast password hash."""
    return settings_type(
        env="test",
        data_dir=data_dir,
        database_url=database_url,
        secret_key="bench-secret-" + "x" * 40,
        internal_secret_key="bench-internal-" + "y" * 40,
        password_hash_profile="fast",  # noqa: S106 - not a password
        **overrides,
    )


async def migrate(database_url: str) -> None:
    """The schema, as ``firemode migrate`` makes it."""
    database = Database(database_url)
    try:
        await migrations.upgrade(database, "firemode:migrations")
    finally:
        await database.dispose()


async def create_account(
    settings: FireModeSettings, email: str, role: Role, password: str = BENCH_PASSWORD
) -> uuid.UUID:
    """An account made through the app's own service (what ``firemode users create`` runs).

    The app is built with warnings only, so the setup's audit line does not clutter the output.
    """
    app = create_firemode_app(settings.model_copy(update={"log_level": "WARNING"}))
    try:
        async with app.state.database.transactional() as session:
            user = await UserService(session, app.state.identity).create_user(
                email=email, password=password, role=role
            )
            return user.id
    finally:
        await app.state.database.dispose()
        if app.state.redis is not None:
            await app.state.redis.aclose()


async def set_up_accounts(data_dir: Path, database_url: str, *accounts: tuple[str, Role]) -> list[uuid.UUID]:
    """FireMode's schema, then each ``(email, role)`` account; their ids, in order."""
    await migrate(database_url)
    settings = firemode_settings(data_dir, database_url)
    return [await create_account(settings, email, role) for email, role in accounts]


def login_body(email: str, password: str = BENCH_PASSWORD) -> bytes:
    """The OAuth2 password form ``POST /v1/auth/token`` takes."""
    return urllib.parse.urlencode({"username": email, "password": password}).encode()


LOGIN_HEADERS = (("Content-Type", "application/x-www-form-urlencoded"),)


def log_in(port: int, email: str, password: str = BENCH_PASSWORD) -> str:
    """A real login against the running server; its access token."""
    status, body = http_post(port, "/v1/auth/token", login_body(email, password), dict(LOGIN_HEADERS))
    if status != 200:
        raise RuntimeError(f"login as {email}: {status} {body[:300]!r}")
    token: str = json.loads(body)["access_token"]
    return token


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("Authorization", f"Bearer {token}"),)
