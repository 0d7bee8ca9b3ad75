"""The processing boundary: merging in `firemode sync-worker`, and what the API says when the
worker is down or silent."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from httpx import ASGITransport
from sqlalchemy import func, select

from apikit.auth.tokens import InternalTokens
from firemode.identity.models import User
from firemode.identity.roles import Role
from firemode.main import create_firemode_app
from firemode.sync.boundary import WORKER_AUDIENCE, SyncWorkerClient
from firemode.sync.models import SessionChange
from firemode.sync.worker import create_sync_worker_app
from tests.conftest import TEST_INTERNAL_SECRET, TEST_REDIS_URL, ServiceClient, asgi_client, settings_for
from tests.firemode.conftest import account, create_account

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


async def test_a_worker_refusing_the_apis_credentials_is_503_not_the_devices_401(
    tmp_path: Path, database_url_for: Callable[[str], str]
) -> None:
    """Secrets that differ between API and worker are the operator's to fix: a 401 would send the
    device to log in again and again. A user the worker no longer admits is still the user's 401."""
    url = database_url_for("firemode")
    other = settings_for("firemode", tmp_path, url, internal_secret_key="another-internal-secret-" + "z" * 40)
    worker = create_sync_worker_app(other)
    async with await api_with_worker(tmp_path, url, "http://worker", ASGITransport(app=worker)) as api:
        tech = await account(api, "t@firemode.example.com", Role.TECHNICIAN)
        session_id = str(uuid.uuid4())
        response = await post_results(api, tech.headers, session_id)
        assert response.status_code == 503, response.text
        assert response.json()["error_code"] == "FIRE-503"
        assert response.json()["retryable"] is True
        async with api.app.state.database.read_sessions() as session:
            assert await session.scalar(select(func.count()).select_from(SessionChange)) == 0
        await api.app.state.database.dispose()
    await worker.state.database.dispose()

    agreeing = create_sync_worker_app(settings_for("firemode", tmp_path, url))
    async with await api_with_worker(tmp_path, url, "http://worker", ASGITransport(app=agreeing)) as api:
        async with api.app.state.database.transactional() as session:
            (await session.get(User, tech.user_id)).is_active = False  # behind the API's back
        response = await post_results(api, tech.headers, str(uuid.uuid4()))
        assert response.status_code == 401, response.text
        assert response.json()["error_code"] == "FIRE-401"
        await api.app.state.database.dispose()
    await agreeing.state.database.dispose()


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


# --- the internal endpoint: who may call it, and for whom ---------------------------------------------

MERGE_PATH = "/internal/v1/tests/sessions/{}/results"


@pytest.fixture
async def worker(tmp_path: Path, database_url_for: Callable[[str], str]) -> AsyncIterator[ServiceClient]:
    """The worker app alone, on a database that has a few users (made through the API's service)."""
    url = database_url_for("firemode")
    api = create_firemode_app(settings_for("firemode", tmp_path, url))
    app = create_sync_worker_app(settings_for("firemode", tmp_path, url))
    async with asgi_client(app) as client:
        client.api = asgi_client(api)  # type: ignore[attr-defined]
        yield client
    await api.state.database.dispose()
    await app.state.database.dispose()


async def user(worker: ServiceClient, email: str, role: Role) -> uuid.UUID:
    return await create_account(worker.api, email, role)  # type: ignore[attr-defined]


def submission(caller_id: uuid.UUID, role: str) -> dict[str, Any]:
    return {"caller_id": str(caller_id), "caller_role": role, **BATCH}


def internal(worker: ServiceClient, token: str | None = None) -> dict[str, str]:
    return {"X-Internal-Authorization": token or worker.app.state.internal_tokens.issue(WORKER_AUDIENCE)}


