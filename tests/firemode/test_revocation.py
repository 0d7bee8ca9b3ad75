"""The revocation list across processes: over the database without Redis, over pub/sub with it;
and failing closed whenever it cannot be known."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from firemode.identity.roles import Role
from firemode.main import create_firemode_app
from tests.conftest import TEST_REDIS_URL, ServiceClient, asgi_client, settings_for
from tests.faults.conftest import TcpProxy
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


needs_redis = pytest.mark.skipif(
    not TEST_REDIS_URL, reason="needs Redis (the integration lane sets TEST_REDIS_URL)"
)


async def status_becomes(client: ServiceClient, headers: dict[str, str], wanted: int) -> int:
    """GET /v1/users/me until it answers ``wanted``; the last status (a bound against a hang, not
    a measure: the change is expected within milliseconds, or within the feed's heartbeat)."""
    status = 0
    for _ in range(200):
        status = (await client.get("/v1/users/me", headers=headers)).status_code
        if status == wanted:
            return status
        await asyncio.sleep(0.05)
    return status


def redis_through(proxy: TcpProxy) -> str:
    return f"redis://127.0.0.1:{proxy.port}{urlsplit(TEST_REDIS_URL or '').path}"


@needs_redis
async def test_a_logout_in_one_process_is_refused_by_another_sharing_redis(
    tmp_path: Path, database_url_for: Callable[[str], str]
) -> None:
    """Two processes on one Redis: the logout is published and applied by the other, no database
    sync involved (the other one read the record before the logout, and never again)."""
    url, namespace = database_url_for("firemode"), f"test-{uuid.uuid4().hex}"
    worker_a = create_firemode_app(settings_for("firemode", tmp_path, url, redis_namespace=namespace))
    worker_b = create_firemode_app(settings_for("firemode", tmp_path, url, redis_namespace=namespace))
    async with asgi_client(worker_a) as a, asgi_client(worker_b) as b:
        tech = await account(a, "tech@firemode.example.com", Role.TECHNICIAN)
        admin = await account(a, "admin@firemode.example.com", Role.ADMIN)
        assert (await b.get("/v1/users/me", headers=tech.headers)).status_code == 200
        assert (await a.post("/v1/auth/logout", headers=tech.headers)).status_code == 204
        assert (await a.get("/v1/users/me", headers=tech.headers)).status_code == 401  # at once here
        assert await status_becomes(b, tech.headers, 401) == 401
        # "Tokens valid after" travels the same way: a disabled account is signed out everywhere.
        user = await account(a, "user@firemode.example.com", Role.TECHNICIAN)
        assert (await b.get("/v1/users/me", headers=user.headers)).status_code == 200
        disabled = await a.patch(
            f"/v1/users/{user.user_id}", json={"is_active": False}, headers=admin.headers
        )
        assert disabled.status_code == 200
        assert await status_becomes(b, user.headers, 401) == 401
        assert (await b.get("/v1/users/me", headers=admin.headers)).status_code == 200
    for app in (worker_a, worker_b):
        await app.state.identity.revocations.stop()
        await app.state.database.dispose()


@needs_redis
@pytest.mark.parametrize("outage", ["connection dropped", "Redis silent"])
async def test_without_its_subscription_a_process_fails_closed_then_reloads_the_record(
    tmp_path: Path, database_url_for: Callable[[str], str], outage: str
) -> None:
    """Worker A hears Redis through a proxy. While the proxy is down (every connection reset and
    new ones refused) or stalled (nothing flows, nothing closes), A answers 503; worker B logs a
    user out meanwhile, a message A never hears; once Redis is back A subscribes again, reloads
    from the database, and refuses that token."""
    url, namespace = database_url_for("firemode"), f"test-{uuid.uuid4().hex}"
    with TcpProxy("127.0.0.1", urlsplit(TEST_REDIS_URL or "").port or 6379) as proxy:
        overrides = {"redis_namespace": namespace, "redis_timeout_seconds": 0.5}
        worker_a = create_firemode_app(
            settings_for("firemode", tmp_path, url, redis_url=redis_through(proxy), **overrides)
        )
        worker_b = create_firemode_app(settings_for("firemode", tmp_path, url, **overrides))
        async with asgi_client(worker_a) as a, asgi_client(worker_b) as b:
            tech = await account(b, "tech@firemode.example.com", Role.TECHNICIAN)
            other = await account(b, "other@firemode.example.com", Role.TECHNICIAN)
            assert (await a.get("/v1/users/me", headers=tech.headers)).status_code == 200
            if outage == "connection dropped":
                proxy.set_mode("refuse")
                proxy.cut()
            else:
                proxy.set_mode("stall")
            down = await a.get("/v1/users/me", headers=other.headers)
            if down.status_code != 503:  # a stall is noticed after the heartbeat and the timeout
                assert await status_becomes(a, other.headers, 503) == 503
                down = await a.get("/v1/users/me", headers=other.headers)
            assert down.status_code == 503
            assert down.json()["error_code"] == "FIRE-503"
            assert (await b.post("/v1/auth/logout", headers=tech.headers)).status_code == 204
            assert (await a.get("/v1/users/me", headers=tech.headers)).status_code == 503
            if outage == "Redis silent":
                proxy.cut()  # what was held would flow again: the lost message is the point here
            proxy.set_mode("pass")
            assert await status_becomes(a, other.headers, 200) == 200
            assert (await a.get("/v1/users/me", headers=tech.headers)).status_code == 401
        for app in (worker_a, worker_b):
            await app.state.identity.revocations.stop()
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
