"""Temporary files an upload leaves when its process is killed: swept once no live upload can own
them (at start-up, by ``firemode purge``), listed by ``firemode evidence verify``."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from firemode.cli import app as firemode_cli
from firemode.identity.roles import Role
from firemode.main import create_firemode_app
from firemode.settings import FireModeSettings
from tests.conftest import TEST_INTERNAL_SECRET, TEST_SECRET, asgi_client, settings_for
from tests.firemode.conftest import account
from tests.firemode.evidence.test_api import JPEG, multipart, spool_files

UPLOAD_TIMEOUT = 600.0


def leftover(directory: Path, name: str, age_seconds: float) -> Path:
    """A temporary file as a killed upload leaves it, last written ``age_seconds`` ago."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(b"half an upload")
    moment = time.time() - age_seconds
    os.utime(path, (moment, moment))
    return path


def stale_and_fresh(directory: Path) -> tuple[list[Path], list[Path]]:
    # Older than any upload may run (its time limit and the grace after it) vs. younger.
    stale_age = UPLOAD_TIMEOUT + 10 * 60
    stale = [
        leftover(directory, "upload-killed.part", stale_age),
        leftover(directory, "stage-killed", stale_age),  # the local store's cross-device copy
    ]
    fresh = [
        leftover(directory, "upload-running.part", UPLOAD_TIMEOUT - 60),
        leftover(directory, "stage-running", 1),
        leftover(directory, "not-ours.part", stale_age),  # only the service's own names are swept
    ]
    return stale, fresh


@pytest.mark.parametrize("store_url", [None, "memory:///"])
async def test_start_up_sweeps_what_no_live_upload_can_own(
    database_url_for: Callable[[str], str], tmp_path: Path, store_url: str | None
) -> None:
    settings = settings_for(
        "firemode",
        tmp_path,
        database_url_for("firemode"),
        evidence_store_url=store_url,
        evidence_upload_timeout_seconds=UPLOAD_TIMEOUT,
    )
    app = create_firemode_app(settings)
    stale, fresh = stale_and_fresh(app.state.evidence_store.temp_dir)
    async with app.router.lifespan_context(app):
        assert [path.exists() for path in stale] == [False, False]
        assert [path.exists() for path in fresh] == [True, True, True]


async def stalled_body(body: bytes, started: asyncio.Event) -> AsyncIterator[bytes]:
    """Half the body, then nothing: a phone that lost its signal mid-upload."""
    yield body[: len(body) // 2]
    started.set()
    await asyncio.Event().wait()
    yield body[len(body) // 2 :]


async def test_an_upload_has_a_time_limit(database_url_for: Callable[[str], str], tmp_path: Path) -> None:
    """Without one, a stalled upload held its temporary file for ever, and no sweep could tell it
    from a dead one."""
    settings = settings_for(
        "firemode", tmp_path, database_url_for("firemode"), evidence_upload_timeout_seconds=0.5
    )
    app = create_firemode_app(settings)
    async with asgi_client(app) as client:
        tech = await account(client, "t@firemode.example.com", Role.TECHNICIAN)
        body, content_type = multipart(JPEG, sha256_hash=hashlib.sha256(JPEG).hexdigest())
        started = asyncio.Event()
        response = await asyncio.wait_for(
            client.post(
                "/v1/evidence",
                content=stalled_body(body, started),
                headers={**tech.headers, "Content-Type": content_type},
            ),
            timeout=10,
        )
        assert started.is_set()
        assert response.status_code == 408, response.text
        problem = response.json()
        assert (problem["error_code"], problem["retryable"]) == ("FIRE-408", True)
        assert problem["details"] == {"timeout_seconds": 0.5}
        assert spool_files(client) == []
    await app.state.database.dispose()


def cli_environment(settings: FireModeSettings) -> dict[str, str]:
    return {
        "FIREMODE_ENV": "test",
        "FIREMODE_DATA_DIR": str(settings.data_dir),
        "FIREMODE_DATABASE_URL": settings.effective_database_url,
        "FIREMODE_SECRET_KEY": TEST_SECRET,
        "FIREMODE_INTERNAL_SECRET_KEY": TEST_INTERNAL_SECRET,
        "FIREMODE_EVIDENCE_UPLOAD_TIMEOUT_SECONDS": str(UPLOAD_TIMEOUT),
    }


async def test_verify_lists_stale_temp_files(database_url_for: Callable[[str], str], tmp_path: Path) -> None:
    settings = settings_for("firemode", tmp_path, database_url_for("firemode"))
    app = create_firemode_app(settings)
    stale, fresh = stale_and_fresh(app.state.evidence_store.temp_dir)
    await app.state.database.dispose()

    result = await asyncio.to_thread(
        CliRunner().invoke, firemode_cli, ["evidence", "verify"], env=cli_environment(settings)
    )
    assert result.exit_code == 0, result.output  # nothing stored is lost: reported, not a failure
    assert "2 stale temporary files" in result.stdout
    listed = sorted(line.split()[1] for line in result.stderr.splitlines() if line.startswith("STALE"))
    assert listed == sorted(str(path) for path in stale)
    assert all(path.exists() for path in stale + fresh)  # verify only reads
