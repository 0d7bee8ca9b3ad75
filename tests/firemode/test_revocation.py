"""The revocation list across processes, after Redis loses its data, and when it cannot answer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis

from firemode.identity.roles import Role
from firemode.main import create_firemode_app
from tests.conftest import TEST_REDIS_URL, asgi_client, settings_for
from tests.firemode.conftest import account


async def test_a_logout_reaches_every_worker(tmp_path: Path, database_url_for: Callable[[str], str]) -> None:
    """Two processes on one database, no Redis: the other worker refuses the token once it syncs."""
    url = database_url_for("firemode")
    worker_a = create_firemode_app(
        settings_for("firemode", tmp_path, url, redis_url=None, revocation_sync_seconds=0)
    )
    worker_b = create_firemode_app(
        settings_for("firemode", tmp_path, url, redis_url=None, revocation_sync_seconds=0)
    )
    async with asgi_client(worker_a) as a, asgi_client(worker_b) as b:
        tech = await account(a, "tech@firemode.example.com", Role.TECHNICIAN)
        assert (await b.get("/v1/users/me", headers=tech.headers)).status_code == 200
        assert (await a.post("/v1/auth/logout", headers=tech.headers)).status_code == 204
        assert (await b.get("/v1/users/me", headers=tech.headers)).status_code == 401
    for app in (worker_a, worker_b):
        await app.state.database.dispose()


@pytest.mark.skipif(not TEST_REDIS_URL, reason="needs Redis (the integration lane sets TEST_REDIS_URL)")
async def test_revocations_survive_redis_losing_its_data(
    tmp_path: Path, database_url_for: Callable[[str], str]
) -> None:
    settings = settings_for("firemode", tmp_path, database_url_for("firemode"))
    app = create_firemode_app(settings)
    async with asgi_client(app) as client:
        tech = await account(client, "tech@firemode.example.com", Role.TECHNICIAN)
        assert (await client.post("/v1/auth/logout", headers=tech.headers)).status_code == 204
        redis = Redis.from_url(TEST_REDIS_URL or "")
        keys = [key async for key in redis.scan_iter(f"{settings.namespace}:revocation:*")]
        assert keys, "the revocation was cached in Redis"
        await redis.delete(*keys)  # as after a restart of a Redis that keeps nothing on disk
        await redis.aclose()
        assert (await client.get("/v1/users/me", headers=tech.headers)).status_code == 401
    await app.state.database.dispose()


async def test_redis_down_fails_closed(tmp_path: Path, database_url_for: Callable[[str], str]) -> None:
    url = database_url_for("firemode")
    healthy = create_firemode_app(settings_for("firemode", tmp_path, url, redis_url=None))
    async with asgi_client(healthy) as client:
        tech = await account(client, "tech@firemode.example.com", Role.TECHNICIAN)
    await healthy.state.database.dispose()
    # Nothing listens on port 1: the check cannot be made, so the request is refused, not waved on.
    broken = create_firemode_app(
        settings_for("firemode", tmp_path, url, redis_url="redis://127.0.0.1:1/0", redis_timeout_seconds=0.5)
    )
    async with asgi_client(broken) as client:
        response = await client.get("/v1/users/me", headers=tech.headers)
        assert response.status_code == 503
        assert response.json()["error_code"] == "FIRE-503"
        ready = await client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["dependencies"]["redis"]["status"] == "unavailable"
    await broken.state.database.dispose()
