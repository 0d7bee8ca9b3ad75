"""The user's final validation suite (seed 001), with a real login instead of "Bearer test-token"."""

from __future__ import annotations

import uuid

from tests.conftest import ServiceClient
from tests.firemode.conftest import Account


async def test_tdd_error_format_compliance(firemode: ServiceClient) -> None:
    """FR-5: the standardized error format."""
    response = await firemode.get("/v1/nonexistent-path")
    assert response.status_code == 404
    error = response.json()
    assert "transaction_id" in error
    assert error.get("error_code") == "FIRE-404"
    assert error.get("retryable") is True


async def test_tdd_pagination_compliance(firemode: ServiceClient, technician: Account) -> None:
    """FR-7: pagination, including the null cursor on the last page."""
    response = await firemode.get("/v1/tests/sessions?limit=500", headers=technician.headers)
    assert response.status_code == 200
    data = response.json()
    # On the final page of results, the contract requires the cursor to be null.
    assert data.get("next_cursor") is None


async def test_tdd_crdt_results_compliance(firemode: ServiceClient, technician: Account) -> None:
    """FR-4: CRDT submission with an idempotency key. 200 is a pass; 503/504 only when the
    processing side is down; anything else is a contract violation."""
    headers = {**technician.headers, "Idempotency-Key": str(uuid.uuid4())}
    payload = {"changes": [{"op": "set", "path": "/test", "value": "data"}]}
    response = await firemode.post(
        f"/v1/tests/sessions/{uuid.uuid4()}/results", json=payload, headers=headers
    )
    assert response.status_code in [200, 503, 504]


async def test_tdd_security_compliance(firemode: ServiceClient) -> None:
    """A 401 proves the endpoint is protected."""
    response = await firemode.get("/v1/tests/sessions")
    assert response.status_code == 401
    assert response.json()["error_code"] == "FIRE-401"
