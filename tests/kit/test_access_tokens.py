"""Verified access tokens are remembered, never past their expiry, and failures never are."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import jwt.api_jwt
import pytest

from apikit.auth import tokens as tokens_module
from apikit.auth.tokens import AccessTokens
from apikit.errors import AuthenticationError
from apikit.ids import utcnow

LIFETIME = timedelta(minutes=15)


def access_tokens(remembered: int = 10_000) -> AccessTokens:
    return AccessTokens(
        secret=b"s" * 48, issuer="svc", audience="svc-api", lifetime=LIFETIME, remembered=remembered
    )


class Clock:
    """One clock for PyJWT's checks and the kit's memory, moved by the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = time.time()
        clock = self

        class FrozenDatetime(datetime):
            @classmethod
            def now(cls, tz: object = None) -> FrozenDatetime:  # type: ignore[override]
                return cls.fromtimestamp(clock.now, tz=UTC)

        monkeypatch.setattr(jwt.api_jwt, "datetime", FrozenDatetime)
        monkeypatch.setattr(tokens_module, "time", self)

    def time(self) -> float:
        return self.now


def code_of(tokens: AccessTokens, token: str) -> str:
    with pytest.raises(AuthenticationError) as raised:
        tokens.decode(token)
    return raised.value.code


def test_a_remembered_token_expires_when_the_full_check_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    tokens = access_tokens()
    token, issued = tokens.issue("01890a5d-ac96-774b-bcce-b302099a8057", "technician")
    first = tokens.decode(token)
    assert first == issued
    assert tokens.decode(token) is first  # the second answer is the remembered one
    deadline = issued.exp.timestamp() + 5  # exp plus PyJWT's leeway, as decode allows
    clock.now = deadline - 0.001
    assert tokens.decode(token) is first
    clock.now = deadline
    assert code_of(tokens, token) == "AUTH_EXPIRED_TOKEN"
    assert code_of(
        AccessTokens(secret=b"s" * 48, issuer="svc", audience="svc-api", lifetime=LIFETIME), token
    ) == ("AUTH_EXPIRED_TOKEN")  # exactly what a process that never saw it answers
    clock.now = deadline - 1  # and once refused, it is checked in full again, not remembered
    assert tokens.decode(token) == first


def test_a_refused_token_is_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    """A token issued too far ahead is refused now; later the full check accepts it, so nothing of
    the refusal was kept (and nothing of a failure is in the memory)."""
    clock = Clock(monkeypatch)
    tokens = access_tokens()
    ahead = datetime.fromtimestamp(clock.now, tz=UTC) + timedelta(seconds=60)
    token, issued = tokens.issue("01890a5d-ac96-774b-bcce-b302099a8057", "admin", now=ahead)
    assert code_of(tokens, token) == "AUTH_INVALID_TOKEN"
    assert code_of(tokens, token + "x") == "AUTH_INVALID_TOKEN"
    assert len(tokens._verified) == 0
    clock.now += 60
    assert tokens.decode(token) == issued


def test_the_memory_is_bounded_and_forgets_the_least_recently_used() -> None:
    tokens = access_tokens(remembered=2)
    issued = [tokens.issue(f"01890a5d-ac96-774b-bcce-b302099a805{n}", "technician") for n in range(3)]
    first = tokens.decode(issued[0][0])
    tokens.decode(issued[1][0])
    assert tokens.decode(issued[0][0]) is first  # used again: now the most recent
    tokens.decode(issued[2][0])  # the second is forgotten, not the first
    assert list(tokens._verified) == [issued[0][0], issued[2][0]]
    assert tokens.decode(issued[1][0]) == issued[1][1]  # forgotten means checked again, not refused


def test_remembered_claims_are_those_of_the_full_check() -> None:
    tokens = access_tokens()
    token, issued = tokens.issue(
        "01890a5d-ac96-774b-bcce-b302099a8057",
        "admin",
        sid="01890a5d-ac96-774b-bcce-b302099a8058",
        now=utcnow(),
    )
    assert tokens.decode(token) == tokens._verify(token) == issued
