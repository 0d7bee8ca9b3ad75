"""A real `firemode sync-worker` process, stopped and resumed: a retry after a timeout must not
apply the batch a second time.

The API gives up on a stopped worker (504) and frees the key for a retry, but the worker, once
resumed, still commits what it was sent. The retry has to resolve to that one application and get
its answer back.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from firemode.identity.roles import Role
from firemode.main import create_firemode_app
from tests.conftest import ServiceClient, asgi_client, settings_for
from tests.faults.conftest import running, service_env
from tests.firemode.conftest import Account, account

COMMIT_SECONDS = 15.0
# No actor and counter: the server stamps them, so nothing but the key tells a retry from a new change.
BATCH = {"changes": [{"op": "set", "path": "/assets/EXT-1/result", "value": "pass"}]}


async def wait_for_changes(
    api: ServiceClient, who: Account, session_id: str, count: int
) -> list[dict[str, Any]]:
    """The session's log once it holds ``count`` changes (the resumed worker commits on its own time)."""
    deadline = time.monotonic() + COMMIT_SECONDS
    while time.monotonic() < deadline:
        pulled = await api.get(f"/v1/tests/sessions/{session_id}/changes", headers=who.headers)
        if pulled.status_code == 200 and len(pulled.json()["data"]) >= count:
            return list(pulled.json()["data"])
        await asyncio.sleep(0.05)
    raise AssertionError(f"the worker did not commit {count} change(s) within {COMMIT_SECONDS}s")


async def test_a_retry_after_a_worker_timeout_applies_the_batch_once(
    tmp_path: Path, database_url_for: Callable[[str], str]
) -> None:
    url = database_url_for("firemode")
    namespace = f"test-{uuid.uuid4().hex}"
    data_dir = tmp_path / "worker"
    data_dir.mkdir()
    env = service_env("firemode", data_dir, url, REDIS_NAMESPACE=namespace)
    with running("firemode", env, tmp_path / "worker.log", command="sync-worker") as worker:
        settings = settings_for(
            "firemode",
            tmp_path,
            url,
            sync_url=worker.url,
            sync_timeout_seconds=1.0,
            redis_namespace=namespace,
        )
        app = create_firemode_app(settings)
        try:
            async with asgi_client(app) as api:
                tech = await account(api, "t@firemode.example.com", Role.TECHNICIAN)
                session_id = str(uuid.uuid4())
                path = f"/v1/tests/sessions/{session_id}/results"
                headers = {**tech.headers, "Idempotency-Key": "K"}

                assert worker.process is not None
                os.kill(worker.process.pid, signal.SIGSTOP)
                try:
                    timed_out = await api.post(path, json=BATCH, headers=headers)
                finally:
                    os.kill(worker.process.pid, signal.SIGCONT)
                assert timed_out.status_code == 504, timed_out.text
                assert timed_out.json()["error_code"] == "FIRE-504"
                # Resumed, the worker still applies what it was sent before the API gave up.
                first = await wait_for_changes(api, tech, session_id, 1)

                retry = await api.post(path, json=BATCH, headers=headers)
                assert retry.status_code == 200, retry.text
                log = await wait_for_changes(api, tech, session_id, 1)
                assert [(change["counter"], change["path"]) for change in log] == [
                    (2, "/assets/EXT-1/result")
                ]
                assert log == first
                # The retry gets the first answer back, marked as a replay.
                assert retry.headers.get("Idempotent-Replayed") == "true"
                answer = retry.json()
                assert (answer["applied"], answer["duplicates"], answer["checkpoint"]) == (1, 0, 1)
                assert answer["vector_clock"] == {f"user-{tech.user_id}": 2}
                # From now on the API's own key store answers, with the same first answer.
                again = await api.post(path, json=BATCH, headers=headers)
                assert (again.status_code, again.json()) == (200, answer)
                assert again.headers.get("Idempotent-Replayed") == "true"
        finally:
            await app.state.merge_boundary.close()
            await app.state.database.dispose()
