"""JWTs: access tokens for users, internal tokens between our own processes.

Algorithms are pinned (HS256 only), every claim is required, and the two kinds use different keys,
types and audiences, so neither is ever accepted where the other belongs.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from apikit.errors import AuthenticationError
from apikit.ids import new_id, utcnow

ALGORITHM = "HS256"
_ALGORITHMS = [ALGORITHM]
_REQUIRED = ["sub", "jti", "iat", "exp", "iss", "aud", "typ"]
_LEEWAY_SECONDS = 5
_VERIFIED_REMEMBERED = 10_000


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return hashlib.sha256(b"apikit." + purpose + b"\x00" + secret).digest()


@dataclass(frozen=True, slots=True)
class AccessClaims:
    sub: str
    role: str
    jti: str
    iat: datetime
    exp: datetime
    sid: str | None = None  # the login (refresh-token family) this token belongs to


class AccessTokens:
    """Issues and checks a service's access tokens (``typ=access``).

    A token that checked out is remembered with its claims (the last ``remembered`` of them), so
    its next request skips the signature and claim checks; never past its ``exp`` plus the leeway
    the full check allows, so an expired token is refused exactly as it would be unremembered.
    Failures are never remembered. (Whether it was revoked is asked on every request elsewhere.)
    """

    def __init__(
        self,
        *,
        secret: bytes,
        issuer: str,
        audience: str,
        lifetime: timedelta,
        remembered: int = _VERIFIED_REMEMBERED,
    ) -> None:
        self._key = _derive(secret, b"access-token")
        self.issuer = issuer
        self.audience = audience
        self.lifetime = lifetime
        self._remembered = remembered
        self._verified: OrderedDict[str, tuple[float, AccessClaims]] = OrderedDict()  # → (until, claims)

    def issue(
        self, user_id: str, role: str, *, sid: str | None = None, now: datetime | None = None
    ) -> tuple[str, AccessClaims]:
        # iat keeps its microseconds (NumericDate may be fractional), so a token issued a moment
        # after "tokens valid after" is told apart from one issued a moment before.
        issued = now or utcnow()
        claims = AccessClaims(
            sub=user_id, role=role, jti=str(new_id()), iat=issued, exp=issued + self.lifetime, sid=sid
        )
        payload = {
            "sub": claims.sub,
            "role": claims.role,
            "jti": claims.jti,
            "iat": claims.iat.timestamp(),
            "exp": claims.exp.timestamp(),
            "iss": self.issuer,
            "aud": self.audience,
            "typ": "access",
            **({"sid": sid} if sid else {}),
        }
        return jwt.encode(payload, self._key, algorithm=ALGORITHM), claims

    def decode(self, token: str) -> AccessClaims:
        """The claims of a token this service issued; 401 for anything else.

        A valid signature does not make the values usable (a token leaked with a signing key, or
        issued by a release with other rules): ``sub``, ``jti`` and ``sid`` must be UUIDs and the
        times representable, or the token is refused here rather than failing where they are used.
        """
        known = self._verified.get(token)
        if known is not None:
            until, claims = known
            # The clock PyJWT reads; at and after exp + leeway it says "expired", so the cache stops.
            if time.time() < until:
                self._verified.move_to_end(token)
                return claims
            del self._verified[token]
        claims = self._verify(token)
        self._verified[token] = (claims.exp.timestamp() + _LEEWAY_SECONDS, claims)
        if len(self._verified) > self._remembered:
            self._verified.popitem(last=False)
        return claims

    def _verify(self, token: str) -> AccessClaims:
        payload = _decode(token, self._key, issuer=self.issuer, audience=self.audience, typ="access")
        role = payload.get("role")
        if not isinstance(role, str) or not role:
            raise AuthenticationError("The token has no role", code="AUTH_INVALID_TOKEN")
        try:
            return AccessClaims(
                sub=_uuid_claim(payload["sub"]),
                role=role,
                jti=_uuid_claim(payload["jti"]),
                iat=_time_claim(payload["iat"]),
                exp=_time_claim(payload["exp"]),
                sid=_uuid_claim(payload["sid"]) if "sid" in payload else None,
            )
        except (TypeError, ValueError, OverflowError, OSError):
            raise AuthenticationError("The token is not valid", code="AUTH_INVALID_TOKEN") from None


class InternalTokens:
    """Short-lived tokens one of our processes sends another (``X-Internal-Authorization``)."""

    HEADER = "X-Internal-Authorization"

    def __init__(self, *, secret: bytes, issuer: str, lifetime: timedelta = timedelta(minutes=5)) -> None:
        self._key = _derive(secret, b"internal-token")
        self.issuer = issuer
        self.lifetime = lifetime

    def issue(self, audience: str, *, subject: str = "api") -> str:
        now = utcnow().replace(microsecond=0)
        payload = {
            "sub": subject,
            "jti": str(new_id()),
            "iat": now,
            "exp": now + self.lifetime,
            "iss": self.issuer,
            "aud": audience,
            "typ": "internal",
        }
        return jwt.encode(payload, self._key, algorithm=ALGORITHM)

    def verify(self, token: str, *, audience: str) -> dict[str, Any]:
        """The claims of a valid token for ``audience``. A token made to live longer than this
        process's ``lifetime`` is refused, whoever signed it: the lifetime is the receiver's rule.
        (Whether it was used before is :class:`apikit.auth.replay.SpentTokens`'s question.)"""
        payload = _decode(token, self._key, issuer=self.issuer, audience=audience, typ="internal")
        if float(payload["exp"]) - float(payload["iat"]) > self.lifetime.total_seconds():
            raise AuthenticationError(
                "The token lives longer than internal tokens may", code="AUTH_INVALID_TOKEN"
            )
        return payload


def _uuid_claim(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a UUID string")
    return str(uuid.UUID(value))


def _time_claim(value: Any) -> datetime:
    """A NumericDate as an aware datetime; raises when it is not a number within years 1-9999."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("expected a NumericDate")
    return datetime.fromtimestamp(value, tz=UTC)


def _decode(token: str, key: bytes, *, issuer: str, audience: str, typ: str) -> dict[str, Any]:
    try:
        payload: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=_ALGORITHMS,
            audience=audience,
            issuer=issuer,
            leeway=_LEEWAY_SECONDS,
            options={"require": _REQUIRED},
        )
    except jwt.ExpiredSignatureError:
        raise AuthenticationError("The token has expired", code="AUTH_EXPIRED_TOKEN") from None
    except (jwt.PyJWTError, TypeError, ValueError, OverflowError):
        # PyJWT's own claim checks may raise these on values it does not expect (int(inf)).
        raise AuthenticationError("The token is not valid", code="AUTH_INVALID_TOKEN") from None
    if payload.get("typ") != typ:
        raise AuthenticationError("The token is not valid here", code="AUTH_INVALID_TOKEN")
    return payload
