"""``/v1/auth/*``, ``/v1/users/me`` and ``/v1/admin/users/{user_id}``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from alloy.identity.roles import CurrentUser, SuperAdmin, current_principal
from alloy.identity.schemas import (
    AdminUserUpdateRequest,
    LoginRequest,
    OtpRequest,
    RegisteredOut,
    RegisterRequest,
    TwoFactorSetupOut,
    TwoFactorStateOut,
    UserOut,
    UserUpdateRequest,
)
from alloy.identity.service import AccountService, NewAccount, new_account
from alloy.settings import AlloySettings, AlloySettingsDep
from apikit.auth.dependencies import IdentityDep
from apikit.auth.identity import CheckedPassword, RefreshRequest, TokenResponse
from apikit.auth.setup import add_logout_route
from apikit.context import add_warning
from apikit.db.engine import WriteSession
from apikit.envelope import Envelope, envelope
from apikit.openapi import error_responses
from apikit.ratelimit import rate_limit

router = APIRouter(prefix="/v1", tags=["identity"])


async def accounts(
    session: WriteSession, identity: IdentityDep, settings: AlloySettingsDep
) -> AccountService:
    return AccountService(session, identity, settings)


Accounts = Annotated[AccountService, Depends(accounts)]


def _register_rate(settings: AlloySettings) -> str:
    return settings.register_rate_per_address


async def registration(body: RegisterRequest, identity: IdentityDep) -> NewAccount:
    # A dependency, so the password is hashed before the unit of work (Accounts) opens.
    return await new_account(identity, email=body.email, password=body.password, name=body.name)


@router.post(
    "/auth/register",
    response_model=Envelope[RegisteredOut],
    status_code=status.HTTP_201_CREATED,
    summary="Create an account and log in",
    responses=error_responses(400, 409, 429, 503),
    # Before anything else: a refused sign-up costs no hash.
    dependencies=[Depends(rate_limit(_register_rate, "register:address"))],
)
async def register(
    request: Request, account: Annotated[NewAccount, Depends(registration)], service: Accounts
) -> Envelope[RegisteredOut]:
    user, pair = await service.register(request, account)
    return envelope(request, RegisteredOut(user=UserOut.model_validate(user), tokens=pair))


async def checked_login(request: Request, body: LoginRequest, identity: IdentityDep) -> CheckedPassword:
    # A dependency, so the password is checked before the unit of work (Accounts) opens.
    return await identity.check_password(request, body.email, body.password)


@router.post(
    "/auth/login",
    response_model=Envelope[TokenResponse],
    summary="Log in with email, password and, when enabled, a one-time code",
    responses=error_responses(401, 429, 503),
)
async def log_in(
    request: Request,
    body: LoginRequest,
    checked: Annotated[CheckedPassword, Depends(checked_login)],
    service: Accounts,
) -> Envelope[TokenResponse]:
    login = await service.login(request, checked, body.otp)
    for warning in login.warnings:
        add_warning(request.scope, warning)
    return envelope(request, login.tokens)


@router.post(
    "/auth/refresh",
    response_model=Envelope[TokenResponse],
    summary="Exchange a refresh token for a new pair (rotation; reuse revokes the family)",
    responses=error_responses(401),
)
async def refresh_tokens(
    request: Request, body: RefreshRequest, session: WriteSession, identity: IdentityDep
) -> Envelope[TokenResponse]:
    return envelope(request, await identity.refresh(session, request, body.refresh_token))


add_logout_route(router, current_principal)


@router.post(
    "/auth/2fa/setup",
    response_model=Envelope[TwoFactorSetupOut],
    summary="Start two-factor authentication: a new TOTP secret and its otpauth:// URI",
    responses=error_responses(401, 409),
)
async def set_up_two_factor(
    request: Request, caller: CurrentUser, service: Accounts
) -> Envelope[TwoFactorSetupOut]:
    secret, uri = await service.start_two_factor(caller.user_id)
    return envelope(request, TwoFactorSetupOut(secret=secret, otpauth_uri=uri))


@router.post(
    "/auth/2fa/enable",
    response_model=Envelope[TwoFactorStateOut],
    summary="Turn two-factor authentication on with a code from the authenticator",
    responses=error_responses(401, 409, 429),
)
async def enable_two_factor(
    request: Request, body: OtpRequest, caller: CurrentUser, service: Accounts
) -> Envelope[TwoFactorStateOut]:
    await service.enable_two_factor(request, caller.user_id, body.code)
    return envelope(request, TwoFactorStateOut(two_factor_enabled=True))


@router.post(
    "/auth/2fa/disable",
    response_model=Envelope[TwoFactorStateOut],
    summary="Turn two-factor authentication off with a current code",
    responses=error_responses(401, 409, 429),
)
async def disable_two_factor(
    request: Request, body: OtpRequest, caller: CurrentUser, service: Accounts
) -> Envelope[TwoFactorStateOut]:
    await service.disable_two_factor(request, caller.user_id, body.code)
    return envelope(request, TwoFactorStateOut(two_factor_enabled=False))


@router.get(
    "/users/me",
    response_model=Envelope[UserOut],
    summary="The calling user and their preferences",
    responses=error_responses(401),
)
async def read_current_user(request: Request, caller: CurrentUser, service: Accounts) -> Envelope[UserOut]:
    return envelope(request, UserOut.model_validate(await service.get_user(caller.user_id)))


@router.patch(
    "/users/me",
    response_model=Envelope[UserOut],
    summary="Change name, units, e1RM formula or available equipment",
    responses=error_responses(401),
)
async def update_current_user(
    request: Request, body: UserUpdateRequest, caller: CurrentUser, service: Accounts
) -> Envelope[UserOut]:
    user = await service.update_preferences(caller.user_id, body.model_dump(exclude_none=True))
    return envelope(request, UserOut.model_validate(user))


@router.patch(
    "/admin/users/{user_id}",
    response_model=Envelope[UserOut],
    summary="Change a user's role or active flag (super admin); their tokens are revoked",
    responses=error_responses(401, 403, 404),
)
async def update_user(
    request: Request, user_id: uuid.UUID, body: AdminUserUpdateRequest, caller: SuperAdmin, service: Accounts
) -> Envelope[UserOut]:
    changes = body.model_dump(exclude_none=True)
    user = await service.change_role_or_state(request, user_id, changes, actor_id=caller.user_id)
    return envelope(request, UserOut.model_validate(user))
