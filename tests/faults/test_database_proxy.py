"""A database that refuses or hangs: a real server answers 503/504 in its own format within its
configured timeout, and serves again by itself once the database is back (no restart).

PostgreSQL only: the server reaches the database through a TCP proxy the test controls; SQLite
is a file, with no network to break.
"""

from __future__ import annotations

import concurrent.futures
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.faults.conftest import (
    LOOPBACK,
    PASSWORD,
    ServerProcess,
    TcpProxy,
    create_user,
    requires_postgres,
    running,
    service_env,
)

pytestmark = [pytest.mark.faults, requires_postgres]

DATABASE_TIMEOUT = 0.5
# The answer must arrive; how long it took is not asserted. A statement on a connection that
# hangs is bounded by the driver's command timeout (a multiple of the database timeout), so the
# client waits comfortably longer than that.
CLIENT_TIMEOUT = DATABASE_TIMEOUT * 30


@dataclass(frozen=True)
class Probe:
    """Per service: a read that needs the database, an idempotent write, how its errors look."""

    service: str
    database_route: str
    write_route: str
    write_body: dict[str, Any]
    created: int

    def write(self, server: ServerProcess, headers: dict[str, str], key: str) -> httpx.Response:
        with httpx.Client(base_url=server.url, timeout=CLIENT_TIMEOUT) as client:
            return client.post(
                self.write_route, json=self.write_body, headers={**headers, "Idempotency-Key": key}
            )

    def applications(self, server: ServerProcess, headers: dict[str, str]) -> int:
        """How many times the write took effect."""
        if self.service == "firemode":
            response = get(server, f"{self.write_route.removesuffix('/results')}/changes", headers)
            assert response.status_code == 200, response.text
            return len(response.json()["data"])
        response = get(server, f"{self.database_route}?limit=100", headers)
        assert response.status_code == 200, response.text
        return len(response.json()["data"]["items"])

    def unavailable(self, response: httpx.Response) -> None:
        """A 503 or 504 in the service's own format, marked retryable."""
        assert response.status_code in (503, 504), response.text
        body = response.json()
        if self.service == "firemode":
            assert body["error_code"] == f"FIRE-{response.status_code}"
            assert body["retryable"] is True
            assert body["transaction_id"] == response.headers["X-Request-ID"]
        else:
            expected = {503: "SYS_EXTERNAL_SERVICE_ERROR", 504: "SYS_EXTERNAL_SERVICE_TIMEOUT"}
            assert [error["code"] for error in body["errors"]] == [expected[response.status_code]]
            assert body["data"] is None


PROBES = {
    "firemode": Probe(
        "firemode",
        "/v1/tests/sessions",
        f"/v1/tests/sessions/{uuid.uuid4()}/results",
        {
            "changes": [{"op": "set", "path": "/assets/EXT-1/result", "value": "pass"}]
        },  # stamped by the server
        200,
    ),
    "alloy": Probe(
        "alloy",
        "/v1/programs",
        "/v1/programs",
        {
            "name": "Outage",
            "goals": [{"goal": "strength", "weight": 10}],
            "duration_weeks": 8,
            "start_date": "2026-03-02",
            "days_per_week": 2,
        },
        201,
    ),
}
EMAIL = "someone@faults.example.com"


def through(proxy: TcpProxy, database_url: str) -> str:
    return make_url(database_url).set(host=LOOPBACK, port=proxy.port).render_as_string(hide_password=False)


def log_in(server: ServerProcess) -> dict[str, str]:
    with httpx.Client(base_url=server.url, timeout=CLIENT_TIMEOUT) as client:
        if server.service == "firemode":
            response = client.post("/v1/auth/token", data={"username": EMAIL, "password": PASSWORD})
            assert response.status_code == 200, response.text
            token = response.json()["access_token"]
        else:
            account = {"email": EMAIL, "password": PASSWORD, "name": "Someone"}
            response = client.post("/v1/auth/register", json=account)
            assert response.status_code == 201, response.text
            token = response.json()["data"]["tokens"]["access_token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(params=sorted(PROBES))
def behind_proxy(
    request: pytest.FixtureRequest, database_url_for: Callable[[str], str], tmp_path: Path
) -> Iterator[tuple[Probe, ServerProcess, TcpProxy, dict[str, str]]]:
    probe = PROBES[request.param]
    database_url = database_url_for(probe.service)
    upstream = make_url(database_url)
    with TcpProxy(upstream.host or LOOPBACK, upstream.port or 5432) as proxy:
        env = service_env(
            probe.service,
            tmp_path,
            through(proxy, database_url),
            DATABASE_TIMEOUT_SECONDS=str(DATABASE_TIMEOUT),
        )
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            made = (
                pool.submit(create_user, "firemode", env, EMAIL, "technician")
                if probe.service == "firemode"
                else None
            )
            with running(probe.service, env, tmp_path / "server.log") as server:
                if made is not None:
                    made.result()
                yield probe, server, proxy, log_in(server)


def get(server: ServerProcess, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    with httpx.Client(base_url=server.url, timeout=CLIENT_TIMEOUT) as client:
        return client.get(path, headers=headers or {})


def served(probe: Probe, server: ServerProcess, headers: dict[str, str]) -> None:
    response = get(server, probe.database_route, headers)
    assert response.status_code == 200, response.text
    ready = get(server, "/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["dependencies"]["database"]["status"] == "ok"


def not_ready(server: ServerProcess) -> None:
    ready = get(server, "/ready")
    assert ready.status_code == 503, ready.text
    body: dict[str, Any] = ready.json()
    assert body["status"] == "unavailable"
    assert body["dependencies"]["database"]["status"] == "unavailable"


def test_a_refusing_then_stalling_database_is_503_or_504_and_the_service_recovers_without_restart(
    behind_proxy: tuple[Probe, ServerProcess, TcpProxy, dict[str, str]],
) -> None:
    probe, server, proxy, headers = behind_proxy
    served(probe, server, headers)

    # Down: new connections refused, the pooled ones reset (as in a database restart).
    proxy.set_mode("refuse")
    proxy.cut()
    for _ in range(2):  # a broken pooled connection, then a refused new one
        probe.unavailable(get(server, probe.database_route, headers))
    probe.unavailable(probe.write(server, headers, "during-the-outage"))
    not_ready(server)
    proxy.set_mode("pass")
    served(probe, server, headers)
    # The write that failed left no claim behind: its retry applies, once.
    for _ in range(2):
        response = probe.write(server, headers, "during-the-outage")
        assert response.status_code == probe.created, response.text
    assert probe.applications(server, headers) == 1

    # Hung: the pool holds open connections again, and they stall with the new ones.
    proxy.set_mode("stall")
    for _ in range(2):
        probe.unavailable(get(server, probe.database_route, headers))
    not_ready(server)
    proxy.set_mode("pass")
    served(probe, server, headers)

    assert server.starts == 1
