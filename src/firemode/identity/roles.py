"""FireMode's roles and the dependencies that admit them."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from apikit.auth.dependencies import Principal, bearer_principal, require_roles


class Role(StrEnum):
    TECHNICIAN = "technician"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


# OAuth2 password flow, so Swagger's "Authorize" logs in with email and password.
_scheme = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)
current_principal = bearer_principal(_scheme)

CurrentUser = Annotated[Principal, Depends(current_principal)]
SupervisorOrAdmin = Annotated[
    Principal, Depends(require_roles(current_principal, Role.SUPERVISOR, Role.ADMIN))
]
Admin = Annotated[Principal, Depends(require_roles(current_principal, Role.ADMIN))]
