"""`/ready` checks what FireMode is configured to depend on beyond its database and Redis: an
object store for evidence, and the sync worker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from httpx import ASGITransport

from firemode.evidence.storage import ObjectEvidenceStore
from firemode.main import create_firemode_app
from firemode.sync.boundary import SyncWorkerClient
from firemode.sync.worker import create_sync_worker_app
from tests.conftest import asgi_client, settings_for


async def ready(tmp_path: Path, url: str, **settings: Any) -> tuple[int, dict[str, Any]]:
    app = create_firemode_app(settings_for("firemode", tmp_path, url, **settings))
    async with asgi_client(app) as client:
        response = await client.get("/ready")
    await app.state.database.dispose()
    return response.status_code, response.json()


async def test_a_local_evidence_directory_is_not_a_dependency(
    tmp_path: Path, database_url_for: Callable[[str], str]
) -> None:
    status, body = await ready(tmp_path, database_url_for("firemode"))
    assert status == 200
    assert body["status"] == "ready"
    assert "evidence_store" not in body["dependencies"]
    assert "sync_worker" not in body["dependencies"]


async def test_a_reachable_object_store_is_ready(
    tmp_path: Path, database_url_for: Callable[[str], str]
) -> None:
    status, body = await ready(tmp_path, database_url_for("firemode"), evidence_store_url="memory:///")
    assert status == 200
    assert body["status"] == "ready"
    assert body["dependencies"]["evidence_store"] == {"status": "ok", "error": None}


async def test_an_unreachable_object_store_is_a_503(
    tmp_path: Path, database_url_for: Callable[[str], str]
) -> None:
    settings = settings_for(
        "firemode", tmp_path, database_url_for("firemode"), evidence_store_url="memory:///"
    )
    app = create_firemode_app(settings)
    # Nothing listens on port 9; no retries, so the probe fails at once rather than at its timeout.
    app.state.evidence_store = ObjectEvidenceStore.from_url(
        "http://127.0.0.1:9/evidence",
        client_options={"allow_http": True, "connect_timeout": "1s", "timeout": "2s"},
        retry_config={"max_retries": 0, "retry_timeout": timedelta(seconds=1)},
    )
    async with asgi_client(app) as client:
        response = await client.get("/ready")
    await app.state.database.dispose()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["dependencies"]["evidence_store"]["status"] == "unavailable"
    assert body["dependencies"]["database"]["status"] == "ok"


async def test_a_running_sync_worker_is_ready(tmp_path: Path, database_url_for: Callable[[str], str]) -> None:
    url = database_url_for("firemode")
    worker = create_sync_worker_app(settings_for("firemode", tmp_path, url))
    app = create_firemode_app(settings_for("firemode", tmp_path, url, sync_url="http://worker"))
    app.state.merge_boundary = SyncWorkerClient(
        "http://worker", app.state.internal_tokens, 5.0, transport=ASGITransport(app=worker)
    )
    async with asgi_client(app) as client:
        response = await client.get("/ready")
    await app.state.database.dispose()
    await worker.state.database.dispose()
    assert response.status_code == 200, response.text
    assert response.json()["dependencies"]["sync_worker"] == {"status": "ok", "error": None}


async def test_a_sync_worker_that_is_down_is_a_503(
    tmp_path: Path, database_url_for: Callable[[str], str]
) -> None:
    # Nothing listens on port 1; the probe is bounded by the worker's timeout either way.
    status, body = await ready(
        tmp_path, database_url_for("firemode"), sync_url="http://127.0.0.1:1", sync_timeout_seconds=0.5
    )
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["dependencies"]["sync_worker"]["status"] == "unavailable"
    assert body["dependencies"]["database"]["status"] == "ok"