async def test_an_internal_token_is_accepted_once(worker: ServiceClient) -> None:
    """A captured token replayed within its five minutes is refused (jti)."""
    tech = await user(worker, "t@firemode.example.com", Role.TECHNICIAN)
    headers = internal(worker)
    first = await worker.post(
        MERGE_PATH.format(uuid.uuid4()), json=submission(tech, "technician"), headers=headers
    )
    assert first.status_code == 200, first.text
    replay = await worker.post(
        MERGE_PATH.format(uuid.uuid4()), json=submission(tech, "technician"), headers=headers
    )
    assert replay.status_code == 401
    assert replay.json()["error_code"] == "FIRE-401"
    assert (
        await worker.post(
            MERGE_PATH.format(uuid.uuid4()), json=submission(tech, "technician"), headers=internal(worker)
        )
    ).status_code == 200


async def test_an_internal_token_living_past_five_minutes_is_refused(worker: ServiceClient) -> None:
    """Signed with the right key, but made to live an hour: the lifetime is the receiver's rule."""
    tech = await user(worker, "t@firemode.example.com", Role.TECHNICIAN)
    long_lived = InternalTokens(
        secret=TEST_INTERNAL_SECRET.encode(), issuer="firemode", lifetime=timedelta(hours=1)
    )
    response = await worker.post(
        MERGE_PATH.format(uuid.uuid4()),
        json=submission(tech, "technician"),
        headers=internal(worker, long_lived.issue(WORKER_AUDIENCE)),
    )
    assert response.status_code == 401
    assert response.json()["error_code"] == "FIRE-401"


async def test_only_firemode_roles_are_accepted(worker: ServiceClient) -> None:
    tech = await user(worker, "t@firemode.example.com", Role.TECHNICIAN)
    session_id = uuid.uuid4()
    response = await worker.post(
        MERGE_PATH.format(session_id), json=submission(tech, "root"), headers=internal(worker)
    )
    assert response.status_code == 422
    assert response.json()["error_code"] == "FIRE-422"


@pytest.mark.parametrize("who", ["nobody", "disabled", "other-role"])
async def test_an_unknown_caller_is_401_and_nothing_is_written(worker: ServiceClient, who: str) -> None:
    """The API vouches for a user; one that does not exist (or no longer as that role) is refused
    before any row is written for them, never a 500 from a foreign key."""
    tech = await user(worker, "t@firemode.example.com", Role.TECHNICIAN)
    caller, role = tech, "admin"
    if who == "nobody":
        caller = uuid.uuid4()
    elif who == "disabled":
        role = "technician"
        async with worker.app.state.database.transactional() as session:
            (await session.get(User, tech)).is_active = False
    session_id = uuid.uuid4()
    response = await worker.post(
        MERGE_PATH.format(session_id), json=submission(caller, role), headers=internal(worker)
    )
    assert response.status_code == 401, response.text
    assert response.json()["error_code"] == "FIRE-401"
    admin = await user(worker, "a@firemode.example.com", Role.ADMIN)
    ok = await worker.post(
        MERGE_PATH.format(session_id), json=submission(admin, "admin"), headers=internal(worker)
    )
    assert (ok.status_code, ok.json()["checkpoint"]) == (200, 1)  # the session is new: nothing was left


@pytest.mark.skipif(not TEST_REDIS_URL, reason="processes share spent tokens through Redis")
async def test_with_redis_a_token_spent_at_one_worker_is_refused_at_another(
    tmp_path: Path, database_url_for: Callable[[str], str], worker: ServiceClient
) -> None:
    tech = await user(worker, "t@firemode.example.com", Role.TECHNICIAN)
    namespace = worker.app.state.settings.namespace
    url = database_url_for("firemode")
    other = create_sync_worker_app(settings_for("firemode", tmp_path, url, redis_namespace=namespace))
    headers = internal(worker)
    async with asgi_client(other) as second:
        first = await worker.post(
            MERGE_PATH.format(uuid.uuid4()), json=submission(tech, "technician"), headers=headers
        )
        assert first.status_code == 200
        replay = await second.post(
            MERGE_PATH.format(uuid.uuid4()), json=submission(tech, "technician"), headers=headers
        )
        assert replay.status_code == 401
    await other.state.database.dispose()


# --- a batch and its retries: one application ------------------------------------------------------

