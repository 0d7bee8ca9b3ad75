"""``/v1/auth/*`` and ``/v1/users*``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from apikit.auth.dependencies import IdentityDep
from apikit.auth.identity import CheckedPassword
from apikit.db.engine import ReadSession, WriteSession
from apikit.errors import NotFoundError
from apikit.openapi import error_responses
from apikit.schemas import check_form_text
from firemode.identity.models import User
from firemode.identity.roles import Admin, CurrentUser, Role
from firemode.identity.schemas import (
    RefreshRequest,
    TokenResponse,
    UserCreateRequest,
    UserResponse,
    UserUpdateRequest,
)
from firemode.identity.service import UserService, new_password_hash

router = APIRouter(prefix="/v1", tags=["identity"])


def _user_response(user: User) -> UserResponse:
    return UserResponse(
        user_id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=Role(user.role),
        is_active=user.is_active,
        created_at=user.created_at,
        updated_at=user.updated_at,
    )


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
    pair = await identity.complete_login(session, request, user)
    return TokenResponse(
        access_token=pair.access_token, expires_in=pair.expires_in, refresh_token=pair.refresh_token
    )


@router.post(
    "/auth/refresh",
    response_model=TokenResponse,
    summary="Exchange a refresh token for a new pair (rotation; reuse revokes the family)",
    responses=error_responses(401),
)
async def refresh_token(
    request: Request, body: RefreshRequest, session: WriteSession, identity: IdentityDep
) -> TokenResponse:
    pair = await identity.refresh(session, request, body.refresh_token)
    return TokenResponse(
        access_token=pair.access_token, expires_in=pair.expires_in, refresh_token=pair.refresh_token
    )


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Revoke this access token and its refresh family",
    responses=error_responses(401),
)
async def log_out(
    request: Request, caller: CurrentUser, session: WriteSession, identity: IdentityDep
) -> Response:
    assert caller.claims is not None  # a bearer login always has them
    await identity.logout(session, request, caller.claims)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/users/me",
    response_model=UserResponse,
    summary="The calling user",
    responses=error_responses(401),
)
async def read_current_user(caller: CurrentUser, session: ReadSession) -> UserResponse:
    user = await session.get(User, caller.user_id)
    if user is None:
        raise NotFoundError("No such user", code="NF_USER")
    return _user_response(user)


async def new_user_password(body: UserCreateRequest, _caller: Admin, identity: IdentityDep) -> str:
    # A dependency (after the admin check), so Argon2 runs before the unit of work opens.
    return await new_password_hash(identity, email=body.email, password=body.password)


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
    return _user_response(user)


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
    return _user_response(user)
