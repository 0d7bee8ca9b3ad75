"""FireMode killed with SIGKILL while devices sync: results batches and evidence uploads in flight.

One crash serves every test of the module (a server start costs seconds): a technician's devices
send results batches (each with its own Idempotency-Key) and uploads concurrently, one upload is
held half-sent, and the server is killed once several of each were acknowledged, with requests
in flight. It is then started again on the same database and data directory, and each test checks
one promise against what the client saw.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import os
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from firemode.evidence.models import Evidence
from firemode.evidence.storage import LocalEvidenceStore
from firemode.sync.models import IdempotencyKey
from tests.conftest import MigratedTemplates
from tests.faults.conftest import (
    PASSWORD,
    ServerProcess,
    age_unfinished_claims,
    create_user,
    run_async,
    run_cli,
    scenario_database,
    service_env,
)
from tests.firemode.evidence.helpers import CONTENT_TYPE, multipart, part

pytestmark = pytest.mark.faults

TECHNICIAN = "tech@faults.example.com"
BATCHES = 40  # sent by BATCH_DEVICES devices at once; the kill comes long before the last
BATCH_DEVICES = 4
UPLOADS = 16
UPLOAD_DEVICES = 2
UPLOAD_BYTES = 48 * 1024
KILL_AFTER_RESULTS = 8  # acknowledged answers before the kill …
KILL_AFTER_UPLOADS = 4
SCENARIO_TIMEOUT = 60.0  # … bounded: the scenario fails rather than wait for ever
REQUEST_TIMEOUT = 30.0


@dataclass
class Batch:
    key: str
    body: dict[str, Any]
    sent: bool = False
    answer: dict[str, Any] | None = None  # the acknowledged answer, if one came back

    @property
    def note_path(self) -> str:
        """The change the server stamps itself: a second application would log it twice."""
        return str(self.body["changes"][1]["path"])


@dataclass
class Upload:
    content: bytes
    answer: dict[str, Any] | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class Crash:
    server: ServerProcess
    env: dict[str, str]
    database_url: str
    data_dir: Path
    session_id: str
    headers: dict[str, str]
    batches: list[Batch] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)
    temp_files_at_kill: list[Path] = field(default_factory=list)
    verify: subprocess.CompletedProcess[str] | None = None  # `firemode evidence verify` after the kill

    @property
    def temp_dir(self) -> Path:
        return self.data_dir / "evidence" / ".tmp"

    def blob_files(self) -> list[Path]:
        return sorted((self.data_dir / "evidence").glob("??/??/*"))


async def leave_a_blob_without_its_row(crash: Crash) -> None:
    """What a kill between ``put_file`` and the commit leaves: the blob in place, no row."""
    store = LocalEvidenceStore(crash.data_dir / "evidence")
    content = jpeg(UPLOAD_BYTES)
    store.temp_dir.mkdir(parents=True, exist_ok=True)
    spool = store.temp_dir / "upload-killed-mid-commit.part"
    spool.write_bytes(content)
    assert await store.put_file(hashlib.sha256(content).hexdigest(), spool)


def batch_body(number: int, device: int, counter: int) -> dict[str, Any]:
    return {
        "changes": [
            {
                "op": "set",
                "path": f"/assets/EXT-{number:03d}/result",
                "value": "pass",
                "actor": f"device-{device}",
                "counter": counter,
            },
            # Unstamped: the server gives it its own next counter, so applying it twice would log it twice.
            {"op": "set", "path": f"/assets/EXT-{number:03d}/note", "value": f"batch {number}"},
        ]
    }


def evidence_body(content: bytes) -> bytes:
    return multipart(
        part("file", content, filename="gauge.jpg"),
        part("sha256_hash", hashlib.sha256(content).hexdigest()),
    )


def jpeg(size: int) -> bytes:
    return b"\xff\xd8\xff\xe0" + os.urandom(size - 4)


async def log_in(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post("/v1/auth/token", data={"username": TECHNICIAN, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def drive_until_killed(crash: Crash) -> None:
    """Devices send results and uploads; once enough were acknowledged and an upload is half-sent,
    the server is killed while the rest are in flight."""
    killed = asyncio.Event()
    batches = asyncio.Queue[Batch]()
    uploads = asyncio.Queue[Upload]()
    for batch in crash.batches:
        batches.put_nowait(batch)
    for upload in crash.uploads:
        uploads.put_nowait(upload)
    acked = {"results": 0, "uploads": 0}

    async def results_device(client: httpx.AsyncClient) -> None:
        while not killed.is_set() and not batches.empty():
            batch = batches.get_nowait()
            batch.sent = True
            try:
                response = await client.post(
                    f"/v1/tests/sessions/{crash.session_id}/results",
                    json=batch.body,
                    headers={**crash.headers, "Idempotency-Key": batch.key},
                )
            except httpx.TransportError:
                return  # no answer: the server is gone
            assert response.status_code == 200, response.text
            batch.answer = response.json()
            acked["results"] += 1

    async def upload_device(client: httpx.AsyncClient) -> None:
        while not killed.is_set() and not uploads.empty():
            upload = uploads.get_nowait()
            try:
                response = await client.post(
                    "/v1/evidence",
                    content=evidence_body(upload.content),
                    headers={**crash.headers, "Content-Type": CONTENT_TYPE},
                )
            except httpx.TransportError:
                return
            assert response.status_code == 201, response.text
            upload.answer = response.json()
            acked["uploads"] += 1

    async def half_sent_upload(client: httpx.AsyncClient) -> None:
        """An upload whose device stops sending half-way, as a phone losing signal does."""
        body = evidence_body(jpeg(256 * 1024))

        async def chunks() -> AsyncIterator[bytes]:
            yield body[: len(body) // 2]
            await killed.wait()

        try:
            await client.post(
                "/v1/evidence", content=chunks(), headers={**crash.headers, "Content-Type": CONTENT_TYPE}
            )
        except httpx.TransportError:
            return
        raise AssertionError("a half-sent upload got an answer")

    async def killer() -> None:
        deadline = time.monotonic() + SCENARIO_TIMEOUT
        while not (
            acked["results"] >= KILL_AFTER_RESULTS
            and acked["uploads"] >= KILL_AFTER_UPLOADS
            and any(crash.temp_dir.glob("*"))
        ):
            assert time.monotonic() < deadline, f"no crash point within {SCENARIO_TIMEOUT}s: {acked}"
            await asyncio.sleep(0.01)
        crash.server.kill()
        crash.temp_files_at_kill = sorted(crash.temp_dir.glob("*"))
        killed.set()

    limits = httpx.Limits(max_connections=BATCH_DEVICES + UPLOAD_DEVICES + 1)
    async with httpx.AsyncClient(base_url=crash.server.url, timeout=REQUEST_TIMEOUT, limits=limits) as client:
        await asyncio.gather(
            killer(),
            half_sent_upload(client),
            *(results_device(client) for _ in range(BATCH_DEVICES)),
            *(upload_device(client) for _ in range(UPLOAD_DEVICES)),
        )


@pytest.fixture(scope="module")
def crash(migrated_templates: MigratedTemplates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crash]:
    directory = tmp_path_factory.mktemp("firemode-crash")
    data_dir = directory / "data"
    data_dir.mkdir()
    with scenario_database("firemode", migrated_templates, directory) as database_url:
        env = service_env("firemode", data_dir, database_url)
        server = ServerProcess("firemode", env, directory / "server.log")
        try:
            # Processes start in parallel: each one's imports cost seconds.
            with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
                made = pool.submit(create_user, "firemode", env, TECHNICIAN, "technician")
                server.start()
                made.result()

            async def prepare() -> Crash:
                async with httpx.AsyncClient(base_url=server.url, timeout=REQUEST_TIMEOUT) as client:
                    headers = await log_in(client)
                return Crash(server, env, database_url, data_dir, str(uuid.uuid4()), headers)

            scenario = run_async(prepare)
            scenario.batches = [
                Batch(f"batch-{n}", batch_body(n, n % BATCH_DEVICES, n // BATCH_DEVICES + 1))
                for n in range(BATCHES)
            ]
            scenario.uploads = [Upload(jpeg(UPLOAD_BYTES)) for _ in range(UPLOADS)]
            run_async(lambda: drive_until_killed(scenario))
            # The kill lands between a blob's move into place and its row's commit about one run
            # in seven; a blob left exactly so makes every run check that the restart sweeps it.
            run_async(lambda: leave_a_blob_without_its_row(scenario))
            # A sweep can only tell a dead upload's temp file or blob from a live one by its age:
            # the restart comes, as far as the files can tell, a day after the crash.
            day_ago = time.time() - 24 * 3600
            for leftover in [*scenario.temp_files_at_kill, *scenario.blob_files()]:
                if leftover.exists():
                    os.utime(leftover, (day_ago, day_ago))
            server.start()
            # After the restart's start-up sweeps, as an operator checks the store.
            scenario.verify = run_cli("firemode", env, "evidence", "verify")
            yield scenario
        finally:
            server.kill()


def acknowledged(crash: Crash) -> list[Batch]:
    return [batch for batch in crash.batches if batch.answer is not None]


def unanswered(crash: Crash) -> list[Batch]:
    """Batches in flight when the server died: sent, and no answer came back."""
    return [batch for batch in crash.batches if batch.sent and batch.answer is None]


async def change_log(client: httpx.AsyncClient, crash: Crash) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    since = 0
    while True:
        response = await client.get(
            f"/v1/tests/sessions/{crash.session_id}/changes", params={"since": since}, headers=crash.headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        changes += page["data"]
        since = page["checkpoint"]
        if not page["has_more"]:
            return changes


def client_of(crash: Crash) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=crash.server.url, timeout=REQUEST_TIMEOUT)


# --- Results ---------------------------------------------------------------------------------------


async def test_every_acknowledged_batch_is_in_the_change_log_after_a_kill(crash: Crash) -> None:
    assert crash.server.starts == 2
    assert len(acknowledged(crash)) >= KILL_AFTER_RESULTS
    async with client_of(crash) as client:
        log = await change_log(client, crash)
        document = (await client.get(f"/v1/tests/sessions/{crash.session_id}", headers=crash.headers)).json()
    logged = {(change["path"], change["actor"]) for change in log}
    for batch in acknowledged(crash):
        stamped, unstamped = batch.body["changes"]
        assert (stamped["path"], stamped["actor"]) in logged
        assert any(change["path"] == unstamped["path"] for change in log)
        asset = document["results"]["assets"][stamped["path"].split("/")[2]]
        assert asset == {"result": "pass", "note": unstamped["value"]}
    # The log's checkpoints are those the answers gave: nothing acknowledged was rolled back.
    checkpoints = [batch.answer["checkpoint"] for batch in acknowledged(crash) if batch.answer]
    assert max(change["seq"] for change in log) >= max(checkpoints)


async def test_no_batch_is_half_applied_after_a_kill(crash: Crash) -> None:
    """A batch is one transaction: the kill left each of its changes in the log, or none."""
    async with client_of(crash) as client:
        paths = [change["path"] for change in await change_log(client, crash)]
    for batch in crash.batches:
        present = [change["path"] in paths for change in batch.body["changes"]]
        assert present in ([True, True], [False, False]), batch.key


async def test_unanswered_batches_retried_with_their_key_apply_exactly_once(crash: Crash) -> None:
    pending = unanswered(crash)
    assert pending, "the kill left no batch unanswered"

    async def retry_all(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await client.post(
                f"/v1/tests/sessions/{crash.session_id}/results",
                json=batch.body,
                headers={**crash.headers, "Idempotency-Key": batch.key},
            )
            for batch in pending
        ]

    async with client_of(crash) as client:
        for response in await retry_all(client):
            # The dead request's claim is still held: a retryable 409, never a second application.
            if response.status_code != 200:
                assert response.status_code == 409, response.text
                assert response.json()["retryable"] is True
                assert response.headers["Retry-After"]
        await age_unfinished_claims(crash.database_url, IdempotencyKey)
        answers = await retry_all(client)
        assert [response.status_code for response in answers] == [200] * len(pending), [
            a.text for a in answers
        ]
        log = await change_log(client, crash)
    for batch in pending:
        assert sum(change["path"] == batch.note_path for change in log) == 1, batch.key
    for batch in acknowledged(crash):
        assert sum(change["path"] == batch.note_path for change in log) == 1, batch.key


# --- Uploads ---------------------------------------------------------------------------------------


async def test_every_acknowledged_upload_is_downloadable_byte_for_byte_after_a_kill(crash: Crash) -> None:
    stored = [upload for upload in crash.uploads if upload.answer is not None]
    assert len(stored) >= KILL_AFTER_UPLOADS
    async with client_of(crash) as client:
        for upload in stored:
            assert upload.answer is not None
            response = await client.get(
                f"/v1/evidence/{upload.answer['evidence_id']}/content", headers=crash.headers
            )
            assert response.status_code == 200, response.text
            assert response.content == upload.content


def test_evidence_verify_is_clean_after_a_kill(crash: Crash) -> None:
    """After the restart: every blob intact, none missing, and none unreferenced (the start-up
    sweep removed what the kill left between a blob's move and its row's commit)."""
    done = crash.verify
    assert done is not None
    assert done.returncode == 0, done.stdout + done.stderr
    assert " 0 mismatched, 0 missing, 0 unreferenced," in done.stdout, done.stdout


async def test_a_blob_without_a_row_is_never_an_acknowledged_upload(crash: Crash) -> None:
    """Every evidence row has its blob, and every acknowledged upload has both; after the restart
    no blob is without a row either (the start-up sweep removed those the kill left)."""
    blobs = {path.name for path in crash.blob_files()}
    engine = create_async_engine(crash.database_url)
    try:
        async with engine.connect() as connection:
            rows = set((await connection.scalars(select(Evidence.sha256))).all())
    finally:
        await engine.dispose()
    acknowledged = {upload.sha256 for upload in crash.uploads if upload.answer is not None}
    assert acknowledged <= rows
    assert blobs == rows


def test_no_upload_temp_file_is_left_after_a_kill_and_restart(crash: Crash) -> None:
    assert crash.temp_files_at_kill, "the kill left no temp file: the scenario proves nothing"
    assert sorted(crash.temp_dir.glob("*")) == []
