"""Worker processes: what a second uvicorn worker adds to the same route on the same machine.

Issue "Performance: hot reads at half the speed of a bare handler" (workers). FireMode is started
twice as an operator starts it, ``firemode serve --workers N`` (the installed command, configured
by ``FIREMODE_*`` variables), with 1 and with 2 workers, on one scratch database: PostgreSQL when
it answers on 127.0.0.1:5432 (``bench_<hex>``, created from ``test`` and dropped at the end), else
SQLite in a temporary directory. No Redis: each worker keeps its own revocation list (re-read from
the database every two seconds), as a read route needs nothing shared.

The route is the authenticated session list, ``GET /v1/tests/sessions?limit=20`` as a supervisor
(a bearer token from a real login, checked on every request), with ``SESSIONS`` sessions present.
Loaded with wrk (else the asyncio client), 16 keep-alive connections, the two servers alternating
round by round (1 2, 2 1, …), median of the rounds. The figure is the ratio of requests per second,
2 workers over 1, in the same run; on a machine of ``os.cpu_count()`` cores the ceiling is that
count, less what the load generator and the database take of the same cores.

    .venv/bin/python bench/workers.py            # about a minute
    .venv/bin/python bench/workers.py --quick    # about half a minute
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
import uuid
from collections.abc import Sequence

from _common import (
    Comparison,
    Endpoint,
    argument_parser,
    bearer,
    choose_databases,
    choose_load_generator,
    compare,
    comparison_plan,
    firemode_settings,
    latency_cells,
    log_in,
    machine,
    markdown_table,
    scratch_database,
    serve_service,
    serving,
    set_up_accounts,
    workspace,
)
from apikit.db.engine import Database
from firemode.identity.roles import Role
from merge import seed_sessions

SESSIONS = 500
PATH = "/v1/tests/sessions?limit=20"
SUPERVISOR = "supervisor@bench.example.com"


async def seeded(database_url: str, owner: uuid.UUID) -> None:
    """``SESSIONS`` sessions of ``owner`` (the merge benchmark's seeding)."""
    database = Database(database_url)
    try:
        await seed_sessions(database, owner, SESSIONS)
    finally:
        await database.dispose()


def main(argv: Sequence[str]) -> int:
    parser = argument_parser(__doc__)
    parser.add_argument("--quick", action="store_true", help="one short round: a smoke test")
    parser.add_argument("--databases", choices=["both", "sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--load-generator", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)  # the setup's migration and audit lines (servers log to files)
    plan = comparison_plan(args.quick, connections=16)
    comparisons: list[Comparison] = []
    with workspace("bench-workers-") as (tmp, executor):
        load = choose_load_generator(args.load_generator, tmp, executor)
        names = choose_databases(args.databases, quick=False)
        print(f"workers: {', '.join(names)}; {machine()}; load from {load.name}")
        for name in names:
            data_dir = tmp / name
            data_dir.mkdir()
            with scratch_database(name, data_dir, "workers") as url:
                (owner,) = asyncio.run(set_up_accounts(data_dir, url, (SUPERVISOR, Role.SUPERVISOR)))
                asyncio.run(seeded(url, owner))
                firemode_settings(data_dir, url)  # the secrets, generated once in data_dir for both
                settings = {"DATA_DIR": str(data_dir), "DATABASE_URL": url, "LOG_JSON": "true"}
                starters = [
                    functools.partial(
                        serve_service, "firemode", workers, settings, data_dir / f"firemode-{workers}.log"
                    )
                    for workers in (2, 1)
                ]
                with serving(starters) as (two, one):
                    endpoint = Endpoint(PATH, bearer(log_in(one.port, SUPERVISOR)))
                    comparisons.append(
                        compare(load, (name, "GET " + PATH), (two, endpoint), (one, endpoint), plan, 1.0)
                    )
    header = (
        "| database | 2 workers rps | 1 worker rps | 2 / 1 | 2w p50 ms | 1w p50 ms | 2w p95 ms | 1w p95 ms |"
    )
    rows = (
        f"| {c.database} | {c.kit_rps:.0f} | {c.bare_rps:.0f} | {c.ratio:.2f}× | {latency_cells(c)} |"
        for c in comparisons
    )
    print(f"\nGET {PATH}, 2 workers against 1 ({plan.connections} connections)\n")
    print(markdown_table(header, rows))
    failed = sum(c.errors for c in comparisons)
    if failed:
        print(f"\nerror: {failed} failed request(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
