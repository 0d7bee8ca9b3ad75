"""Alloy program creation: ``POST /v1/programs`` for a 12-week, 6-days-a-week program.

Measured through the real app (routing, authentication, rate limit, validation, the generator, the
72 sessions and their ~700 exercises inserted in one transaction, the answer with its schedule),
in process over ASGI, on SQLite and on PostgreSQL when it answers:

* latency, p50/p95 over 50 sequential creations;
* programs created per second with 8 users creating at once (one event loop, like one uvicorn
  worker), with their p95;
* for reference, the generator alone (``build_plan``) on the same inputs, in the same process;
* the CPU time this process spent per sequential creation (the app and the SQLite driver's
  thread; not PostgreSQL's server): on a machine other work shares, it moves far less with the
  load than the latencies do.

Target (the issue): p95 < 150 ms on SQLite and on PostgreSQL.

Run: ``.venv/bin/python bench/programs.py``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from httpx import ASGITransport, AsyncClient

from _common import in_process_settings, percentile, postgres_answers, scratch_database
from alloy.catalogue.repository import ScoringConfigRepository
from alloy.cli import SERVICE as ALLOY
from alloy.generator import ProgramSpec, ScoringRules, build_plan
from alloy.generator.model import Goal, SplitTemplate
from alloy.identity.roles import Role
from alloy.identity.service import AccountService
from alloy.main import create_alloy_app
from alloy.programs.repository import load_snapshot
from alloy.settings import AlloySettings
from apikit.cli import migrate
from apikit.db.engine import Database

RUNS = 50
USERS = 8
PER_USER = 10
PASSWORD = "correct horse battery staple"  # noqa: S105 - a throwaway benchmark account
BODY: dict[str, Any] = {
    "name": "Bench block",
    "goals": [
        {"goal": "strength", "weight": 5},
        {"goal": "hypertrophy", "weight": 3},
        {"goal": "fat_loss", "weight": 2},
    ],
    "duration_weeks": 12,
    "start_date": "2026-01-05",
    "days_per_week": 6,
    "max_session_minutes": 75,
    "equipment": [
        "barbell",
        "dumbbell",
        "bench",
        "squat_rack",
        "pull_up_bar",
        "cable",
        "kettlebell",
        "rower",
    ],
}


async def measure(url: str, data_dir: Path) -> dict[str, float]:
    database = Database(url)
    await migrate(ALLOY, database)
    await database.dispose()
    settings = in_process_settings(AlloySettings, data_dir, url, program_create_rate="100000/minute")
    app = create_alloy_app(settings)
    transport = ASGITransport(app=app)
    async with (
        AsyncClient(transport=transport, base_url="http://bench") as client,
        app.router.lifespan_context(app),
    ):
        tokens = []
        for index in range(USERS):
            async with app.state.database.transactional() as session:
                user = await AccountService(session, app.state.identity, settings).create_account(
                    email=f"bench{index}@alloy.example.com", password=PASSWORD, name="Bench", role=Role.USER
                )
            token, _ = app.state.identity.access_tokens.issue(str(user.id), user.role)
            tokens.append({"Authorization": f"Bearer {token}"})

        async def create(headers: dict[str, str]) -> float:
            started = time.perf_counter()
            response = await client.post("/v1/programs", json=BODY, headers=headers)
            elapsed = time.perf_counter() - started
            if response.status_code != 201:
                raise SystemExit(f"POST /v1/programs answered {response.status_code}: {response.text[:300]}")
            return elapsed * 1000

        for _ in range(3):  # warm-up
            await create(tokens[0])
        cpu_started = time.process_time()
        sequential = [await create(tokens[0]) for _ in range(RUNS)]
        cpu_per_creation = (time.process_time() - cpu_started) * 1000 / RUNS

        async def user(headers: dict[str, str]) -> list[float]:
            return [await create(headers) for _ in range(PER_USER)]

        started = time.perf_counter()
        concurrent = [ms for batch in await asyncio.gather(*(user(h) for h in tokens)) for ms in batch]
        wall = time.perf_counter() - started

        # The generator alone, on the inputs the endpoint gives it.
        async with app.state.database.transactional() as session:
            snapshot = await load_snapshot(session, uuid.uuid4())
            config = await ScoringConfigRepository(session).current()
        spec = ProgramSpec(
            seed=1,
            goals={Goal.STRENGTH: 5, Goal.HYPERTROPHY: 3, Goal.FAT_LOSS: 2},
            duration_weeks=12,
            start_date=date(2026, 1, 5),
            split_template=SplitTemplate.PPL,
            days_per_week=6,
            max_session_minutes=75,
            equipment=frozenset(BODY["equipment"]),
        )
        rules = ScoringRules(config.version, dict(config.weights), config.qualifying_score)
        generator = []
        for seed in range(RUNS):
            started = time.perf_counter()
            build_plan(dataclasses.replace(spec, seed=seed), snapshot, rules)
            generator.append((time.perf_counter() - started) * 1000)
    await app.state.database.dispose()
    return {
        "p50": statistics.median(sequential),
        "p95": percentile(sorted(sequential), 0.95),
        "concurrent_p50": statistics.median(concurrent),
        "concurrent_p95": percentile(sorted(concurrent), 0.95),
        "per_second": len(concurrent) / wall,
        "generator_p50": statistics.median(generator),
        "cpu": cpu_per_creation,
    }


def report(name: str, figures: dict[str, float]) -> None:
    verdict = "met" if figures["p95"] < 150 else "MISSED"
    print(
        f"{name:<11} sequential p50 {figures['p50']:6.1f} ms  p95 {figures['p95']:6.1f} ms ({verdict})  |  "
        f"{USERS} users: {figures['per_second']:5.1f} programs/s, p50 {figures['concurrent_p50']:6.1f} ms, "
        f"p95 {figures['concurrent_p95']:6.1f} ms  |  generator alone p50 {figures['generator_p50']:5.1f} ms"
        f"  |  CPU per creation {figures['cpu']:5.1f} ms"
    )


def main() -> int:
    kinds = ["SQLite"] + (["PostgreSQL"] if asyncio.run(postgres_answers()) else [])
    with tempfile.TemporaryDirectory(prefix="bench-programs-") as scratch:
        directory = Path(scratch)
        for kind in kinds:
            with scratch_database(kind, directory, "programs") as url:
                report(kind, asyncio.run(measure(url, directory)))
    if len(kinds) == 1:
        print("PostgreSQL does not answer on 127.0.0.1:5432: skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
