"""``/v1/auth/*`` and ``/v1/users*``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from apikit.auth.dependencies import IdentityDep
from apikit.auth.identity import CheckedPassword, RefreshRequest, TokenResponse
from apikit.auth.setup import add_logout_route
from apikit.db.engine import ReadSession, WriteSession
from apikit.openapi import error_responses
from apikit.schemas import check_form_text
from firemode.identity.roles import Admin, CurrentUser, Role, current_principal
from firemode.identity.schemas import UserCreateRequest, UserResponse, UserUpdateRequest
from firemode.identity.service import UserService

router = APIRouter(prefix="/v1", tags=["identity"])


async def checked_form(
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], identity: IdentityDep
) -> CheckedPassword:
    # A dependency, so the password is checked before the unit of work (WriteSession) opens.
    check_form_text({"username": form.username, "password": form.password})
    return await identity.check_password(request, form.username, form.password)


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    summary="Log in with email and password (OAuth2 password form)",
    responses=error_responses(401, 429, 503),
)
async def issue_token(
    request: Request,
    checked: Annotated[CheckedPassword, Depends(checked_form)],
    session: WriteSession,
    identity: IdentityDep,
) -> TokenResponse:
    user = await identity.authenticate(session, request, checked)
    return await identity.complete_login(session, request, user)


@router.post(
    "/auth/refresh",
    response_model=TokenResponse,
    summary="Exchange a refresh token for a new pair (rotation; reuse revokes the family)",
    responses=error_responses(401),
)
async def refresh_token(
    request: Request, body: RefreshRequest, session: WriteSession, identity: IdentityDep
) -> TokenResponse:
    return await identity.refresh(session, request, body.refresh_token)


add_logout_route(router, current_principal)


@router.get(
    "/users/me",
    response_model=UserResponse,
    summary="The calling user",
    responses=error_responses(401),
)
async def read_current_user(caller: CurrentUser, session: ReadSession, identity: IdentityDep) -> UserResponse:
    return UserResponse.model_validate(await identity.get_user(session, caller.user_id))


async def new_user_password(body: UserCreateRequest, _caller: Admin, identity: IdentityDep) -> str:
    # A dependency (after the admin check), so Argon2 runs before the unit of work opens.
    return await identity.hash_new_password(body.password, email=body.email)


@router.post(
    "/users",
    response_model=UserResponse,
    status_code=status.HTTP_201_CREATED,
    summary="Create a technician or supervisor (admin)",
    responses=error_responses(400, 401, 403, 409, 503),
)
async def create_user(
    request: Request,
    body: UserCreateRequest,
    caller: Admin,
    password_hash: Annotated[str, Depends(new_user_password)],
    session: WriteSession,
    identity: IdentityDep,
) -> UserResponse:
    user = await UserService(session, identity).add_user(
        email=body.email,
        password_hash=password_hash,
        role=Role(body.role),
        full_name=body.full_name,
        actor_id=caller.user_id,
        request=request,
    )
    return UserResponse.model_validate(user)


@router.patch(
    "/users/{user_id:uuid}",  # so /users/me never reads as an id
    response_model=UserResponse,
    summary="Change a user's role or active flag (admin); their tokens are revoked",
    responses=error_responses(401, 403, 404, 409),
)
async def update_user(
    request: Request,
    user_id: uuid.UUID,
    body: UserUpdateRequest,
    caller: Admin,
    session: WriteSession,
    identity: IdentityDep,
) -> UserResponse:
    # null means "leave as is": role and the active flag cannot be empty.
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    user = await UserService(session, identity).update_user(
        user_id, changes, actor_id=caller.user_id, request=request
    )
    return UserResponse.model_validate(user)
