"""``serve``'s worker processes: one per core in production unless ``--workers`` says otherwise."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from apikit.cli import WORKER_HEALTHCHECK_SECONDS
from firemode.cli import app as firemode_cli
from tests.conftest import TEST_INTERNAL_SECRET, TEST_SECRET

CORES = os.cpu_count() or 1


def environment(tmp_path: Path, env: str) -> dict[str, str]:
    return {
        "FIREMODE_ENV": env,
        "FIREMODE_DATA_DIR": str(tmp_path),
        # A server database is migrated by its operator: serve starts without touching it.
        "FIREMODE_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:9/none",
        "FIREMODE_SECRET_KEY": TEST_SECRET,
        "FIREMODE_INTERNAL_SECRET_KEY": TEST_INTERNAL_SECRET,
    }


@pytest.mark.parametrize(
    ("env", "arguments", "workers"),
    [
        ("production", [], CORES),
        ("production", ["--workers", "3"], 3),
        ("development", [], 1),
        ("test", [], 1),
        ("development", ["--workers", "2"], 2),
    ],
)
def test_serve_starts_one_worker_per_core_in_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str, arguments: list[str], workers: int
) -> None:
    started: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.update(app=app, **options))
    result = CliRunner().invoke(firemode_cli, ["serve", *arguments], env=environment(tmp_path, env))
    assert result.exit_code == 0, result.output
    assert started["app"] == "firemode.main:create_app_from_env"
    assert started["workers"] == workers
    assert started["timeout_worker_healthcheck"] == WORKER_HEALTHCHECK_SECONDS  # a slow import is not death


def test_serve_refuses_no_workers(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        firemode_cli, ["serve", "--workers", "0"], env=environment(tmp_path, "production")
    )
    assert result.exit_code == 2
    assert "--workers" in result.output
