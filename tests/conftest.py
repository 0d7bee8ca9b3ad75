"""Fixtures shared by every test: real apps, real databases, one clean database per test.

SQLite (the default lane): each service is migrated once into a template file, and every test gets
its own copy. PostgreSQL (``TEST_DATABASE_URL``): each service gets its own database next to the
given one, migrated once; every test starts from tables emptied and given back their reference data.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import Connection, MetaData, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from alloy.catalogue.loader import load_shipped_catalogue
from alloy.cli import SERVICE as ALLOY_ENTRY
from alloy.database import Base as AlloyBase
from alloy.main import ERROR_FORMAT as ALLOY_FORMAT
from alloy.main import create_alloy_app
from alloy.settings import AlloySettings
from apikit.cli import ServiceEntry
from apikit.cli import migrate as migrate_as_the_cli_does
from apikit.db.engine import Database
from apikit.error_formats import ErrorFormat
from apikit.settings import ServiceSettings
from firemode.cli import SERVICE as FIREMODE_ENTRY
from firemode.database import Base as FireModeBase
from firemode.main import ERROR_FORMAT as FIREMODE_FORMAT
from firemode.main import create_firemode_app
from firemode.reference_data import load_shipped_reference_data
from firemode.settings import FireModeSettings

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
TEST_SECRET = "test-secret-" + "x" * 40
TEST_INTERNAL_SECRET = "test-internal-secret-" + "y" * 40


@dataclass(frozen=True)
class Service:
    name: str
    settings_class: type[ServiceSettings]
    create_app: Callable[[Any], FastAPI]
    metadata: MetaData
    migrations: str
    error_format: ErrorFormat
    entry: ServiceEntry  # its command line's, for `migrate`
    # What `migrate` loads besides the schema (Alloy's shipped catalogue, FireMode's routines and
    # classification rules), for a clean start where tables are emptied rather than copied (PostgreSQL).
    reference_data: Callable[[Connection], object] | None = None


SERVICES = {
    "firemode": Service(
        "firemode",
        FireModeSettings,
        create_firemode_app,
        FireModeBase.metadata,
        "firemode:migrations",
        FIREMODE_FORMAT,
        FIREMODE_ENTRY,
        reference_data=load_shipped_reference_data,
    ),
    "alloy": Service(
        "alloy",
        AlloySettings,
        create_alloy_app,
        AlloyBase.metadata,
        "alloy:migrations",
        ALLOY_FORMAT,
        ALLOY_ENTRY,
        reference_data=load_shipped_catalogue,
    ),
}


class ServiceClient(AsyncClient):
    """An HTTP client on a real app over ASGI; ``app`` is there for the few tests that need it."""

    app: FastAPI


def asgi_client(app: FastAPI, address: str = "127.0.0.1") -> ServiceClient:
    """``address`` is the peer the app sees (``request.client``), as a socket would give it."""
    client = ServiceClient(
        transport=ASGITransport(app=app, raise_app_exceptions=False, client=(address, 123)),
        base_url="http://testserver",
    )
    client.app = app
    return client


@asynccontextmanager
async def held_password_work(app: FastAPI, method: str) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """Calls of the app's password hasher ``method`` (``hash``, ``verify_and_update``) wait inside
    their thread until the block ends; ``await started()`` returns once one has entered."""
    password_hash = app.state.identity.hasher._hash
    entered, release = threading.Event(), threading.Event()
    real = getattr(password_hash, method)

    def held(*args: Any) -> Any:
        entered.set()
        release.wait()
        return real(*args)

    async def started() -> None:
        assert await asyncio.to_thread(entered.wait, 30)  # a guard against a hang, not a measure

    setattr(password_hash, method, held)
    try:
        yield started
    finally:
        release.set()
        setattr(password_hash, method, real)


# --- Databases ----------------------------------------------------------------------------------


async def _recreate_postgres_database(url: str) -> None:
    admin = create_async_engine(TEST_DATABASE_URL or "", isolation_level="AUTOCOMMIT")
    name = make_url(url).database
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()


def postgres_url_for(service: str) -> str:
    base = make_url(TEST_DATABASE_URL or "")
    return base.set(database=f"{base.database}_{service}").render_as_string(hide_password=False)


class MigratedTemplates:
    """Each service migrated once, on first use: a SQLite template file, or a PostgreSQL database.

    Migrating runs in a thread of its own, since tests ask from inside their event loop.
    """

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._urls: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        if name not in self._urls:
            with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
                self._urls[name] = pool.submit(asyncio.run, self._prepare(name)).result()
        return self._urls[name]

    async def _prepare(self, name: str) -> str:
        if TEST_DATABASE_URL:
            url = postgres_url_for(name)
            await _recreate_postgres_database(url)
        else:
            url = f"sqlite+aiosqlite:///{self._directory / f'{name}.sqlite3'}"
        database = Database(url)
        await migrate(SERVICES[name], database)
        await database.dispose()
        return url


async def migrate(service: Service, database: Database) -> None:
    """What the service's ``migrate`` command does: the schema, then its reference data."""
    await migrate_as_the_cli_does(service.entry, database)


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> MigratedTemplates:
    return MigratedTemplates(tmp_path_factory.mktemp("templates"))


