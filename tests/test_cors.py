"""CORS for configured origins: allowed preflights as Starlette answers them, rejected ones in the
service's error format."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from apikit.middleware import API_CSP
from tests.conftest import SERVICES, Service, ServiceClient, asgi_client, settings_for

ALLOWED = "https://app.example.com"
PATH = "/v1/users/me"


@pytest.fixture(params=["firemode", "alloy"])
async def cors_service(
    request: pytest.FixtureRequest, database_url_for: Callable[[str], str], tmp_path: Path
) -> AsyncIterator[tuple[Service, ServiceClient]]:
    spec = SERVICES[request.param]
    settings = settings_for(spec.name, tmp_path, database_url_for(spec.name), cors_origins=[ALLOWED])
    app = spec.create_app(settings)
    async with asgi_client(app) as client:
        yield spec, client
    await app.state.database.dispose()


def preflight(origin: str, method: str = "GET", headers: str = "authorization") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
        "X-Request-ID": "preflight-1",
    }


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PATCH", "DELETE"])
async def test_an_allowed_preflight_is_answered_as_before(
    cors_service: tuple[Service, ServiceClient], method: str
) -> None:
    _, client = cors_service
    response = await client.options(PATH, headers=preflight(ALLOWED, method))
    assert (response.status_code, response.text) == (200, "OK")
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert method in response.headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize(
    ("origin", "method", "headers", "rejected"),
    [
        ("https://evil.example.com", "GET", "authorization", ["origin"]),
        (ALLOWED, "TRACE", "authorization", ["method"]),
        (ALLOWED, "GET", "authorization, x-evil", ["headers"]),
        ("null", "PUT", "x-evil", ["origin", "headers"]),
    ],
)
async def test_a_rejected_preflight_answers_in_the_service_format(
    cors_service: tuple[Service, ServiceClient], origin: str, method: str, headers: str, rejected: list[str]
) -> None:
    spec, client = cors_service
    response = await client.options(PATH, headers=preflight(origin, method, headers))
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Request-ID"] == "preflight-1"
    assert response.headers["Content-Security-Policy"] == API_CSP
    assert "Origin" in response.headers["Vary"]
    message = "Disallowed CORS " + ", ".join(rejected)
    details = {"rejected": rejected}
    if spec.name == "firemode":
        assert response.json() == {
            "transaction_id": "preflight-1",
            "error_code": "FIRE-400",
            "message": message,
            "retryable": False,
            "details": details,
        }
    else:
        body = response.json()
        assert body["data"] is None
        assert body["meta"]["request_id"] == "preflight-1"
        assert body["errors"] == [{"code": "VAL_CORS_REJECTED", "message": message, "details": details}]


async def test_simple_requests_get_cors_headers_only_for_configured_origins(
    cors_service: tuple[Service, ServiceClient],
) -> None:
    _, client = cors_service
    allowed = await client.get("/health", headers={"Origin": ALLOWED})
    assert allowed.headers["Access-Control-Allow-Origin"] == ALLOWED
    other = await client.get("/health", headers={"Origin": "https://evil.example.com"})
    assert other.status_code == 200
    assert "Access-Control-Allow-Origin" not in other.headers
