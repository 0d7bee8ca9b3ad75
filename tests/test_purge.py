"""``firemode purge`` / ``alloy purge`` and the purge inside ``serve``: what has expired goes and is
counted, what still means something stays, and nothing of FireMode's records is ever touched."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi import FastAPI
from sqlalchemy import func, select
from typer.testing import CliRunner

from alloy.cli import app as alloy_cli
from alloy.identity.roles import Role as AlloyRole
from alloy.programs.models import ProgramIdempotencyKey
from apikit.auth.identity import hash_refresh_token
from apikit.ids import utcnow
from apikit.purge import PurgeableKind
from apikit.settings import ServiceSettings
from firemode.cli import app as firemode_cli
from firemode.evidence.models import Evidence
from firemode.identity.models import SecurityEvent
from firemode.identity.roles import Role as FireRole
from firemode.sessions import models as sessions
from firemode.sync.models import AppliedBatch, IdempotencyKey, SessionChange
from tests.alloy.conftest import member
from tests.conftest import (
    SERVICES,
    TEST_INTERNAL_SECRET,
    TEST_SECRET,
    ServiceClient,
    asgi_client,
    settings_for,
)
from tests.firemode.conftest import account
from tests.firemode.evidence.test_api import JPEG, upload
from tests.firemode.evidence.test_temp_files import stale_and_fresh


@dataclass(frozen=True)
class Flavour:
    """What differs between the two services for these tests."""

    cli: typer.Typer
    idempotency_model: Any
    env_prefix: str


FLAVOURS = {
    "firemode": Flavour(firemode_cli, IdempotencyKey, "FIREMODE_"),
    "alloy": Flavour(alloy_cli, ProgramIdempotencyKey, "ALLOY_"),
}


async def sign_up(name: str, client: ServiceClient, email: str) -> tuple[uuid.UUID, dict[str, Any]]:
    """A user and the tokens of a real login."""
    if name == "firemode":
        who = await account(client, email, FireRole.TECHNICIAN)
        return who.user_id, who.tokens
    athlete = await member(client, email, AlloyRole.USER)
    return athlete.user_id, athlete.tokens


def refresh_refused_as(name: str, response: Any) -> str:
    assert response.status_code == 401, response.text
    if name == "firemode":
        return "reused" if "already used" in response.json()["message"] else "invalid"
    return {"AUTH_TOKEN_REUSED": "reused", "AUTH_INVALID_TOKEN": "invalid"}[
        response.json()["errors"][0]["code"]
    ]


async def run_purge(name: str, settings: ServiceSettings, *args: str) -> Any:
    """The real CLI, in a thread of its own (it runs its own event loop)."""
    prefix = FLAVOURS[name].env_prefix
    env = {
        f"{prefix}ENV": "test",
        f"{prefix}DATA_DIR": str(settings.data_dir),
        f"{prefix}DATABASE_URL": settings.effective_database_url,
        f"{prefix}SECRET_KEY": TEST_SECRET,
        f"{prefix}INTERNAL_SECRET_KEY": TEST_INTERNAL_SECRET,
        f"{prefix}PASSWORD_HASH_PROFILE": "fast",
    }
    if name == "firemode":
        env[f"{prefix}EVIDENCE_UPLOAD_TIMEOUT_SECONDS"] = "600"
    result = await asyncio.to_thread(CliRunner().invoke, FLAVOURS[name].cli, ["purge", *args], env=env)
    assert result.exit_code == 0, result.output
    return result


async def seed_expiring_rows(name: str, app: FastAPI, user_id: uuid.UUID) -> None:
    """Of each kind: rows expired long enough to go, and rows that still mean something."""
    now = utcnow()
    models = app.state.identity.models
    keys = FLAVOURS[name].idempotency_model
    refresh, revoked = models.refresh_token, models.revoked_token
    dead_family, living_family = uuid.uuid4(), uuid.uuid4()

    def key_row(key: str, expires_in: timedelta, **values: Any) -> Any:
        return keys(
            caller=str(user_id),
            key=key,
            fingerprint="0" * 64,
            expires_at=now + expires_in,
            lease_expires_at=now - timedelta(hours=1),
            **values,
        )

    def refresh_row(token: str, family: uuid.UUID, expires_in: timedelta, **values: Any) -> Any:
        return refresh(
            user_id=user_id,
            family_id=family,
            token_hash=hash_refresh_token(token),
            expires_at=now + expires_in,
            **values,
        )

    async with app.state.database.transactional() as session:
        session.add_all(
            [
                key_row("expired", -timedelta(minutes=1), completed_at=now, response_status=201),
                key_row("answered", timedelta(hours=20), completed_at=now, response_status=201),
                # A dead request's claim within its 24 hours: the next request takes it over.
                key_row("dead-claim", timedelta(hours=20)),
                revoked(jti="expired-jti", user_id=user_id, expires_at=now - timedelta(hours=2)),
                # Every token of this family expired over a refresh lifetime ago: it goes whole.
                refresh_row("dead-1", dead_family, -timedelta(days=45), used_at=now - timedelta(days=70)),
                refresh_row("dead-2", dead_family, -timedelta(days=31)),
                # Its first token expired as long ago, but its newest lives: reuse detection needs both.
                refresh_row("spent", living_family, -timedelta(days=45), used_at=now - timedelta(days=70)),
                refresh_row("newest", living_family, timedelta(days=10)),
            ]
        )


async def count(app: FastAPI, model: Any) -> int:
    async with app.state.database.read_sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("name", ["firemode", "alloy"])
async def test_purge_removes_what_expired_and_counts_it(
    name: str, database_url_for: Callable[[str], str], tmp_path: Path
) -> None:
    settings = settings_for(name, tmp_path, database_url_for(name), redis_url=None)
    app = SERVICES[name].create_app(settings)
    async with asgi_client(app) as client:
        user_id, tokens = await sign_up(name, client, "someone@example.com")
        _, signed_out = await sign_up(name, client, "other@example.com")
        logout = await client.post(
            "/v1/auth/logout", headers={"Authorization": f"Bearer {signed_out['access_token']}"}
        )
        assert logout.status_code == 204  # a revocation whose token has not expired yet
        await seed_expiring_rows(name, app, user_id)

        result = await run_purge(name, settings)
        lines = result.stdout.splitlines()
        assert lines[:3] == [
            "revoked_tokens: 1 removed",
            "refresh_tokens: 2 removed",
            "idempotency_keys: 1 removed",
        ]
        models = app.state.identity.models
        assert await count(app, FLAVOURS[name].idempotency_model) == 2
        assert await count(app, models.revoked_token) == 1
        assert await count(app, models.refresh_token) == 4  # two logins, the living family

        # What stayed still works: the revocation, the live login, theft detection.
        me = await client.get(
            "/v1/users/me", headers={"Authorization": f"Bearer {signed_out['access_token']}"}
        )
        assert me.status_code == 401
        refreshed = await client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert refreshed.status_code == 200, refreshed.text
        dead = await client.post("/v1/auth/refresh", json={"refresh_token": "dead-2"})
        assert refresh_refused_as(name, dead) == "invalid"
        spent = await client.post("/v1/auth/refresh", json={"refresh_token": "spent"})
        assert refresh_refused_as(name, spent) == "reused"

        again = await run_purge(name, settings, "--json")
        expected = {"revoked_tokens": 0, "refresh_tokens": 0, "idempotency_keys": 0}
        if name == "firemode":
            expected |= {"applied_batches": 0, "upload_temp_files": 0, "unreferenced_blobs": 0}
        assert json.loads(again.stdout) == expected
    await app.state.database.dispose()


async def test_firemode_purge_sweeps_dead_uploads_and_never_touches_records(
    database_url_for: Callable[[str], str], tmp_path: Path
) -> None:
    settings = settings_for("firemode", tmp_path, database_url_for("firemode"), redis_url=None)
    app = SERVICES["firemode"].create_app(settings)
    async with asgi_client(app) as client:
        tech = await account(client, "tech@firemode.example.com", FireRole.TECHNICIAN)
        session_id = str(uuid.uuid4())
        results = await client.post(
            f"/v1/tests/sessions/{session_id}/results",
            json={"changes": [{"op": "set", "path": "/a", "value": 1, "actor": "d", "counter": 1}]},
            headers={**tech.headers, "Idempotency-Key": "batch-1"},
        )
        assert results.status_code == 200
        assert (await upload(client, tech, JPEG, session_id=session_id)).status_code == 201
        # Records far older than anything purgeable: still never the purge's.
        async with app.state.database.transactional() as session:
            session.add(SecurityEvent(event="login_succeeded", created_at=utcnow() - timedelta(days=8 * 365)))
            key = (await session.execute(select(IdempotencyKey))).scalar_one()
            key.expires_at = utcnow() - timedelta(seconds=1)  # the batch's key has expired
            # The sync worker's records of two keys' batches: one as old as its key, one live.
            for expires_at in (utcnow() - timedelta(seconds=1), utcnow() + timedelta(hours=20)):
                session.add(
                    AppliedBatch(
                        batch_id=uuid.uuid4(),
                        session_id=uuid.UUID(session_id),
                        fingerprint="0" * 64,
                        outcome={},
                        expires_at=expires_at,
                    )
                )
        records = (sessions.TestSession, SessionChange, Evidence, SecurityEvent)
        before = [await count(app, model) for model in records]
        stale, fresh = stale_and_fresh(app.state.evidence_store.temp_dir)

        result = await run_purge("firemode", settings, "--json")
        assert json.loads(result.stdout) == {
            "revoked_tokens": 0,
            "refresh_tokens": 0,
            "idempotency_keys": 1,
            "applied_batches": 1,
            "upload_temp_files": 2,
            "unreferenced_blobs": 0,  # the evidence's blob is referenced (and young)
        }
        assert await count(app, AppliedBatch) == 1
        assert [path.exists() for path in stale] == [False, False]
        assert all(path.exists() for path in fresh)
        assert [await count(app, model) for model in records] == before
        evidence = await client.get(f"/v1/tests/sessions/{session_id}/evidence", headers=tech.headers)
        content = await client.get(
            f"/v1/evidence/{evidence.json()['data'][0]['evidence_id']}/content", headers=tech.headers
        )
        assert hashlib.sha256(content.content).digest() == hashlib.sha256(JPEG).digest()
    await app.state.database.dispose()


async def test_serve_purges_periodically_and_a_failing_kind_never_stops_it(
    database_url_for: Callable[[str], str], tmp_path: Path
) -> None:
    settings = settings_for("alloy", tmp_path, database_url_for("alloy"), purge_interval_minutes=0.001)
    app = SERVICES["alloy"].create_app(settings)

    async def broken(_batch_size: int) -> int:
        raise OSError("a kind that fails every time")

    app.state.purgeable_kinds.insert(0, PurgeableKind("broken", broken))
    async with asgi_client(app) as client:
        user_id, _ = await sign_up("alloy", client, "someone@example.com")
        await seed_expiring_rows("alloy", app, user_id)
        async with app.router.lifespan_context(app):
            for _ in range(400):  # each pass is one interval (60 ms): far fewer are needed
                if await count(app, ProgramIdempotencyKey) == 2:
                    break
                await asyncio.sleep(0.05)
            assert await count(app, ProgramIdempotencyKey) == 2
            assert await count(app, app.state.identity.models.revoked_token) == 0
            assert (await client.get("/health")).status_code == 200
    await app.state.database.dispose()
