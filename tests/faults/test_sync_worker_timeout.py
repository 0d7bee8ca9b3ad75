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
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from firemode.identity.roles import Role
from firemode.main import create_firemode_app
from tests.conftest import (
    TEST_INTERNAL_SECRET,
    TEST_REDIS_URL,
    TEST_SECRET,
    ServiceClient,
    asgi_client,
    settings_for,
)
from tests.firemode.conftest import Account, account

STARTUP_SECONDS = 30.0  # a shared, busy machine: imports alone can take a few seconds
COMMIT_SECONDS = 15.0
# No actor and counter: the server stamps them, so nothing but the key tells a retry from a new change.
BATCH = {"changes": [{"op": "set", "path": "/assets/EXT-1/result", "value": "pass"}]}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def sync_worker(
    tmp_path: Path, database_url: str, namespace: str
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``firemode sync-worker`` on a free port, on the test's database; killed on the way out."""
    port = _free_port()
    env = {
        **os.environ,
        "FIREMODE_ENV": "test",
        "FIREMODE_DATA_DIR": str(tmp_path / "worker"),
        "FIREMODE_DATABASE_URL": database_url,
        "FIREMODE_SECRET_KEY": TEST_SECRET,
        "FIREMODE_INTERNAL_SECRET_KEY": TEST_INTERNAL_SECRET,
        "FIREMODE_REDIS_NAMESPACE": namespace,
        "FIREMODE_LOG_LEVEL": "WARNING",
    }
    env.pop("FIREMODE_REDIS_URL", None)
    env.pop("FIREMODE_SYNC_URL", None)
    if TEST_REDIS_URL:
        env["FIREMODE_REDIS_URL"] = TEST_REDIS_URL
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own console script, next to this interpreter
        [str(Path(sys.executable).with_name("firemode")), "sync-worker", "--port", str(port)],
        env=env,
        cwd=tmp_path,  # no .env of the repository's
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        process.kill()  # stopped or not
        process.wait(timeout=10)
        log.close()


async def wait_until_serving(process: subprocess.Popen[bytes], url: str, tmp_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    async with httpx.AsyncClient(base_url=url, timeout=0.5) as client:
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "worker.log").read_text()
            try:
                if (await client.get("/health")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"the worker did not serve within {STARTUP_SECONDS}s")


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
    with sync_worker(tmp_path, url, namespace) as (worker, worker_url):
        settings = settings_for(
            "firemode",
            tmp_path,
            url,
            sync_url=worker_url,
            sync_timeout_seconds=1.0,
            redis_namespace=namespace,
        )
        app = create_firemode_app(settings)
        try:
            async with asgi_client(app) as api:
                tech = await account(api, "t@firemode.example.com", Role.TECHNICIAN)
                await wait_until_serving(worker, worker_url, tmp_path)
                session_id = str(uuid.uuid4())
                path = f"/v1/tests/sessions/{session_id}/results"
                headers = {**tech.headers, "Idempotency-Key": "K"}

                os.kill(worker.pid, signal.SIGSTOP)
                try:
                    timed_out = await api.post(path, json=BATCH, headers=headers)
                finally:
                    os.kill(worker.pid, signal.SIGCONT)
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
