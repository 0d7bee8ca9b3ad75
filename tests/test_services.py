"""Both services answer the kit's contract in their own format."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SERVICES, ServiceClient, asgi_client, settings_for


async def test_firemode_health(firemode: ServiceClient) -> None:
    response = await firemode.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_alloy_health(alloy: ServiceClient) -> None:
    response = await alloy.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_firemode_unknown_path_is_fire_404(firemode: ServiceClient) -> None:
    response = await firemode.get("/v1/nonexistent-path")
    assert response.status_code == 404
    assert response.json() == {
        "transaction_id": response.headers["X-Request-ID"],
        "error_code": "FIRE-404",
        "message": "No resource at /v1/nonexistent-path",
        "retryable": True,
    }


async def test_alloy_unknown_path_is_nf_envelope(alloy: ServiceClient) -> None:
    response = await alloy.get("/v1/nonexistent-path")
    assert response.status_code == 404
    body = response.json()
    assert body["data"] is None
    assert body["meta"]["request_id"] == response.headers["X-Request-ID"]
    assert body["meta"]["warnings"] == []
    assert body["errors"] == [
        {"code": "NF_ROUTE", "message": "No resource at /v1/nonexistent-path", "details": {}}
    ]


async def test_firemode_wrong_method_is_fire_405(firemode: ServiceClient) -> None:
    response = await firemode.post("/health")
    assert response.status_code == 405
    assert response.json()["error_code"] == "FIRE-405"
    assert response.json()["retryable"] is False


async def test_oversized_body_is_413_in_each_format(firemode: ServiceClient, alloy: ServiceClient) -> None:
    big = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    fire = await firemode.post("/v1/anything", content=big, headers={"Content-Type": "application/json"})
    assert fire.status_code == 413
    assert fire.json()["error_code"] == "FIRE-413"
    envelope = await alloy.post("/v1/anything", content=big, headers={"Content-Type": "application/json"})
    assert envelope.status_code == 413
    assert envelope.json()["errors"][0]["code"] == "VAL_PAYLOAD_TOO_LARGE"


async def test_ready_reports_the_database(service: tuple[object, ServiceClient]) -> None:
    _, client = service
    response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json()["dependencies"]["database"]["status"] == "ok"


async def test_login_with_the_database_down_is_a_503_in_each_format(tmp_path: Path) -> None:
    """The password is checked before the unit of work, reading the account on its own: a database
    that cannot be reached there is a 503 like anywhere else, never a 500."""
    unreachable = "postgresql+asyncpg://postgres@127.0.0.1:1/none"  # nothing listens on port 1
    for name, path, kwargs in [
        ("firemode", "/v1/auth/token", {"data": {"username": "a@example.com", "password": "a password"}}),
        ("alloy", "/v1/auth/login", {"json": {"email": "a@example.com", "password": "a password"}}),
    ]:
        settings = settings_for(name, tmp_path, unreachable, database_timeout_seconds=1.0)
        app = SERVICES[name].create_app(settings)
        async with asgi_client(app) as client:
            response = await client.post(path, **kwargs)
        assert response.status_code == 503, response.text
        body = response.json()
        assert body.get("error_code", "FIRE-503") == "FIRE-503"
        assert (
            body.get("errors", [{"code": "SYS_EXTERNAL_SERVICE_ERROR"}])[0]["code"]
            == "SYS_EXTERNAL_SERVICE_ERROR"
        )
        await app.state.database.dispose()
