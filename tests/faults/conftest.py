"""The fault lane's machinery: real server processes that can be killed with SIGKILL and started
again, the services' own CLIs, and a TCP proxy that can refuse or stall the database.

Everything here is bounded in time, binds 127.0.0.1 only, and kills what it started in a
``finally``. A server process costs a few seconds to start (imports), so each crash scenario
starts as few as it can.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from tests.conftest import (
    SERVICES,
    TEST_DATABASE_URL,
    TEST_INTERNAL_SECRET,
    TEST_REDIS_URL,
    TEST_SECRET,
    MigratedTemplates,
    reset_postgres_database,
)

LOOPBACK = "127.0.0.1"
BIN = Path(sys.executable).parent
# Upper bounds, not expectations: a cold start imports the whole stack (several seconds here).
START_TIMEOUT = 90.0
CLI_TIMEOUT = 90.0
KILL_TIMEOUT = 10.0
PASSWORD = "correct horse battery staple"
T = TypeVar("T")

requires_postgres = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="the database proxy needs a networked database (TEST_DATABASE_URL)"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def run_async(work: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from synchronous code, in a thread of its own (so it never
    meets an event loop the test runner may have open)."""

    async def main() -> T:
        return await work()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


# --- The services' processes ---------------------------------------------------------------------