async def reset_postgres_database(url: str, service: Service) -> None:
    """Empty every table, then put back what `migrate` loaded, in one transaction."""
    names = ", ".join(f'"{table.name}"' for table in service.metadata.sorted_tables)
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        if service.reference_data is not None:
            await connection.run_sync(service.reference_data)
    await engine.dispose()


@pytest.fixture
async def database_url_for(
    migrated_templates: MigratedTemplates, tmp_path: Path
) -> AsyncIterator[Callable[[str], str]]:
    """``database_url_for("firemode")``: a clean, migrated database for this test alone."""
    used: list[str] = []

    def url_for(name: str) -> str:
        used.append(name)
        if TEST_DATABASE_URL:
            return migrated_templates[name]
        template = Path(make_url(migrated_templates[name]).database or "")
        copy = tmp_path / f"{name}.sqlite3"
        if not copy.exists():
            shutil.copyfile(template, copy)
        return f"sqlite+aiosqlite:///{copy}"

    yield url_for
    if TEST_DATABASE_URL:
        for name in set(used):
            await reset_postgres_database(migrated_templates[name], SERVICES[name])


# --- Apps ---------------------------------------------------------------------------------------


def settings_for(name: str, tmp_path: Path, database_url: str, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "env": "test",
        "data_dir": tmp_path / name,
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "internal_secret_key": TEST_INTERNAL_SECRET,
        "password_hash_profile": "fast",
        "redis_url": TEST_REDIS_URL,
        "redis_namespace": f"test-{uuid.uuid4().hex}",  # each test its own keys in a shared Redis
        **overrides,
    }
    return SERVICES[name].settings_class(**values)


@pytest.fixture
async def firemode(database_url_for: Callable[[str], str], tmp_path: Path) -> AsyncIterator[ServiceClient]:
    app = create_firemode_app(settings_for("firemode", tmp_path, database_url_for("firemode")))
    async with asgi_client(app) as client:
        yield client
    await app.state.database.dispose()


@pytest.fixture
async def alloy(database_url_for: Callable[[str], str], tmp_path: Path) -> AsyncIterator[ServiceClient]:
    app = create_alloy_app(settings_for("alloy", tmp_path, database_url_for("alloy")))
    async with asgi_client(app) as client:
        yield client
    await app.state.database.dispose()


@pytest.fixture(params=["firemode", "alloy"])
async def service(
    request: pytest.FixtureRequest, database_url_for: Callable[[str], str], tmp_path: Path
) -> AsyncIterator[tuple[Service, ServiceClient]]:
    """Each service in turn, for contracts both must keep."""
    spec = SERVICES[request.param]
    app = spec.create_app(settings_for(spec.name, tmp_path, database_url_for(spec.name)))
    async with asgi_client(app) as client:
        yield spec, client
    await app.state.database.dispose()
