"""FireMode asset import: ``POST /v1/buildings/{id}/assets/import`` with a 5,000-row CSV.

Measured through the real app (routing, authentication, the multipart upload, reading and
validating every row, the register's tags, the insert, the commit), in process over ASGI, against
a bare reference in the same run: the same 5,000 rows, already converted to the driver's values,
written into the same table by the raw driver's ``executemany`` in one transaction (sqlite3
through aiosqlite; asyncpg). Each repetition imports into a fresh building; the two sides take
turns.

On SQLite a file in a temporary directory; on PostgreSQL the database ``test_assets_bench``
(its schema dropped and made again at the start), when PostgreSQL answers.

Target (the issue): import throughput at least 0.3× the bare executemany's, on both databases.

Run: ``.venv/bin/python bench/assets.py [--rows 5000] [--repeats 7]``.
"""

from __future__ import annotations

import asyncio
import csv
import io
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import aiosqlite
import asyncpg
from httpx import ASGITransport, AsyncClient
from sqlalchemy import Table
from sqlalchemy.engine import make_url

from _common import (
    argument_parser,
    in_process_settings,
    machine,
    markdown_table,
    migrate,
    postgres_answers,
    verdict,
)
from apikit.db.bulk import _prepared
from apikit.ids import new_id, utcnow
from firemode.assets.models import Asset, search_key
from firemode.identity.roles import Role
from firemode.identity.service import UserService
from firemode.main import create_firemode_app
from firemode.settings import FireModeSettings

TARGET = 0.3
POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test_assets_bench"
PASSWORD = "tangerine quarry lantern 42 bicycle"  # noqa: S105 - a throwaway benchmark account
HEADER = ["Tag", "Asset Type", "Location", "Agent", "Capacity kg", "Capacity L", "Length m", "Installed On"]


def sheet_rows(count: int) -> list[list[str]]:
    """A contractor's register: mostly extinguishers (powder and water), hose reels among them."""
    rows = []
    for n in range(1, count + 1):
        level = f"Level {n % 40}, {'north' if n % 2 else 'south'} stair"
        if n % 10 == 0:
            rows.append([f"HR-{n:05}", "fire_hose_reel", level, "", "", "", "36", "2019-07-01"])
        elif n % 3 == 0:
            rows.append([f"EXT-{n:05}", "portable_extinguisher", level, "water", "", "9", "", "31/03/2024"])
        else:
            rows.append(
                [f"EXT-{n:05}", "portable_extinguisher", level, "dry_chemical_abe", "4.5", "", "", ""]
            )
    return rows


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


def table_rows(rows: list[list[str]], building_id: uuid.UUID, user_id: uuid.UUID) -> list[dict[str, Any]]:
    """The rows the import writes for this sheet, as the service builds them."""
    now = utcnow()
    built = []
    for tag, asset_type, location, agent, kg, litres, length, _installed in rows:
        details: dict[str, Any] = {"agent": agent} if agent else {}
        if kg:
            details["capacity_kg"] = float(kg)
        if litres:
            details["capacity_l"] = float(litres)
        if length:
            details["length_m"] = float(length)
        built.append(
            {
                "id": new_id(),
                "building_id": building_id,
                "tag": tag,
                "asset_type": asset_type,
                "location": location,
                "details": details,
                "installed_on": None,
                "status": "active",
                "decommissioned_at": None,
                "created_by": user_id,
                "tag_key": search_key(tag),
                "location_key": search_key(location),
                "created_at": now,
                "updated_at": now,
            }
        )
    return built


class BareInsert:
    """The reference: the raw driver's executemany of ready tuples, one transaction."""

    def __init__(self, url: str, dialect: Any) -> None:
        self.url = make_url(url)
        self.dialect = dialect
        self.table = cast(Table, Asset.__table__)

    def values(self, rows: list[dict[str, Any]]) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Converted as SQLAlchemy would (each column's bind processor), outside the timing."""
        _, parameters = _prepared(self.table, tuple(rows[0]), self.dialect)
        columns = [name for name, _ in parameters]
        return columns, [tuple(process(row[name]) for name, process in parameters) for row in rows]

    async def insert(self, columns: list[str], values: list[tuple[Any, ...]]) -> float:
        names = ", ".join(columns)
        if self.url.get_backend_name() == "sqlite":
            sql = f"INSERT INTO assets ({names}) VALUES ({', '.join('?' for _ in columns)})"  # noqa: S608
            async with aiosqlite.connect(self.url.database or "") as connection:
                started = time.perf_counter()
                await connection.execute("BEGIN IMMEDIATE")
                await connection.executemany(sql, values)
                await connection.commit()
                return time.perf_counter() - started
        sql = (
            f"INSERT INTO assets ({names}) VALUES ({', '.join(f'${i}' for i in range(1, len(columns) + 1))})"  # noqa: S608
        )
        connection = await asyncpg.connect(
            self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        )
        try:
            started = time.perf_counter()
            async with connection.transaction():
                await connection.executemany(sql, values)
            return time.perf_counter() - started
        finally:
            await connection.close()


def _postgres_dsn() -> str:
    return make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)