def service_env(service: str, data_dir: Path, database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a service process: test secrets, fast hashing, this data dir and database.

    The caller's own ``FIREMODE_*`` / ``ALLOY_*`` variables are dropped, so nothing leaks in.
    """
    prefix = f"{service.upper()}_"
    env = {name: value for name, value in os.environ.items() if not name.startswith(prefix)}
    # Each start imports the whole stack; compiled from source every time, that alone took ~6 s.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    values = {
        "ENV": "test",
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "INTERNAL_SECRET_KEY": TEST_INTERNAL_SECRET,
        "PASSWORD_HASH_PROFILE": "fast",
        "LOG_LEVEL": "WARNING",
        **(
            {"REDIS_URL": TEST_REDIS_URL, "REDIS_NAMESPACE": f"faults-{uuid.uuid4().hex}"}
            if TEST_REDIS_URL
            else {}
        ),
        **settings,
    }
    env.update({prefix + name: value for name, value in values.items()})
    return env


def run_cli(
    service: str, env: dict[str, str], *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """``<service> ARGS…`` as an operator runs it; the output is kept for the assertion message."""
    return subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [str(BIN / service), *args],
        input=stdin,
        env=env,
        cwd=env[f"{service.upper()}_DATA_DIR"],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )


def create_user(service: str, env: dict[str, str], email: str, role: str) -> None:
    """An account made through the real CLI (``users create --password-stdin``)."""
    done = run_cli(
        service,
        env,
        "users",
        "create",
        "--email",
        email,
        "--role",
        role,
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert done.returncode == 0, done.stdout + done.stderr


@dataclass
class ServerProcess:
    """``<service> serve`` (or another serving ``command``, such as ``sync-worker``) on a free
    loopback port; ``kill()`` is SIGKILL, ``start()`` again restarts it on the same database and
    data dir (on a new port: the old one may linger in TIME_WAIT)."""

    service: str
    env: dict[str, str]
    log_path: Path
    command: str = "serve"
    process: subprocess.Popen[bytes] | None = None
    port: int = 0
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        assert self.process is None, "already running"
        self.port = free_port()
        self.starts += 1
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
                [str(BIN / self.service), self.command, "--host", LOOPBACK, "--port", str(self.port)],
                env=self.env,
                cwd=self.env[f"{self.service.upper()}_DATA_DIR"],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: a kill reaches nothing of ours
            )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(
                    f"{self.service} exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/health", timeout=2.0).status_code == 200:
                    return
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"{self.service} did not answer /health in {START_TIMEOUT}s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, no clean-up runs."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=KILL_TIMEOUT)
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@contextlib.contextmanager
def running(
    service: str, env: dict[str, str], log_path: Path, command: str = "serve"
) -> Iterator[ServerProcess]:
    """A started server, killed on the way out whatever happened."""
    server = ServerProcess(service, env, log_path, command)
    try:
        server.start()
        yield server
    finally:
        server.kill()


# --- Databases for scenarios that outlive one test ------------------------------------------------


@contextlib.contextmanager
def scenario_database(service: str, templates: MigratedTemplates, directory: Path) -> Iterator[str]:
    """A clean migrated database for a module's scenario: a copy of the SQLite template, or the
    service's PostgreSQL test database, emptied again afterwards."""
    template = templates[service]
    if TEST_DATABASE_URL:
        try:
            yield template
        finally:
            run_async(lambda: reset_postgres_database(template, SERVICES[service]))
        return
    copy = directory / f"{service}.sqlite3"
    copy.write_bytes(Path(template.split("///", 1)[1]).read_bytes())
    yield f"sqlite+aiosqlite:///{copy}"


async def age_unfinished_claims(database_url: str, model: Any) -> int:
    """Move the idempotency claims killed requests left behind an hour into the past: the wait a
    test cannot afford, after which the service takes such a claim over. Every timestamp of the
    row moves, so the claim looks as old whichever of them the service reads."""
    engine = create_async_engine(database_url)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            rows = (await session.scalars(select(model).where(model.completed_at.is_(None)))).all()
            for row in rows:
                for column in model.__table__.columns:
                    value = getattr(row, column.key)
                    if isinstance(value, datetime):
                        setattr(row, column.key, value - timedelta(hours=1))
            return len(rows)
    finally:
        await engine.dispose()


# --- A TCP proxy in front of the database ----------------------------------------------------------

ProxyMode = Literal["pass", "refuse", "stall"]


class TcpProxy:
    """A loopback TCP proxy on its own event loop and thread.

    - ``pass``: bytes flow both ways;
    - ``refuse``: a new connection is closed at once (a database that is down);
    - ``stall``: connections are accepted and nothing is forwarded, new or existing (a database,
      or a network, that hangs); back to ``pass``, held bytes flow again;
    - ``cut()``: every connection open now is reset (a restart, a dropped link).
    """

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy", daemon=True)
        self._mode: ProxyMode = "pass"
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._connections: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    def __enter__(self) -> TcpProxy:
        self._thread.start()
        self._server = self._call(asyncio.start_server(self._accept, LOOPBACK, 0))
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *_exc: object) -> None:
        with contextlib.suppress(Exception):
            self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=KILL_TIMEOUT)
        self._loop.close()

    def _call(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=KILL_TIMEOUT)

    def set_mode(self, mode: ProxyMode) -> None:
        async def apply() -> None:
            self._mode = mode
            if mode == "stall":
                self._flowing.clear()
            else:
                self._flowing.set()

        self._call(apply())

    def cut(self) -> None:
        async def reset_all() -> None:
            for writer in list(self._connections):
                writer.transport.abort()

        self._call(reset_all())

    async def _close(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._connections):
            writer.transport.abort()
        # Connections still waiting (stalled) end here, not as pending tasks of a closed loop.
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if self._mode == "refuse":
            client_writer.transport.abort()
            return
        self._connections.add(client_writer)
        upstream_writer: asyncio.StreamWriter | None = None
        try:
            await self._flowing.wait()  # stalled: accepted, and never connected onwards meanwhile
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._upstream)
            self._connections.add(upstream_writer)
            await asyncio.gather(
                self._pipe(client_reader, upstream_writer), self._pipe(upstream_reader, client_writer)
            )
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            for writer in (client_writer, upstream_writer):
                if writer is not None:
                    self._connections.discard(writer)
                    writer.transport.abort()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while chunk := await reader.read(65536):
            await self._flowing.wait()
            writer.write(chunk)
            await writer.drain()
        writer.transport.abort()  # one side closed: so does the other, as a real peer would see it