UNSTAMPED = [{"op": "set", "path": "/assets/EXT-1/result", "value": "pass"}]


def keyed(caller: uuid.UUID, batch_id: uuid.UUID, fingerprint: str = "f" * 64) -> dict[str, Any]:
    return {
        "caller_id": str(caller),
        "caller_role": "technician",
        "changes": UNSTAMPED,
        "batch_id": str(batch_id),
        "fingerprint": fingerprint,
    }


async def log_of(worker: ServiceClient, session_id: uuid.UUID) -> list[tuple[str, int]]:
    async with worker.app.state.database.transactional() as session:
        rows = await session.execute(
            select(SessionChange.actor, SessionChange.counter).where(SessionChange.session_id == session_id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_twins_of_a_batch_reaching_the_worker_together_apply_it_once(worker: ServiceClient) -> None:
    """A retry arriving while the first attempt is still merging waits its turn, finds the batch
    recorded, and gets the first answer back."""
    tech = await user(worker, "t@firemode.example.com", Role.TECHNICIAN)
    session_id, batch_id = uuid.uuid4(), uuid.uuid4()
    first, second = await asyncio.gather(
        *(
            worker.post(MERGE_PATH.format(session_id), json=keyed(tech, batch_id), headers=internal(worker))
            for _ in range(2)
        )
    )
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json() == second.json()
    assert first.json()["applied"] == 1
    assert sorted(r.headers.get("Idempotent-Replayed", "") for r in (first, second)) == ["", "true"]
    assert await log_of(worker, session_id) == [(f"user-{tech}", 2)]


async def test_a_batch_id_for_another_request_is_409(worker: ServiceClient) -> None:
    tech = await user(worker, "t@firemode.example.com", Role.TECHNICIAN)
    session_id, batch_id = uuid.uuid4(), uuid.uuid4()
    applied = await worker.post(
        MERGE_PATH.format(session_id), json=keyed(tech, batch_id), headers=internal(worker)
    )
    assert applied.status_code == 200
    for target, fingerprint in ((session_id, "e" * 64), (uuid.uuid4(), "f" * 64)):
        reused = await worker.post(
            MERGE_PATH.format(target), json=keyed(tech, batch_id, fingerprint), headers=internal(worker)
        )
        assert reused.status_code == 409, reused.text
        assert reused.json()["retryable"] is False
    assert await log_of(worker, session_id) == [(f"user-{tech}", 2)]


async def test_without_a_batch_id_the_worker_merges_as_before(worker: ServiceClient) -> None:
    tech = await user(worker, "t@firemode.example.com", Role.TECHNICIAN)
    session_id = uuid.uuid4()
    body = {"caller_id": str(tech), "caller_role": "technician", "changes": UNSTAMPED}
    for _ in range(2):
        response = await worker.post(MERGE_PATH.format(session_id), json=body, headers=internal(worker))
        assert response.status_code == 200
        assert "Idempotent-Replayed" not in response.headers
    assert len(await log_of(worker, session_id)) == 2  # unstamped twice: two changes, as asked
    half = {**body, "batch_id": str(uuid.uuid4())}
    assert (
        await worker.post(MERGE_PATH.format(session_id), json=half, headers=internal(worker))
    ).status_code == 422


async def test_one_batch_id_sent_for_two_sessions_at_once_applies_one(worker: ServiceClient) -> None:
    """Different sessions do not share a row lock: the unique constraint on the batch id decides,
    and the loser is the 409 of a key reused for another request, never a 500."""
    tech = await user(worker, "t@firemode.example.com", Role.TECHNICIAN)
    sessions, batch_id = [uuid.uuid4(), uuid.uuid4()], uuid.uuid4()
    answers = await asyncio.gather(
        *(
            worker.post(MERGE_PATH.format(target), json=keyed(tech, batch_id), headers=internal(worker))
            for target in sessions
        )
    )
    assert sorted(answer.status_code for answer in answers) == [200, 409], [a.text for a in answers]
    logs = [await log_of(worker, target) for target in sessions]
    assert sorted(len(log) for log in logs) == [0, 1]
