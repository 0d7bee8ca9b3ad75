"""The unit of work, portable types and a database that is down."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from apikit.cache import Cache
from apikit.db.engine import Database
from apikit.error_formats import EnvelopeErrorFormat, FireErrorFormat
from apikit.ids import new_id
from tests.conftest import TEST_SECRET, ServiceClient, asgi_client
from tests.kit.conftest import prepare_tables
from tests.kit.demo import DemoSettings, Item, create_demo_app


async def test_endpoint_success_commits(demo: ServiceClient) -> None:
    assert (await demo.post("/v1/items", json={"name": "kept", "category": "a"})).status_code == 201
    assert (await demo.get("/v1/items/count")).json() == 1


async def test_exception_after_a_write_rolls_it_back(demo: ServiceClient) -> None:
    response = await demo.post("/v1/items", json={"name": "explode-after-write", "category": "a"})
    assert response.status_code == 500
    assert (await demo.get("/v1/items/count")).json() == 0


async def test_timestamps_come_back_aware_and_in_utc(fire_demo: ServiceClient) -> None:
    sydney = timezone(timedelta(hours=11))
    local = datetime(2026, 3, 1, 9, 30, tzinfo=sydney)
    await fire_demo.post("/v1/items", json={"name": "n", "category": "c", "created_at": local.isoformat()})
    database: Database = fire_demo.app.state.database
    async with database.read_sessions() as session:
        stored = (await session.execute(select(Item.created_at))).scalar_one()
    assert stored.tzinfo is not None
    assert stored == local
    assert stored.utcoffset() == timedelta(0)


async def test_naive_timestamps_are_refused(fire_demo: ServiceClient) -> None:
    response = await fire_demo.post(
        "/v1/items", json={"name": "n", "category": "c", "created_at": "2026-03-01T09:30:00"}
    )
    assert response.status_code == 422


def test_ids_are_time_ordered_uuid7() -> None:
    ids = [new_id() for _ in range(1000)]
    assert all(identifier.version == 7 for identifier in ids)
    assert ids == sorted(ids)


async def test_transactional_helper_commits_and_rolls_back(fire_demo: ServiceClient) -> None:
    database: Database = fire_demo.app.state.database
    async with database.transactional(isolation_level="SERIALIZABLE") as session:
        session.add(Item(name="cli", category="x", created_at=datetime.now(UTC)))

    async def fail_after_a_write() -> None:
        async with database.transactional() as session:
            session.add(Item(name="lost", category="x", created_at=datetime.now(UTC)))
            await session.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await fail_after_a_write()
    assert (await fire_demo.get("/v1/items/count")).json() == 1


@pytest.mark.parametrize("error_format", [FireErrorFormat(), EnvelopeErrorFormat()], ids=["fire", "envelope"])
async def test_database_down_is_503_and_not_ready(tmp_path: Path, error_format: object) -> None:
    # Nothing listens on port 1: the connection is refused at once.
    settings = DemoSettings(
        env="test",
        data_dir=tmp_path,
        secret_key=TEST_SECRET,
        database_url="postgresql+asyncpg://postgres@127.0.0.1:1/none",
        database_timeout_seconds=1.0,
    )
    app = create_demo_app(settings, error_format)  # type: ignore[arg-type]
    async with asgi_client(app) as client:
        ready = await client.get("/ready")
        assert ready.status_code == 503
        assert ready.json() == {
            "status": "unavailable",
            "dependencies": {"database": {"status": "unavailable", "error": "ConnectionRefusedError"}},
        }
        response = await client.get("/v1/items/count")
        assert response.status_code == 503
        body = response.json()
        if "error_code" in body:
            assert body["error_code"] == "FIRE-503"
            assert body["retryable"] is True
        else:
            assert body["errors"][0]["code"] == "SYS_EXTERNAL_SERVICE_ERROR"
        assert (await client.get("/health")).json() == {"status": "ok"}
    await app.state.database.dispose()


async def test_no_free_connection_is_a_retryable_503(demo_settings: DemoSettings) -> None:
    """Every pooled connection busy past the timeout: the client may retry, it is not a 500."""
    settings = demo_settings.model_copy(update={"database_pool_size": 1, "database_timeout_seconds": 0.2})
    app = create_demo_app(settings, FireErrorFormat())
    await prepare_tables(app.state.database)
    item = {"name": "n", "category": "c"}
    async with asgi_client(app) as client:
        engine = app.state.database.engine
        async with engine.connect(), engine.connect():  # the pool and its overflow, held
            response = await client.post("/v1/items", json=item)
        assert response.status_code == 503, response.text
        assert (response.json()["error_code"], response.json()["retryable"]) == ("FIRE-503", True)
        again = await client.post("/v1/items", json=item)
        assert again.status_code == 201, again.text
    await app.state.database.dispose()


async def test_ready_when_the_database_answers(demo: ServiceClient) -> None:
    response = await demo.get("/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "dependencies": {"database": {"status": "ok", "error": None}},
    }


async def test_sqlite_writers_take_turns_instead_of_starving(fire_demo: ServiceClient) -> None:
    """More concurrent writers than the busy timeout could serve by polling the file lock: each
    holds the write lock for a while, yet all of them commit, first come first served."""
    database: Database = fire_demo.app.state.database
    if database.dialect != "sqlite":
        pytest.skip("the writer gate is SQLite's")
    database._writers._timeout_seconds = 30  # type: ignore[union-attr]
    order: list[int] = []

    async def writer(number: int) -> None:
        async with database.transactional() as session:
            session.add(Item(id=new_id(), name=f"w{number}", category="c", created_at=datetime.now(UTC)))
            await session.flush()  # the write lock is taken here and held until the commit
            order.append(number)
            await asyncio.sleep(0.05)

    await asyncio.gather(*(writer(number) for number in range(12)))
    assert order == list(range(12))
    async with database.read_sessions() as session:
        assert len((await session.execute(select(Item))).all()) == 12


async def test_a_unit_of_work_inside_another_does_not_wait_for_itself(fire_demo: ServiceClient) -> None:
    database: Database = fire_demo.app.state.database
    async with database.transactional(), database.transactional() as inner:
        inner.add(Item(id=new_id(), name="inner", category="c", created_at=datetime.now(UTC)))


async def test_cache_invalidation_waits_for_the_commit_and_skips_a_rollback(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'cache.sqlite3'}")
    cache = Cache(None, namespace="test")
    key_before = await cache.key("items", "list")
    async with database.transactional() as session:
        cache.invalidate_after_commit(session, "items")
        assert await cache.key("items", "list") == key_before  # not yet: the write may still fail
    key_after = await cache.key("items", "list")
    assert key_after != key_before

    async def failing_write() -> None:
        async with database.transactional() as session:
            cache.invalidate_after_commit(session, "items")
            raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        await failing_write()
    assert await cache.key("items", "list") == key_after  # nothing changed, nothing retired
    await database.dispose()
