"""What a request killed mid-flight leaves behind: an idempotency claim with no answer.

``claim_and_die`` claims a key exactly as the kit's guard does for a live request, then never
records nor releases it. ``FrozenClock`` stands in for the guard's clock, so a test moves time
past a lease instead of waiting for it.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from starlette.requests import Request

from apikit import idempotency
from apikit.db.engine import Database
from apikit.ids import utcnow


class FrozenClock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def freeze_idempotency_clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    clock = FrozenClock()
    monkeypatch.setattr(idempotency, "utcnow", clock)
    return clock


async def claim_and_die(
    database: Database,
    model: Any,
    caller: uuid.UUID,
    key: str,
    path: str,
    body: dict[str, Any],
    lease_seconds: float,
) -> uuid.UUID:
    """Claim ``key`` for ``POST path`` with ``body`` as a request would, and crash."""
    request = Request({"type": "http", "method": "POST", "headers": []})
    print_ = idempotency.fingerprint(request, path, json.dumps(body).encode())
    return await idempotency._claim(
        database, model, str(caller), key, print_, timedelta(seconds=lease_seconds)
    )