async def reset_postgres() -> None:
    """The bench's own database, emptied: its schema dropped and made again."""
    connection = await asyncpg.connect(_postgres_dsn())
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await connection.close()


async def measure(url: str, data_dir: Path, row_count: int, repeats: int) -> dict[str, list[float]]:
    await migrate(url)
    settings = in_process_settings(FireModeSettings, data_dir, url, _env_file=None, log_level="WARNING")
    app = create_firemode_app(settings)
    rows = sheet_rows(row_count)
    content = csv_bytes(rows)
    times: dict[str, list[float]] = {"api": [], "bare": []}
    async with (
        AsyncClient(transport=ASGITransport(app=app), base_url="http://bench") as client,
        app.router.lifespan_context(app),
    ):
        async with app.state.database.transactional() as session:
            user = await UserService(session, app.state.identity).create_user(
                email="bench@firemode.example.com", password=PASSWORD, role=Role.SUPERVISOR
            )
        token, _ = app.state.identity.access_tokens.issue(str(user.id), user.role)
        headers = {"Authorization": f"Bearer {token}"}
        bare = BareInsert(url, app.state.database.engine.dialect)

        async def new_building() -> uuid.UUID:
            response = await client.post(
                "/v1/buildings",
                json={"name": f"Bench {uuid.uuid4()}", "address": "1 Quay St"},
                headers=headers,
            )
            assert response.status_code == 201, response.text
            return uuid.UUID(response.json()["building_id"])

        async def through_the_api() -> float:
            building_id = await new_building()
            started = time.perf_counter()
            response = await client.post(
                f"/v1/buildings/{building_id}/assets/import",
                files={"file": ("register.csv", content, "text/csv")},
                headers=headers,
            )
            elapsed = time.perf_counter() - started
            if response.status_code != 201 or response.json()["imported"] != row_count:
                raise SystemExit(f"import answered {response.status_code}: {response.text[:300]}")
            return elapsed

        async def bare_insert() -> float:
            columns, values = bare.values(table_rows(rows, await new_building(), user.id))
            return await bare.insert(columns, values)

        await through_the_api()  # warm-up: imports, pools, the first statements
        await bare_insert()
        for repetition in range(repeats):
            sides = [("api", through_the_api), ("bare", bare_insert)]
            for name, run in sides if repetition % 2 == 0 else reversed(sides):
                times[name].append(await run())
    await app.state.database.dispose()
    return times


def report(name: str, row_count: int, times: dict[str, list[float]]) -> str:
    api, bare = statistics.median(times["api"]), statistics.median(times["bare"])
    ratio = bare / api
    return (
        f"| {name} | {row_count} | {len(times['api'])} | {api * 1000:.0f} | {row_count / api:,.0f} "
        f"| {bare * 1000:.0f} | {row_count / bare:,.0f} | {ratio:.2f}× "
        f"| {verdict(ratio >= TARGET)} |"
    )


def main(argv: Sequence[str]) -> int:
    parser = argument_parser(__doc__)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    kinds = ["SQLite"] + (["PostgreSQL"] if asyncio.run(postgres_answers(_postgres_dsn())) else [])
    print(f"asset import: {args.rows} rows, {args.repeats} repetitions each side; {machine()}")
    header = (
        "| database | rows | imports | API ms (median) | API rows/s | bare executemany ms | bare rows/s "
        f"| API / bare | ≥ {TARGET}× |"
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-assets-") as scratch:
        for kind in kinds:
            if kind == "SQLite":
                url = f"sqlite+aiosqlite:///{Path(scratch) / 'assets.sqlite3'}"
            else:
                asyncio.run(reset_postgres())
                url = POSTGRES_URL
            rows.append(
                report(kind, args.rows, asyncio.run(measure(url, Path(scratch), args.rows, args.repeats)))
            )
    print(markdown_table(header, rows))
    if len(kinds) == 1:
        print(f"PostgreSQL does not answer at {POSTGRES_URL}: skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
