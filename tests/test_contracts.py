"""Every operation of both services documents its success and its errors (KIT.md, contract checks)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from apikit.contracts import check_contracts
from tests.conftest import Service, ServiceClient

ROOT = Path(__file__).resolve().parents[1]


async def test_every_operation_keeps_the_contract(service: tuple[Service, ServiceClient]) -> None:
    spec, client = service
    assert check_contracts(client.app, spec.error_format) == []


async def test_documented_errors_use_the_service_format(service: tuple[Service, ServiceClient]) -> None:
    spec, client = service
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    assert spec.error_format.model.__name__ in schemas
    assert "HTTPValidationError" not in schemas


def test_the_pre_commit_script_passes() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/validate_contracts.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 contract problems" in result.stdout


def test_the_check_reports_what_is_missing(tmp_path: Path) -> None:
    """A route without summary or response model, with a vague operation id, is reported."""
    from fastapi import APIRouter

    from apikit.app import create_app
    from apikit.error_formats import FireErrorFormat
    from tests.kit.demo import DemoSettings

    router = APIRouter(prefix="/v1")

    @router.get("/things/{thing_id}", responses={404: {"description": "gone", "model": dict}})
    async def get(thing_id: int) -> dict[str, int]:  # a vague name, no summary, no response model
        return {"thing_id": thing_id}

    settings = DemoSettings(env="test", data_dir=tmp_path)
    app = create_app(
        settings=settings,
        title="bad",
        version="0",
        description="",
        error_format=FireErrorFormat(),
        routers=[router],
    )
    assert check_contracts(app, FireErrorFormat()) == [
        "GET /v1/things/{thing_id}: no summary",
        "GET /v1/things/{thing_id}: operation id 'get' is not a snake_case verb phrase",
        "GET /v1/things/{thing_id}: 404 is not documented in the service's error format",
    ]
