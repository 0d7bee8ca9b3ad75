"""Internal tokens: accepted only where an internal caller belongs, and only for that audience."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from apikit.auth.replay import SpentTokens
from apikit.auth.tokens import AccessTokens, InternalTokens
from apikit.errors import AuthenticationError, DependencyUnavailableError
from apikit.ids import utcnow
from tests.conftest import TEST_INTERNAL_SECRET, TEST_SECRET, ServiceClient


async def test_internal_token_for_this_audience_is_accepted(fire_demo: ServiceClient) -> None:
    token = fire_demo.app.state.internal_tokens.issue("kitdemo-worker")
    response = await fire_demo.get("/v1/internal/ping", headers={"X-Internal-Authorization": token})
    assert response.status_code == 200
    assert response.json() == {"caller": "api"}
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["typ"] == "internal"
    assert claims["exp"] - claims["iat"] == 5 * 60


async def test_missing_internal_token_is_401(fire_demo: ServiceClient) -> None:
    assert (await fire_demo.get("/v1/internal/ping")).status_code == 401


async def test_internal_token_for_another_audience_is_refused(fire_demo: ServiceClient) -> None:
    token = fire_demo.app.state.internal_tokens.issue("some-other-worker")
    response = await fire_demo.get("/v1/internal/ping", headers={"X-Internal-Authorization": token})
    assert response.status_code == 401


async def test_user_token_is_never_an_internal_token(fire_demo: ServiceClient) -> None:
    # Even signed with the internal secret and given the right audience, typ=access is refused …
    forged = AccessTokens(
        secret=TEST_INTERNAL_SECRET.encode(),
        issuer="kitdemo",
        audience="kitdemo-worker",
        lifetime=timedelta(minutes=5),
    )
    token, _ = forged.issue("user-1", "admin")
    response = await fire_demo.get("/v1/internal/ping", headers={"X-Internal-Authorization": token})
    assert response.status_code == 401
    # … and a real user token, sent where an internal one belongs, is refused too.
    user_tokens = AccessTokens(
        secret=TEST_SECRET.encode(), issuer="kitdemo", audience="kitdemo-api", lifetime=timedelta(minutes=5)
    )
    token, _ = user_tokens.issue("user-1", "admin")
    for headers in ({"X-Internal-Authorization": token}, {"Authorization": f"Bearer {token}"}):
        assert (await fire_demo.get("/v1/internal/ping", headers=headers)).status_code == 401


async def test_expired_internal_token_is_refused(fire_demo: ServiceClient) -> None:
    internal = InternalTokens(
        secret=TEST_INTERNAL_SECRET.encode(), issuer="kitdemo", lifetime=timedelta(seconds=-60)
    )
    response = await fire_demo.get(
        "/v1/internal/ping", headers={"X-Internal-Authorization": internal.issue("kitdemo-worker")}
    )
    assert response.status_code == 401


async def test_an_internal_token_is_accepted_once(fire_demo: ServiceClient) -> None:
    headers = {"X-Internal-Authorization": fire_demo.app.state.internal_tokens.issue("kitdemo-worker")}
    assert (await fire_demo.get("/v1/internal/ping", headers=headers)).status_code == 200
    replay = await fire_demo.get("/v1/internal/ping", headers=headers)
    assert replay.status_code == 401
    assert replay.json()["error_code"] == "FIRE-401"


async def test_an_internal_token_made_to_live_longer_is_refused(fire_demo: ServiceClient) -> None:
    # The right key, audience and type, but an hour to live: the receiver's five minutes decide.
    internal = InternalTokens(
        secret=TEST_INTERNAL_SECRET.encode(), issuer="kitdemo", lifetime=timedelta(hours=1)
    )
    response = await fire_demo.get(
        "/v1/internal/ping", headers={"X-Internal-Authorization": internal.issue("kitdemo-worker")}
    )
    assert response.status_code == 401


async def test_spent_tokens_in_memory_are_bounded_and_forgotten_at_expiry() -> None:
    spent = SpentTokens(None, namespace="kitdemo", max_entries=2)
    await spent.spend("expired", utcnow() - timedelta(seconds=1))
    await spent.spend("expired", utcnow() - timedelta(seconds=1))  # gone with its token's expiry
    await spent.spend("a", utcnow() + timedelta(minutes=5))
    await spent.spend("b", utcnow() + timedelta(minutes=5))
    with pytest.raises(AuthenticationError):
        await spent.spend("a", utcnow() + timedelta(minutes=5))
    with pytest.raises(DependencyUnavailableError):  # full of live tokens: refuse, never forget one
        await spent.spend("c", utcnow() + timedelta(minutes=5))
