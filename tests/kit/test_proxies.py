"""Forwarded headers are believed only from the proxies the operator configured.

uvicorn itself trusts ``X-Forwarded-For`` from 127.0.0.1 unless told otherwise, so any local
process (or a reverse proxy on the same host that passes the header through) could name any
address and sidestep the per-address limits. The app is wrapped exactly as ``serve`` has uvicorn
wrap it, and a local peer sends two different forwarded addresses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn
from httpx import ASGITransport, AsyncClient

from apikit.cli import proxy_options
from firemode.main import create_firemode_app
from tests.conftest import settings_for


@pytest.mark.parametrize(
    ("trusted", "third_attempt"),
    [
        (None, 429),  # the default: no proxy is trusted, the limiter sees the peer
        ("10.0.0.9", 429),  # a proxy is configured, but this peer is not it
        ("127.0.0.1", 401),  # this peer is the configured proxy: its header names the client
    ],
    ids=["default", "other-proxy", "configured-proxy"],
)
async def test_forwarded_for_moves_the_limit_only_behind_a_configured_proxy(
    tmp_path: Path,
    database_url_for: Any,
    monkeypatch: pytest.MonkeyPatch,
    trusted: str | None,
    third_attempt: int,
) -> None:
    # The variable uvicorn reads, and both services' setting; unset, uvicorn would trust 127.0.0.1.
    if trusted is None:
        monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    else:
        monkeypatch.setenv("FORWARDED_ALLOW_IPS", trusted)
    settings = settings_for(
        "firemode", tmp_path, database_url_for("firemode"), login_rate_per_address="2/minute"
    )
    app = create_firemode_app(settings)
    config = uvicorn.Config(app, **proxy_options(settings))
    config.load()
    transport = ASGITransport(app=config.loaded_app, client=("127.0.0.1", 40000))
    async with AsyncClient(transport=transport, base_url="http://testserver") as client:

        async def attempt(forwarded_for: str) -> int:
            response = await client.post(
                "/v1/auth/token",
                data={"username": "nobody@firemode.example.com", "password": "wrong password"},
                headers={"X-Forwarded-For": forwarded_for},
            )
            return response.status_code

        assert [await attempt("203.0.113.1"), await attempt("203.0.113.1")] == [401, 401]
        assert await attempt("203.0.113.2") == third_attempt
    await app.state.database.dispose()
