"""Models and migrations agree, and every migration can be undone and redone, on each database."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from apikit import migrations
from apikit.db.engine import Database
from tests.conftest import SERVICES


@pytest.mark.parametrize("name", sorted(SERVICES))
async def test_models_match_migrations(name: str, database_url_for: Callable[[str], str]) -> None:
    database = Database(database_url_for(name))
    try:
        assert await migrations.schema_drift(database, SERVICES[name].metadata) == []
        assert not await migrations.is_behind(database, SERVICES[name].migrations)
    finally:
        await database.dispose()


@pytest.mark.parametrize("name", sorted(SERVICES))
async def test_downgrade_then_upgrade(name: str, database_url_for: Callable[[str], str]) -> None:
    service = SERVICES[name]
    database = Database(database_url_for(name))
    try:
        await migrations.downgrade(database, service.migrations, "base")
        assert await migrations.is_behind(database, service.migrations) == bool(service.metadata.tables)
        await migrations.upgrade(database, service.migrations)
        assert await migrations.schema_drift(database, service.metadata) == []
    finally:
        await database.dispose()
