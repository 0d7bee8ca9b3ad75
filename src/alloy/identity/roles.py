"""Alloy's roles and the dependencies that admit them.

Admin routes take :data:`AdminUser`: a bearer token with role admin or super_admin, or — only while
``ALLOY_ADMIN_TOKEN`` is configured — the deprecated ``X-Admin-Token`` header, answered with
``Deprecation``/``Sunset`` headers, a warning and an audit event.
"""

import hmac
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from fastapi.security import HTTPBearer

from alloy.settings import AlloySettings
from apikit.auth.dependencies import Principal, bearer_principal, identity_of, require_roles
from apikit.context import add_warning
from apikit.db.engine import database_of


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


async def _admin(request: Request, response: Response, legacy: LegacyAdminToken = None) -> Principal | None:
    """An admin by role; or, during the deprecation window, the shared admin token (→ None)."""
    settings: AlloySettings = request.app.state.settings
    configured = settings.admin_token.get_secret_value() if settings.admin_token else None
    if configured and legacy and "Authorization" not in request.headers:
        if not hmac.compare_digest(legacy.encode(), configured.encode()):
            return await _admin_by_role(await current_principal(request, None))
        response.headers["Deprecation"] = "true"
        response.headers["Sunset"] = settings.admin_token_sunset.strftime("%a, %d %b %Y 00:00:00 GMT")
        add_warning(request.scope, "X-Admin-Token is deprecated; log in as an admin and use a bearer token")
        async with database_of(request).transactional() as session:
            await identity_of(request).audit.record(
                session, "deprecated_credential_used", request=request, credential="X-Admin-Token"
            )
        return None
    return await _admin_by_role(await current_principal(request, None))


AdminUser = Annotated[Principal | None, Depends(_admin)]
