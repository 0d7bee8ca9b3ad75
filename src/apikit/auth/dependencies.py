"""Who is calling: the bearer dependency, the role dependency, the internal-caller dependency.

Roles are declared on the route (deny by default: a route that names roles admits only those);
object-level authorization lives in the repositories, which never return another user's objects.

No ``from __future__ import annotations`` here: the dependencies' annotations name local
variables, which FastAPI must evaluate where they are defined.
"""

import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import structlog
from fastapi import Depends
from fastapi.security.base import SecurityBase
from starlette.requests import Request

from apikit.auth.identity import Identity
from apikit.auth.replay import SpentTokens
from apikit.auth.tokens import AccessClaims, InternalTokens
from apikit.context import app_state
from apikit.errors import AuthenticationError, AuthorizationError


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated user of this request."""

    user_id: uuid.UUID
    role: str
    claims: AccessClaims | None = None  # None when one of our processes acts for the user


PrincipalDependency = Callable[..., Awaitable[Principal]]


IdentityDep = Annotated[Identity, Depends(app_state("identity"))]
InternalTokensDep = Annotated[InternalTokens, Depends(app_state("internal_tokens"))]
SpentInternalTokens = Annotated[SpentTokens, Depends(app_state("spent_internal_tokens"))]


def _bearer_token(request: Request) -> str:
    header = request.headers.get("Authorization")
    if not header:
        raise AuthenticationError("A bearer token is required", code="AUTH_MISSING_TOKEN")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("Use the Bearer scheme", code="AUTH_INVALID_TOKEN")
    return token.strip()


class BearerAuthentication(SecurityBase):
    """The dependency that authenticates a user, and admits only ``roles`` when it names any:
    401 without a valid token, 403 with the wrong role.

    It is a security scheme itself, documented in OpenAPI as ``scheme`` is (so Swagger's Authorize
    works and each operation names it), and FastAPI solves it as one dependency reading only the
    request: the header, the token's claims, the revocation list and the role are checked here, one
    way for both services.
    """

    def __init__(self, scheme: SecurityBase, roles: Iterable[str] = ()) -> None:
        self.model = scheme.model
        self.scheme_name = scheme.scheme_name
        self._scheme = scheme
        self.roles = frozenset(roles)

    def admitting(self, *roles: str) -> "BearerAuthentication":
        """The same authentication, admitting only ``roles``."""
        return BearerAuthentication(self._scheme, roles)

    async def __call__(self, request: Request) -> Principal:
        identity: Identity = request.app.state.identity
        claims = identity.access_tokens.decode(_bearer_token(request))
        await identity.revocations.assert_valid(claims)
        request.scope.setdefault("state", {})["user_id"] = claims.sub
        structlog.contextvars.bind_contextvars(user_id=claims.sub)
        if self.roles and claims.role not in self.roles:
            raise AuthorizationError(
                "Your role does not allow this",
                code="AUTH_FORBIDDEN",
                details={"required": sorted(self.roles)},
            )
        return Principal(user_id=uuid.UUID(claims.sub), role=claims.role, claims=claims)


def bearer_principal(scheme: SecurityBase) -> BearerAuthentication:
    """The dependency that authenticates a user; ``scheme`` documents it in OpenAPI."""
    return BearerAuthentication(scheme)


def require_roles(principal: BearerAuthentication, *roles: str) -> BearerAuthentication:
    """Admit only these roles: 401 without a valid token, 403 with the wrong role."""
    return principal.admitting(*roles)


def internal_caller(audience: str) -> Callable[..., Awaitable[dict[str, Any]]]:
    """For routes our own processes call: an internal token for ``audience``, nothing else, and
    each token once (a captured one replayed within its five minutes is refused)."""

    async def verify_internal(
        request: Request, internal: InternalTokensDep, spent: SpentInternalTokens
    ) -> dict[str, Any]:
        token = request.headers.get(InternalTokens.HEADER)
        if not token:
            raise AuthenticationError("An internal token is required", code="AUTH_MISSING_TOKEN")
        claims = internal.verify(token, audience=audience)
        await spent.spend(str(claims["jti"]), datetime.fromtimestamp(float(claims["exp"]), tz=UTC))
        return claims

    return verify_internal
