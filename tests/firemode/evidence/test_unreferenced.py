"""Blobs no evidence row refers to (a kill between the blob's move and the commit leaves one):
removed by ``firemode purge`` and at start-up once older than any upload may run, never while an
upload may still commit a row for them, and never when a row refers to them."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from obstore.store import LocalStore
from sqlalchemy import text
from typer.testing import CliRunner

from firemode.cli import app as firemode_cli
from firemode.evidence import orphans
from firemode.evidence.storage import (
    EvidenceStore,
    LocalEvidenceStore,
    ObjectEvidenceStore,
    blob_path,
)
from firemode.identity.roles import Role
from firemode.main import create_firemode_app
from tests.conftest import ServiceClient, asgi_client, settings_for
from tests.firemode.conftest import Account, account
from tests.firemode.evidence.test_api import JPEG, PDF, upload
from tests.firemode.evidence.test_temp_files import UPLOAD_TIMEOUT, cli_environment

KILLED_MID_COMMIT = b"\xff\xd8\xff\xe0 a photo whose upload was killed before its row committed"
IN_FLIGHT = b"\xff\xd8\xff\xe0 a photo whose upload is storing right now"
A_DAY = 24 * 3600


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Backend:
    """A store the test can age blobs in: the local directory, or an object store (obstore's
    local one, whose listing reports each object's last write as S3's does)."""

    def __init__(self, kind: str, app: FastAPI, tmp_path: Path) -> None:
        self.kind = kind
        if kind == "object":
            self.root = tmp_path / "bucket"
            app.state.evidence_store = ObjectEvidenceStore(
                LocalStore(self.root, mkdir=True), temp_dir=tmp_path / "evidence-tmp"
            )
        else:
            store = app.state.evidence_store
            assert isinstance(store, LocalEvidenceStore)
            self.root = store.root
        self.store: EvidenceStore = app.state.evidence_store

    def path_of(self, sha256: str) -> Path:
        return self.root / blob_path(sha256)

    def age(self, sha256: str, seconds: float) -> None:
        moment = time.time() - seconds
        os.utime(self.path_of(sha256), (moment, moment))

    async def put_orphan(self, data: bytes, age_seconds: float = 0.0) -> str:
        """A blob as a kill between its move into place and its row's commit leaves it."""
        self.store.temp_dir.mkdir(parents=True, exist_ok=True)
        temp = self.store.temp_dir / "upload-killed.part"
        temp.write_bytes(data)
        await self.store.put_file(sha(data), temp)
        if age_seconds:
            self.age(sha(data), age_seconds)
        return sha(data)

    async def stored(self) -> list[str]:
        return sorted([blob.sha256 async for blob in self.store.listing()])


@pytest.fixture
async def client(database_url_for: Callable[[str], str], tmp_path: Path) -> AsyncIterator[ServiceClient]:
    settings = settings_for(
        "firemode", tmp_path, database_url_for("firemode"), evidence_upload_timeout_seconds=UPLOAD_TIMEOUT
    )
    app = create_firemode_app(settings)
    async with asgi_client(app) as client:
        yield client
    await app.state.database.dispose()


@pytest.fixture(params=["local", "object"])
def backend(request: pytest.FixtureRequest, client: ServiceClient, tmp_path: Path) -> Backend:
    return Backend(request.param, client.app, tmp_path)


@pytest.fixture
async def tech(client: ServiceClient) -> Account:
    return await account(client, "tech@firemode.example.com", Role.TECHNICIAN)


async def stored_and_aged(client: ServiceClient, backend: Backend, who: Account) -> dict[str, Any]:
    """Three blobs: one an old upload's (referenced), one a killed upload's (old, unreferenced),
    one written just now with no row yet (young: possibly an upload in flight)."""
    referenced = await upload(client, who, PDF)
    assert referenced.status_code == 201, referenced.text
    backend.age(sha(PDF), A_DAY)
    old = await backend.put_orphan(KILLED_MID_COMMIT, age_seconds=A_DAY)
    young = await backend.put_orphan(IN_FLIGHT, age_seconds=UPLOAD_TIMEOUT - 60)
    assert await backend.stored() == sorted([sha(PDF), old, young])
    return referenced.json()


async def downloads(client: ServiceClient, who: Account, evidence: dict[str, Any]) -> bytes:
    response = await client.get(f"/v1/evidence/{evidence['evidence_id']}/content", headers=who.headers)
    assert response.status_code == 200, response.text
    return response.content


def run_cli(client: ServiceClient, *args: str) -> Any:
    result = CliRunner().invoke(firemode_cli, list(args), env=cli_environment(client.app.state.settings))
    assert result.exit_code == 0, result.output
    return result


async def test_purge_removes_old_unreferenced_blobs_and_counts_them(
    client: ServiceClient, tech: Account, tmp_path: Path
) -> None:
    backend = Backend("local", client.app, tmp_path)  # the CLI opens the store from the settings
    evidence = await stored_and_aged(client, backend, tech)

    before = await asyncio.to_thread(run_cli, client, "evidence", "verify")
    assert "3 unreferenced" not in before.stdout
    assert " 2 unreferenced (1 young, possibly uploads in flight; 1 old, which a purge removes)," in (
        before.stdout
    )
    assert f"YOUNG    {sha(IN_FLIGHT)}" in before.stderr.splitlines()
    assert f"OLD      {sha(KILLED_MID_COMMIT)}" in before.stderr.splitlines()

    result = await asyncio.to_thread(run_cli, client, "purge", "--json")
    assert json.loads(result.stdout)["unreferenced_blobs"] == 1
    assert await backend.stored() == sorted([sha(PDF), sha(IN_FLIGHT)])
    assert await downloads(client, tech, evidence) == PDF

    after = await asyncio.to_thread(run_cli, client, "evidence", "verify")
    assert " 1 unreferenced (1 young, possibly uploads in flight; 0 old, which a purge removes)," in (
        after.stdout
    )
    again = await asyncio.to_thread(run_cli, client, "purge", "--json")
    assert json.loads(again.stdout)["unreferenced_blobs"] == 0


