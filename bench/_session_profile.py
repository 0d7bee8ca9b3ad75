"""Where the time of one FireMode request goes: the app driven in process under cProfile.

Not a benchmark itself: ``bench/hot_reads.py --profile N`` uses it. The real app (the same
settings, database and token as the measured server) is called as an ASGI application, with no
HTTP server and no client around it, N times in a row after a warm-up; its access log goes to
``/dev/null``. The report gives each package's own time (FastAPI, Starlette, the kit, FireMode,
SQLAlchemy, asyncpg, PyJWT …), the functions with the largest cumulative time below the outer
layers (the middleware and FastAPI's routing, which hold most of every request), and the largest
own times, each as a share of the requests' time less the event loop's wait for PostgreSQL.
cProfile slows Python code more than C code, so the shares are indicative, not exact.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import os
import pstats
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from _common import Endpoint, firemode_settings
from firemode.main import create_firemode_app

TOP = 10
OWN = 5
WRAPPER_SHARE = 0.5
Message = MutableMapping[str, Any]
# Frames that are the driver or the event loop, not the request's own work.
SKIPPED = ("asyncio/", "_session_profile.py", "selectors.py", "uvloop")
WAIT = "<method 'poll' of 'select.epoll' objects>"  # the event loop idle: PostgreSQL answering


async def call(app: Any, endpoint: Endpoint) -> int:
    """One GET through the whole ASGI stack; its status."""
    path, _, query = endpoint.path.partition("?")
    headers = [(b"host", b"127.0.0.1"), *((k.lower().encode(), v.encode()) for k, v in endpoint.headers)]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    status = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def drive(app: Any, endpoint: Endpoint, requests: int, profiler: cProfile.Profile) -> float:
    lifespan: Callable[[Any], Any] = app.router.lifespan_context
    async with lifespan(app):
        for _ in range(200):  # warm-up: pools, caches, lazy imports
            await check(call(app, endpoint))
        started = time.perf_counter()
        profiler.enable()
        for _ in range(requests):
            await call(app, endpoint)
        profiler.disable()
        elapsed = time.perf_counter() - started
        await check(call(app, endpoint))
    return elapsed


async def check(status: Awaitable[int]) -> None:
    if (found := await status) != 200:
        raise RuntimeError(f"the profiled request answered {found}")


def profile_session_list(data_dir: Path, database_url: str, endpoint: Endpoint, requests: int) -> str:
    """The report: ``requests`` requests of ``endpoint`` on FireMode, the top functions."""
    profiler = cProfile.Profile()
    # The access log is written (its cost is part of the request), to nowhere.
    with open(os.devnull, "w") as nowhere, contextlib.redirect_stderr(nowhere):
        app = create_firemode_app(firemode_settings(data_dir, database_url))
        elapsed = asyncio.run(drive(app, endpoint, requests, profiler))
    entries = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    waiting = sum(entry[2] for (_f, _l, name), entry in entries.items() if name == WAIT)
    total = sum(entry[2] for entry in entries.values()) - waiting
    by_package: dict[str, float] = {}
    ranked = []
    for (filename, line, name), (_c, _p, inline, cumulative, _callers) in entries.items():
        if name == WAIT:
            continue
        by_package[package(filename, name)] = by_package.get(package(filename, name), 0.0) + inline
        where = f"{short(filename)}:{line}({name})" if line else name
        # The outer layers (the middleware, FastAPI's routing) each hold most of it: not listed.
        if cumulative < WRAPPER_SHARE * total and not any(skip in where for skip in SKIPPED):
            ranked.append((cumulative, where))
    ranked.sort(reverse=True)
    own = sorted(((entry[2], key) for key, entry in entries.items() if key[2] != WAIT), reverse=True)
    packages = sorted(by_package.items(), key=lambda item: item[1], reverse=True)
    return "\n".join(
        [
            f"profile: {requests} × GET {endpoint.path} in process, {elapsed / requests * 1e6:.0f} µs "
            f"per request under cProfile, {waiting / (total + waiting):.0%} of it waiting for PostgreSQL "
            "(left out of the shares)",
            f"  own time by package (top {TOP}): "
            + ", ".join(f"{name} {inline / total:.0%}" for name, inline in packages[:TOP]),
            f"  top {TOP} functions by cumulative share, below the outer layers' {WRAPPER_SHARE:.0%}:",
            *(f"  {cumulative / total:6.1%}  {where}" for cumulative, where in ranked[:TOP]),
            f"  top {OWN} functions by own time: "
            + ", ".join(
                f"{short(file)}:{line}({name}) {inline / total:.0%}"
                for inline, (file, line, name) in own[:OWN]
            ),
        ]
    )


def package(filename: str, name: str) -> str:
    """Which package a function is from: the first part of its path under site-packages or src;
    the standard library as a whole; C functions by their module when cProfile names it."""
    if filename == "~":
        return "C built-ins"
    for marker in ("site-packages/", "/src/"):
        if marker in filename:
            return filename.split(marker, 1)[1].split("/", 1)[0].removesuffix(".py")
    return "standard library"


def short(filename: str) -> str:
    """A file's path from its package on (``site-packages/`` and ``src/`` cut off)."""
    for marker in ("site-packages/", "/src/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename
