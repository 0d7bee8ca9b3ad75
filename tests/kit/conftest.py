from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from apikit.db.engine import Database
from apikit.error_formats import EnvelopeErrorFormat, ErrorFormat, FireErrorFormat
from tests.conftest import (
    TEST_DATABASE_URL,
    TEST_INTERNAL_SECRET,
    TEST_SECRET,
    ServiceClient,
    _recreate_postgres_database,
    asgi_client,
    postgres_url_for,
)
from tests.kit.demo import Base, DemoSettings, create_demo_app

FORMATS: dict[str, ErrorFormat] = {"fire": FireErrorFormat(), "envelope": EnvelopeErrorFormat()}


@pytest.fixture(scope="session")
def demo_postgres_url() -> str | None:
    if not TEST_DATABASE_URL:
        return None
    import asyncio

    url = postgres_url_for("kitdemo")

    async def prepare() -> None:
        await _recreate_postgres_database(url)
        database = Database(url)
        async with database.engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        await database.dispose()

    asyncio.run(prepare())
    return url


@pytest.fixture
def demo_settings(tmp_path: Path, demo_postgres_url: str | None) -> DemoSettings:
    return DemoSettings(
        env="test",
        data_dir=tmp_path,
        secret_key=TEST_SECRET,
        internal_secret_key=TEST_INTERNAL_SECRET,
        database_url=demo_postgres_url,
        max_body_bytes=4096,
    )


async def prepare_tables(database: Database) -> None:
    async with database.engine.begin() as connection:
        if database.dialect == "postgresql":
            await connection.execute(text("TRUNCATE items"))
        else:
            await connection.run_sync(Base.metadata.create_all)


@pytest.fixture(params=sorted(FORMATS))
async def demo(request: pytest.FixtureRequest, demo_settings: DemoSettings) -> AsyncIterator[ServiceClient]:
    """The kit demo app in each error format, on a clean database."""
    app = create_demo_app(demo_settings, FORMATS[request.param])
    await prepare_tables(app.state.database)
    async with asgi_client(app) as client:
        yield client
    await app.state.database.dispose()


@pytest.fixture
async def fire_demo(demo_settings: DemoSettings) -> AsyncIterator[ServiceClient]:
    app = create_demo_app(demo_settings, FORMATS["fire"])
    await prepare_tables(app.state.database)
    async with asgi_client(app) as client:
        yield client
    await app.state.database.dispose()
