#!/usr/bin/env python3
"""Write docs/ERROR_RESPONSES.md from real answers of both services.

Each example is a real request to the real app (SQLite in a scratch directory); only the request
id and the timestamp are fixed so that the document is stable. ``tests/test_docs.py`` fails when the
committed file differs from what this script produces, so the examples cannot drift from the code.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from httpx import ASGITransport, AsyncClient

from apikit import migrations

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "ERROR_RESPONSES.md"
REQUEST_ID = "01890a5d-ac96-774b-bcce-b302099a8057"
MIGRATIONS = {"FireMode": "firemode:migrations", "Alloy": "alloy:migrations"}
_TIMESTAMP = re.compile(r'"timestamp": "[^"]+"')
CORS_ORIGINS = ["https://app.example.com"]


@dataclass(frozen=True)
class Example:
    title: str
    method: str
    path: str
    body: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


COMMON = [
    Example("Unknown route", "GET", "/v1/nonexistent-path"),
    Example("Wrong method", "DELETE", "/health"),
    Example("Body too large", "POST", "/v1/anything", b"{" + b" " * (2 * 1024 * 1024) + b"}"),
    Example("No token", "GET", "/v1/users/me"),
    Example("Invalid token", "GET", "/v1/users/me", headers={"Authorization": "Bearer not.a.token"}),
    Example("Malformed JSON", "POST", "/v1/auth/refresh", b'{"refresh_token": '),
    Example("Refresh token unknown", "POST", "/v1/auth/refresh", b'{"refresh_token": "made-up"}'),
    Example(
        "Refused CORS preflight",
        "OPTIONS",
        "/v1/users/me",
        headers={"Origin": "https://elsewhere.example.com", "Access-Control-Request-Method": "GET"},
    ),
]
EXAMPLES = {
    "firemode": [
        *COMMON,
        Example(
            "Wrong password",
            "POST",
            "/v1/auth/token",
            b"username=nobody%40example.com&password=wrong",
            "application/x-www-form-urlencoded",
        ),
    ],
    "alloy": [
        *COMMON,
        Example(
            "Wrong password", "POST", "/v1/auth/login", b'{"email": "nobody@example.com", "password": "x"}'
        ),
        Example(
            "Weak password",
            "POST",
            "/v1/auth/register",
            b'{"email": "ana@example.com", "password": "password1234", "name": "Ana"}',
        ),
        Example(
            "Invalid fields",
            "POST",
            "/v1/auth/register",
            b'{"email": "not-an-email", "password": 5, "name": ""}',
        ),
    ],
}


async def _answers(app: Any, examples: list[Example]) -> list[tuple[Example, int, dict[str, Any]]]:
    await migrations.upgrade(app.state.database, MIGRATIONS[app.title])
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    results = []
    async with AsyncClient(transport=transport, base_url="http://testserver") as client:
        for example in examples:
            headers = {"X-Request-ID": REQUEST_ID, "Content-Type": example.content_type, **example.headers}
            response = await client.request(
                example.method, example.path, content=example.body, headers=headers
            )
            results.append((example, response.status_code, response.json()))
    await app.state.database.dispose()
    return results


def _block(body: dict[str, Any]) -> str:
    text = json.dumps(body, indent=2, ensure_ascii=False)
    return _TIMESTAMP.sub('"timestamp": "2026-01-01T00:00:00Z"', text)


async def render() -> str:
    from alloy.main import create_alloy_app
    from alloy.settings import AlloySettings
    from firemode.main import create_firemode_app
    from firemode.settings import FireModeSettings

    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch)
        services = {
            ("FireMode (FR-5)", "firemode"): create_firemode_app(
                FireModeSettings(
                    env="test", data_dir=data_dir, log_level="WARNING", cors_origins=CORS_ORIGINS
                )
            ),
            ("Alloy (envelope)", "alloy"): create_alloy_app(
                AlloySettings(env="test", data_dir=data_dir, log_level="WARNING", cors_origins=CORS_ORIGINS)
            ),
        }
        lines = [
            "# Error responses",
            "",
            "Real bodies, produced by `scripts/error_examples.py` against the real apps (only the request",
            "id and the timestamp are fixed). The test suite regenerates them and fails when this file is",
            "out of date. The codes are listed in [ERROR_CODES.md](ERROR_CODES.md).",
            "",
        ]
        for (title, name), app in services.items():
            lines += [f"## {title}", ""]
            for example, status, body in await _answers(app, EXAMPLES[name]):
                lines += [f"### {example.title}: `{example.method} {example.path}` → {status}", ""]
                lines += ["```json", _block(body), "```", ""]
    return "\n".join(lines)


def main() -> int:
    TARGET.write_text(asyncio.run(render()))
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