async def test_start_up_removes_old_unreferenced_blobs(
    client: ServiceClient, backend: Backend, tech: Account
) -> None:
    evidence = await stored_and_aged(client, backend, tech)
    app = client.app
    async with app.router.lifespan_context(app):
        assert await backend.stored() == sorted([sha(PDF), sha(IN_FLIGHT)])
        assert await downloads(client, tech, evidence) == PDF


async def test_a_failing_sweep_never_stops_start_up(
    client: ServiceClient, tech: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = Backend("local", client.app, tmp_path)
    old = await backend.put_orphan(KILLED_MID_COMMIT, age_seconds=A_DAY)

    def unreadable(_store: EvidenceStore) -> AsyncIterator[Any]:
        raise OSError("the store's disk is not mounted yet")

    monkeypatch.setattr(LocalEvidenceStore, "listing", unreadable)
    app = client.app
    async with app.router.lifespan_context(app):
        assert (await client.get("/health")).status_code == 200
    monkeypatch.undo()
    assert await backend.stored() == [old]


# --- The race: the sweep against an upload of the same bytes ----------------------------------------


class PausingAtReuse:
    """The app's store, with a hook where an upload has found its bytes already stored (its
    dedupe decision) and has not committed its row yet: the moment a sweep must not delete."""

    def __init__(self, inner: EvidenceStore, at_reuse: Callable[[str], Awaitable[None]]) -> None:
        self._inner = inner
        self._at_reuse = at_reuse

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def put_file(self, sha256: str, path: Path) -> bool:
        stored = await self._inner.put_file(sha256, path)
        if not stored:
            await self._at_reuse(sha256)
        return stored


async def waiting_for_a_lock_or_done(app: FastAPI, sweep: asyncio.Task[int]) -> None:
    """Until the sweep ends or PostgreSQL shows one of this database's advisory locks requested
    and not granted (the sweep waiting for the upload's guard). Polls a state, bounded."""
    waiting = text(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
    )
    for _ in range(3000):
        if sweep.done():
            return
        async with app.state.database.read_sessions() as session:
            if await session.scalar(waiting):
                return
        await asyncio.sleep(0.01)
    raise AssertionError("the sweep neither ended nor waited for the upload's guard")


def sweep_kind(app: FastAPI) -> Callable[[int], Awaitable[int]]:
    (kind,) = [kind for kind in app.state.purgeable_kinds if kind.name == "unreferenced_blobs"]
    return kind.remove


@pytest.fixture
def guard_reached(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Set when the sweep asks for the guard that orders it with uploads of a blob (and may wait
    there): from then on, the sweep can only look at the blob after the upload is done."""
    reached = asyncio.Event()
    real = orphans.blob_guard

    @asynccontextmanager
    async def observed(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        reached.set()
        guard: AbstractAsyncContextManager[Any] = real(*args, **kwargs)
        async with guard as held:
            yield held

    monkeypatch.setattr(orphans, "blob_guard", observed)
    return reached


async def test_a_blob_a_concurrent_upload_reuses_is_never_removed(
    client: ServiceClient, backend: Backend, tech: Account, guard_reached: asyncio.Event
) -> None:
    """The sweep finds no row for an old blob while an upload of the same bytes has decided to
    reuse it and not committed yet: deleting it then would leave that upload's row without its
    evidence. The sweep runs exactly there, as far as it can go before the upload commits."""
    app = client.app
    old = await backend.put_orphan(JPEG, age_seconds=A_DAY)
    sweeps: list[asyncio.Task[int]] = []

    async def sweep_now(sha256: str) -> None:
        assert sha256 == old
        sweeps.append(asyncio.create_task(sweep_kind(app)(1000)))
        reached = asyncio.create_task(guard_reached.wait())
        # A sweep without a guard finishes here; one with a guard waits for this upload.
        await asyncio.wait([sweeps[0], reached], return_when=asyncio.FIRST_COMPLETED)
        reached.cancel()
        if app.state.database.dialect == "postgresql":
            # There the guard is a lock the sweep asks the server for: go on once it waits on it.
            await waiting_for_a_lock_or_done(app, sweeps[0])

    app.state.evidence_store = PausingAtReuse(backend.store, sweep_now)
    response = await upload(client, tech, JPEG)
    assert response.status_code == 201, response.text
    app.state.evidence_store = backend.store
    assert len(sweeps) == 1
    assert await sweeps[0] == 0
    assert await backend.stored() == [old]
    assert await downloads(client, tech, response.json()) == JPEG
    assert await sweep_kind(app)(1000) == 0  # referenced now: never a later sweep's either


async def test_a_blob_a_sweep_removed_is_stored_again_by_the_next_upload(
    client: ServiceClient, backend: Backend, tech: Account
) -> None:
    """The other order: the sweep removes the old blob first; an upload of the same bytes then
    finds nothing to reuse and stores them itself."""
    await backend.put_orphan(JPEG, age_seconds=A_DAY)
    assert await sweep_kind(client.app)(1000) == 1
    assert await backend.stored() == []
    response = await upload(client, tech, JPEG)
    assert response.status_code == 201, response.text
    assert await downloads(client, tech, response.json()) == JPEG
