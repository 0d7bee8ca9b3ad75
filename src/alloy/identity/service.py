"""Alloy accounts: registration, login with a second factor, preferences, roles (what both services
share — the password policy, the duplicate email, role and active changes — is ``Identity``'s)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from alloy.identity.models import User
from alloy.identity.roles import ADMIN_ROLES, Role
from alloy.identity.totp import TotpBox
from alloy.settings import AlloySettings
from apikit.auth.identity import CheckedPassword, Identity, TokenResponse, normalize_email
from apikit.errors import AuthenticationError, ConflictError
from apikit.ids import utcnow

ADMIN_WITHOUT_2FA = (
    "Two-factor authentication is not enabled on this administrator account: "
    "enable it with POST /v1/auth/2fa/setup"
)


@dataclass(frozen=True)
class Login:
    tokens: TokenResponse
    warnings: list[str]


@dataclass(frozen=True)
class NewAccount:
    """A checked and hashed sign-up, made before any unit of work opens: Argon2 never runs while
    the request holds a database turn (SQLite's writer turn, a pooled connection)."""

    email: str
    name: str
    password_hash: str


async def new_account(identity: Identity, *, email: str, password: str, name: str) -> NewAccount:
    password_hash = await identity.hash_new_password(password, email=email, other_inputs=(name,))
    return NewAccount(email=normalize_email(email), name=name, password_hash=password_hash)


class AccountService:
    def __init__(self, session: AsyncSession, identity: Identity, settings: AlloySettings) -> None:
        self.session = session
        self.identity = identity
        self.settings = settings
        self.totp = TotpBox(settings.secret("secret_key"))

    async def create_account(
        self, *, email: str, password: str, name: str, role: Role = Role.USER, request: Request | None = None
    ) -> User:
        account = await new_account(self.identity, email=email, password=password, name=name)
        return await self.add_account(account, role=role, request=request)

    async def add_account(
        self, account: NewAccount, *, role: Role = Role.USER, request: Request | None = None
    ) -> User:
        user = User(email=account.email, password_hash=account.password_hash, name=account.name, role=role)
        await self.identity.add_user(self.session, user, request=request)
        return user

    async def register(self, request: Request, account: NewAccount) -> tuple[User, TokenResponse]:
        user = await self.add_account(account, request=request)
        return user, await self.identity.issue_pair(self.session, user)

    async def login(self, request: Request, checked: CheckedPassword, otp: str | None) -> Login:
        user = await self.identity.authenticate(self.session, request, checked)
        warnings: list[str] = []
        if user.totp_enabled:
            await self._check_code(user, otp, request, missing_code="AUTH_OTP_REQUIRED")
        elif user.role in ADMIN_ROLES:
            if self.settings.require_admin_2fa:
                raise AuthenticationError(
                    "Administrators must use two-factor authentication", code="AUTH_OTP_REQUIRED"
                )
            warnings.append(ADMIN_WITHOUT_2FA)
        return Login(await self.identity.complete_login(self.session, request, user), warnings)

    async def get_user(self, user_id: uuid.UUID) -> User:
        user: User = await self.identity.get_user(self.session, user_id)
        return user

    async def start_two_factor(self, user_id: uuid.UUID) -> tuple[str, str]:
        """A new secret (replacing any pending one); 2FA is on only after a code proves it."""
        user = await self.get_user(user_id)
        if user.totp_enabled:
            raise ConflictError("Two-factor authentication is already enabled", code="CF_2FA_ENABLED")
        secret, encrypted = self.totp.new_secret()
        user.totp_secret, user.totp_last_step = encrypted, None
        await self.session.flush()
        return secret, self.totp.provisioning_uri(secret, user.email)

    async def enable_two_factor(self, request: Request, user_id: uuid.UUID, code: str) -> None:
        user = await self.get_user(user_id)
        if user.totp_enabled:
            raise ConflictError("Two-factor authentication is already enabled", code="CF_2FA_ENABLED")
        if user.totp_secret is None:
            raise ConflictError("Start with POST /v1/auth/2fa/setup", code="CF_2FA_NOT_SET_UP")
        await self._check_code(user, code, request, missing_code="AUTH_OTP_REQUIRED")
        user.totp_enabled = True
        await self.identity.audit.record(self.session, "two_factor_enabled", request=request, user_id=user.id)

    async def disable_two_factor(self, request: Request, user_id: uuid.UUID, code: str) -> None:
        user = await self.get_user(user_id)
        if not user.totp_enabled:
            raise ConflictError("Two-factor authentication is not enabled", code="CF_2FA_NOT_ENABLED")
        await self._check_code(user, code, request, missing_code="AUTH_OTP_REQUIRED")
        user.totp_enabled, user.totp_secret, user.totp_last_step = False, None, None
        await self.identity.audit.record(
            self.session, "two_factor_disabled", request=request, user_id=user.id
        )

    async def _check_code(self, user: User, code: str | None, request: Request, *, missing_code: str) -> None:
        await self.identity.limiter.hit(self.settings.otp_rate_per_account, "otp:account", str(user.id))
        if code is None:
            raise AuthenticationError("A one-time code is required", code=missing_code)
        assert user.totp_secret is not None
        step = self.totp.matching_step(user.totp_secret, code, after=user.totp_last_step, now=utcnow())
        if step is None:
            await self.identity.audit.record(self.session, "otp_failed", request=request, user_id=user.id)
            raise AuthenticationError(
                "The one-time code is not valid (or was already used)", code=missing_code, keep_changes=True
            )
        user.totp_last_step = step
        await self.session.flush()

    async def update_preferences(self, user_id: uuid.UUID, changes: dict[str, Any]) -> User:
        user = await self.get_user(user_id)
        for field, value in changes.items():
            setattr(user, field, value)
        await self.session.flush()
        return user

    async def change_role_or_state(
        self, request: Request | None, user_id: uuid.UUID, changes: dict[str, Any], actor_id: uuid.UUID | None
    ) -> User:
        """Role and active flag (super admins, and `alloy users promote`); tokens are revoked."""
        user = await self.get_user(user_id)
        await self.identity.change_access(self.session, user, changes, actor_id=actor_id, request=request)
        return user
