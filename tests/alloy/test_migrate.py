"""``alloy migrate``: the migrations build the schema only, and the command's after-migrate step
loads the shipped catalogue, whole on a fresh database and idempotently on an existing one."""

from __future__ import annotations

import ast
import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from alloy.catalogue.models import Circuit, Movement, MovementEquipment, ScoringConfig
from alloy.catalogue.seed_data import load_catalogue
from alloy.cli import app as alloy_cli
from apikit.db.engine import Database
from tests.conftest import (
    TEST_DATABASE_URL,
    TEST_INTERNAL_SECRET,
    TEST_SECRET,
    _recreate_postgres_database,
    postgres_url_for,
)

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
async def fresh_url(tmp_path: Path) -> AsyncIterator[str]:
    """A database nothing has touched yet: an empty SQLite file, or an empty PostgreSQL database."""
    if TEST_DATABASE_URL:
        url = postgres_url_for("alloy_fresh")
        await _recreate_postgres_database(url)
        yield url
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}"


async def alloy_migrate(url: str, data_dir: Path) -> str:
    """The real command, in a thread of its own (it runs its own event loop); its output."""
    env = {
        "ALLOY_ENV": "test",
        "ALLOY_DATA_DIR": str(data_dir),
        "ALLOY_DATABASE_URL": url,
        "ALLOY_SECRET_KEY": TEST_SECRET,
        "ALLOY_INTERNAL_SECRET_KEY": TEST_INTERNAL_SECRET,
    }
    result = await asyncio.to_thread(CliRunner().invoke, alloy_cli, ["migrate"], env=env)
    assert result.exit_code == 0, result.output
    return result.output


async def catalogue_counts(database: Database) -> dict[str, int]:
    async with database.read_sessions() as session:
        return {
            model.__name__: int(await session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Movement, MovementEquipment, Circuit, ScoringConfig)
        }


async def test_a_fresh_migrate_loads_the_catalogue_and_a_second_changes_nothing(
    fresh_url: str, tmp_path: Path
) -> None:
    shipped = load_catalogue()
    expected = {
        "Movement": len(shipped.movements),
        "MovementEquipment": sum(len(seed.equipment) for seed in shipped.movements),
        "Circuit": len(shipped.circuits),
        "ScoringConfig": 1,
    }
    output = await alloy_migrate(fresh_url, tmp_path / "data")
    assert f"+{len(shipped.movements)} movements, +{len(shipped.circuits)} circuits" in output
    database = Database(fresh_url)
    try:
        assert await catalogue_counts(database) == expected
        slug = shipped.movements[0].slug
        async with database.transactional() as session:  # an admin's edit since
            await session.execute(update(Movement).where(Movement.slug == slug).values(name="Renamed"))

        output = await alloy_migrate(fresh_url, tmp_path / "data")
        assert "catalogue" not in output  # nothing new to load
        assert await catalogue_counts(database) == expected
        async with database.read_sessions() as session:
            assert await session.scalar(select(Movement.name).where(Movement.slug == slug)) == "Renamed"
    finally:
        await database.dispose()


async def test_an_existing_install_gets_the_new_coaching_facts(fresh_url: str, tmp_path: Path) -> None:
    """An install from before the facts existed: its rows have none until the loader fills them,
    from the data files; a value an admin already set is kept."""
    await alloy_migrate(fresh_url, tmp_path / "data")
    facts = {
        "tier": None,
        "rep_min": None,
        "rep_max": None,
        "plate_increment_kg": None,
        "plate_increment_lb": None,
    }
    database = Database(fresh_url)
    try:
        async with database.transactional() as session:
            await session.execute(update(Movement).where(Movement.slug != "front_squat").values(**facts))
            await session.execute(update(Movement).where(Movement.slug == "front_squat").values(rep_max=5))
        await alloy_migrate(fresh_url, tmp_path / "data")
        async with database.read_sessions() as session:
            rows = {
                row.slug: row
                for row in await session.execute(
                    select(
                        Movement.slug,
                        Movement.tier,
                        Movement.rep_min,
                        Movement.rep_max,
                        Movement.plate_increment_kg,
                    )
                )
            }
    finally:
        await database.dispose()
    for seed in load_catalogue().movements:
        expected_max = 5 if seed.slug == "front_squat" else seed.rep_max
        row = rows[seed.slug]
        assert (row.tier, row.rep_min, row.rep_max, row.plate_increment_kg) == (
            seed.tier,
            seed.rep_min,
            expected_max,
            seed.plate_increment_kg,
        ), seed.slug


def imports_of(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_migrations_import_no_live_model_or_loader() -> None:
    """A migration runs against the schema of its own day: importing today's models or loaders
    (whose columns and defaults move on) would break a fresh install later. Column types only."""
    files = sorted(SRC.glob("*/migrations/versions/*.py"))
    assert any(path.parts[-4] == "alloy" for path in files)
    offenders = {
        f"{path.relative_to(SRC)} imports {module}"
        for path in files
        for module in imports_of(path)
        if module.split(".")[0] in {"alloy", "firemode"}
        or (module.startswith("apikit") and module != "apikit.db.types")
    }
    assert offenders == set()
