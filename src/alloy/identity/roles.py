"""Alloy's roles and the dependencies that admit them.

Admin routes take :data:`AdminUser`: a bearer token with role admin or super_admin, or — only while
``ALLOY_ADMIN_TOKEN`` is configured — the deprecated ``X-Admin-Token`` header, answered with
``Deprecation``/``Sunset`` headers (errors too), a warning and an audit event; wrong tokens are
audited and throttled per address.
"""

import hmac
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from fastapi.security import HTTPBearer

from alloy.settings import AlloySettings, AlloySettingsDep
from apikit.auth.dependencies import IdentityDep, Principal, bearer_principal, require_roles
from apikit.auth.identity import Identity
from apikit.context import add_warning
from apikit.errors import ApiError, AuthenticationError
from apikit.ratelimit import client_address


class Role(StrEnum):
    USER = "user"
    ADMIN = "admin"
    SUPER_ADMIN = "super_admin"


ADMIN_ROLES = (Role.ADMIN, Role.SUPER_ADMIN)
_bearer = HTTPBearer(auto_error=False)
current_principal = bearer_principal(_bearer)
_admin_by_role = require_roles(current_principal, *ADMIN_ROLES)

CurrentUser = Annotated[Principal, Depends(current_principal)]
SuperAdmin = Annotated[Principal, Depends(require_roles(current_principal, Role.SUPER_ADMIN))]


LegacyAdminToken = Annotated[
    str | None,
    Header(
        alias="X-Admin-Token",
        deprecated=True,
        description="Deprecated shared admin token; honoured only while ALLOY_ADMIN_TOKEN is set",
    ),
]


async def _admin(
    request: Request,
    response: Response,
    settings: AlloySettingsDep,
    identity: IdentityDep,
    legacy: LegacyAdminToken = None,
) -> Principal | None:
    """An admin by role; or, during the deprecation window, the shared admin token (→ None).

    Every answer to a request that uses the token carries ``Deprecation`` and ``Sunset``, errors
    included. Wrong tokens are audited and count per address (``ALLOY_ADMIN_TOKEN_RATE_PER_ADDRESS``);
    once that window is full the token is not even compared (429).
    """
    configured = settings.admin_token.get_secret_value() if settings.admin_token else None
    if not configured or not legacy or "Authorization" in request.headers:
        return await _admin_by_role(request)
    deprecation = {
        "Deprecation": "true",
        "Sunset": settings.admin_token_sunset.strftime("%a, %d %b %Y 00:00:00 GMT"),
    }
    try:
        await _check_admin_token(request, settings, identity, legacy, configured)
    except ApiError as error:
        error.headers.update(deprecation)
        raise
    response.headers.update(deprecation)
    add_warning(request.scope, "X-Admin-Token is deprecated; log in as an admin and use a bearer token")
    await _audit(request, identity, "deprecated_credential_used")
    return None


async def _check_admin_token(
    request: Request, settings: AlloySettings, identity: Identity, presented: str, configured: str
) -> None:
    limiter, address = identity.limiter, client_address(request)
    rate, scope = settings.admin_token_rate_per_address, "admin-token:address"
    await limiter.check(rate, scope, address)
    if hmac.compare_digest(presented.encode(), configured.encode()):
        return
    await limiter.count(rate, scope, address)
    await _audit(request, identity, "admin_token_rejected")
    raise AuthenticationError("The X-Admin-Token is not valid", code="AUTH_INVALID_TOKEN")


async def _audit(request: Request, identity: Identity, event: str) -> None:
    # Its own unit of work, committed whatever the request's answer turns out to be.
    async with identity.database.transactional() as session:
        await identity.audit.record(session, event, request=request, credential="X-Admin-Token")


AdminUser = Annotated[Principal | None, Depends(_admin)]
