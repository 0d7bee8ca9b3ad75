"""The processing boundary: merging in `firemode sync-worker`, and what the API says when the
worker is down or silent."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from httpx import ASGITransport

from firemode.identity.roles import Role
from firemode.main import create_firemode_app
from firemode.sync.boundary import SyncWorkerClient
from firemode.sync.worker import create_sync_worker_app
from tests.conftest import ServiceClient, asgi_client, settings_for
from tests.firemode.conftest import account

BATCH = {
    "changes": [{"op": "set", "path": "/assets/EXT-1/result", "value": "pass", "actor": "d", "counter": 1}]
}


async def api_with_worker(
    tmp_path: Path, url: str, worker_url: str, transport: object = None
) -> ServiceClient:
    settings = settings_for("firemode", tmp_path, url, sync_url=worker_url, sync_timeout_seconds=0.5)
    app = create_firemode_app(settings)
    if transport is not None:
        app.state.merge_boundary = SyncWorkerClient(
            worker_url,
            app.state.internal_tokens,
            5.0,
            transport=transport,  # type: ignore[arg-type]
        )
    return asgi_client(app)


async def post_results(client: ServiceClient, headers: dict[str, str], session_id: str) -> object:
    return await client.post(
        f"/v1/tests/sessions/{session_id}/results",
        json=BATCH,
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )


async def test_the_worker_merges_for_the_api(tmp_path: Path, database_url_for: Callable[[str], str]) -> None:
    url = database_url_for("firemode")
    worker = create_sync_worker_app(settings_for("firemode", tmp_path, url))
    async with await api_with_worker(tmp_path, url, "http://worker", ASGITransport(app=worker)) as api:
        tech = await account(api, "t@firemode.example.com", Role.TECHNICIAN)
        session_id = str(uuid.uuid4())
        response = await post_results(api, tech.headers, session_id)
        assert response.status_code == 200
        assert response.json()["applied"] == 1
        # A conflict found by the worker comes back as the API's 409.
        clash = await api.post(
            f"/v1/tests/sessions/{session_id}/results",
            json={"changes": [{**BATCH["changes"][0], "value": "fail"}]},
            headers={**tech.headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert clash.status_code == 409
        assert clash.json()["details"]["accepted"]["value"] == "pass"
        detail = await api.get(f"/v1/tests/sessions/{session_id}", headers=tech.headers)
        assert detail.json()["results"] == {"assets": {"EXT-1": {"result": "pass"}}}
        await api.app.state.database.dispose()  # no lifespan under ASGITransport: ours to close
    await worker.state.database.dispose()


async def test_the_worker_refuses_anyone_but_the_api(
    tmp_path: Path, database_url_for: Callable[[str], str]
) -> None:
    url = database_url_for("firemode")
    worker = create_sync_worker_app(settings_for("firemode", tmp_path, url))
    async with asgi_client(worker) as client:
        path = f"/internal/v1/tests/sessions/{uuid.uuid4()}/results"
        body = {"caller_id": str(uuid.uuid4()), "caller_role": "admin", **BATCH}
        assert (await client.post(path, json=body)).status_code == 401
        user_token = worker.state.internal_tokens.issue("firemode-api")  # another audience
        assert (
            await client.post(path, json=body, headers={"X-Internal-Authorization": user_token})
        ).status_code == 401
    await worker.state.database.dispose()


async def test_worker_down_is_503_and_nothing_applied(
    tmp_path: Path, database_url_for: Callable[[str], str]
) -> None:
    # Nothing listens on port 1.
    async with await api_with_worker(tmp_path, database_url_for("firemode"), "http://127.0.0.1:1") as api:
        tech = await account(api, "t@firemode.example.com", Role.TECHNICIAN)
        session_id = str(uuid.uuid4())
        response = await post_results(api, tech.headers, session_id)
        assert response.status_code == 503
        assert response.json()["error_code"] == "FIRE-503"
        assert response.json()["retryable"] is True
        assert (await api.get(f"/v1/tests/sessions/{session_id}", headers=tech.headers)).status_code == 404
        await api.app.state.database.dispose()


@pytest.fixture
async def silent_worker() -> AsyncIterator[str]:
    """A real TCP peer that accepts a connection and never answers."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.close()


async def test_worker_timeout_is_504(
    tmp_path: Path, database_url_for: Callable[[str], str], silent_worker: str
) -> None:
    async with await api_with_worker(tmp_path, database_url_for("firemode"), silent_worker) as api:
        tech = await account(api, "t@firemode.example.com", Role.TECHNICIAN)
        response = await post_results(api, tech.headers, str(uuid.uuid4()))
        assert response.status_code == 504
        assert response.json()["error_code"] == "FIRE-504"
        assert response.json()["retryable"] is True
        await api.app.state.database.dispose()
