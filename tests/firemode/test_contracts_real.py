"""The user's contract tests (seed 000), adapted only where the draft used a fake token."""

from __future__ import annotations

from tests.conftest import ServiceClient
from tests.firemode.conftest import Account


async def test_standardized_error_format(firemode: ServiceClient) -> None:
    response = await firemode.get("/v1/nonexistent")
    assert response.status_code == 404
    error = response.json()
    assert "transaction_id" in error
    assert error["error_code"] == "FIRE-404"
    assert error["retryable"] is True
    assert "message" in error


async def test_test_sessions_pagination(firemode: ServiceClient, technician: Account) -> None:
    # The draft sent "Bearer test-token" and accepted 200 or 401; a real login must get 200.
    response = await firemode.get("/v1/tests/sessions", headers=technician.headers)
    assert response.status_code == 200
    data = response.json()
    assert "data" in data
    assert "next_cursor" in data
    assert isinstance(data["data"], list)


async def test_health_endpoint(firemode: ServiceClient) -> None:
    response = await firemode.get("/health")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "ok"
