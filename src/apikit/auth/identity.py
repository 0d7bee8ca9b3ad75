"""Logging in, refreshing and logging out: the rules both services share.

A service gives :class:`Identity` its own table classes (:class:`IdentityModels`); the endpoints
stay the service's, because their shapes differ (FireMode's OAuth2 form, Alloy's envelope and 2FA).
Accounts are made and changed here too (a new account's password policy and hash, the duplicate
email, a role or active flag changed with its audit record and the tokens it revokes): a service
adds only its own columns and rules.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, NoReturn

from pydantic import BaseModel, Field
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from apikit.auth.audit import AuditLog
from apikit.auth.models import IdentityModels, UserColumns
from apikit.auth.password_policy import password_problems
from apikit.auth.passwords import PasswordHasher
from apikit.auth.revocation import RevocationList
from apikit.auth.tokens import AccessClaims, AccessTokens
from apikit.db.engine import Database, ReadSession
from apikit.db.unique import add_unique
from apikit.errors import AuthenticationError, ConflictError, NotFoundError, ValidationError
from apikit.ids import new_id, utcnow
from apikit.metrics import Metrics
from apikit.ratelimit import RateLimiter, client_address
from apikit.schemas import RequestModel

INVALID_CREDENTIALS = "AUTH_INVALID_CREDENTIALS"


@dataclass(frozen=True)
class LoginRates:
    """Every attempt counts per address; only failures count per account, so guessing locks the
    guesser out of that account, not its owner: ``per_account`` counts the failures for one
    account from one address, ``backstop_per_account`` (slower) those from every address."""

    per_address: str = "30/minute"
    per_account: str = "10/minute"
    backstop_per_account: str = "100/hour"


@dataclass(frozen=True, slots=True)
class CheckedPassword:
    """A login's password checked against the account's stored hash (the decoy for no account)."""

    email: str
    user_id: uuid.UUID | None
    checked_hash: str | None
    valid: bool
    new_hash: str | None  # set when the stored hash should be replaced (old algorithm or parameters)


class TokenResponse(BaseModel):
    """A login's tokens, as both services answer them."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int = Field(description="Seconds until the access token expires")


class RefreshRequest(RequestModel):
    refresh_token: str = Field(min_length=1, max_length=512)


def hash_refresh_token(token: str) -> str:
    # The token is 256 random bits: a plain SHA-256 is enough, and lets us look it up by hash.
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(email: str) -> str:
    return email.strip().lower()


class Identity:
    def __init__(
        self,
        *,
        models: IdentityModels,
        database: Database,
        access_tokens: AccessTokens,
        revocations: RevocationList,
        hasher: PasswordHasher,
        limiter: RateLimiter,
        metrics: Metrics,
        refresh_lifetime: timedelta = timedelta(days=30),
        login_rates: LoginRates = LoginRates(),
    ) -> None:
        self.models = models
        self.database = database
        self.access_tokens = access_tokens
        self.revocations = revocations
        self.hasher = hasher
        self.limiter = limiter
        self.audit = AuditLog(models.security_event)
        self.refresh_lifetime = refresh_lifetime
        self.login_rates = login_rates
        self._logins_failed = metrics.counter("logins_failed", "Failed login attempts", ("reason",))
        self._logins = metrics.counter("logins_succeeded", "Successful logins")
        self._reuse = metrics.counter("refresh_token_reuse", "Used refresh tokens presented again")

    async def hash_new_password(
        self, password: str, *, email: str, other_inputs: tuple[str, ...] = ()
    ) -> str:
        """A new account's password checked against the policy (422 ``VAL_PASSWORD``), then
        hashed. Call it before the request's unit of work opens: Argon2 never runs while the
        request holds a database turn (SQLite's writer turn, a pooled connection)."""
        problems = password_problems(password, email=normalize_email(email), other_inputs=other_inputs)
        if problems:
            details = {"field": "password", "reasons": problems}
            raise ValidationError("The password is too weak", code="VAL_PASSWORD", details=details)
        return await self.hasher.hash(password)

    async def add_user(
        self,
        session: AsyncSession,
        user: UserColumns,
        *,
        request: Request | None = None,
        actor_id: uuid.UUID | None = None,
    ) -> None:
        """Insert a new account (a taken email is a 409) and audit it."""
        duplicate = ConflictError(
            "An account with this email exists", code="CF_DUPLICATE_EMAIL", details={"field": "email"}
        )
        await add_unique(session, user, duplicate)
        await self.audit.record(
            session, "user_created", request=request, user_id=user.id, actor_id=actor_id, role=user.role
        )

    async def get_user(self, session: ReadSession, user_id: uuid.UUID) -> Any:
        user = await session.get(self.models.user, user_id)
        if user is None:
            raise NotFoundError("No such user", code="NF_USER")
        return user

    async def change_access(
        self,
        session: AsyncSession,
        user: UserColumns,
        changes: dict[str, Any],
        *,
        actor_id: uuid.UUID | None,
        request: Request | None,
    ) -> None:
        """Apply ``role`` and ``is_active`` from ``changes``, each change audited. A new role or a
        disabled account revokes every token the user holds (their tokens carry the old role)."""
        if "role" in changes and changes["role"] != user.role:
            await self.audit.record(
                session,
                "role_changed",
                request=request,
                user_id=user.id,
                actor_id=actor_id,
                old=user.role,
                new=changes["role"],
            )
            user.role = changes["role"]
            await self.revocations.revoke_user(session, user)
        if "is_active" in changes and changes["is_active"] != user.is_active:
            user.is_active = changes["is_active"]
            event = "user_enabled" if user.is_active else "user_disabled"
            await self.audit.record(session, event, request=request, user_id=user.id, actor_id=actor_id)
            if not user.is_active:
                await self.revocations.revoke_user(session, user)
        await session.flush()

    async def find_user(self, session: AsyncSession, email: str) -> Any:
        statement = select(self.models.user).where(self.models.user.email == normalize_email(email))
        return (await session.execute(statement)).scalar_one_or_none()

    async def check_password(self, request: Request, email: str, password: str) -> CheckedPassword:
        """The login limits (:class:`LoginRates`), then the password against the stored hash.

        Call it before the request's unit of work opens (from a dependency declared ahead of the
        write session): Argon2 takes a fifth of a second, and a write session held meanwhile keeps
        SQLite's writer turn (or a pooled connection) from every other request. An unknown account
        costs one hash too, so timing tells nothing.
        """
        address, account, rates = client_address(request), normalize_email(email), self.login_rates
        await self.limiter.hit(rates.per_address, "login:address", address)
        await self.limiter.check(rates.per_account, "login:account-address", account, address)
        await self.limiter.check(rates.backstop_per_account, "login:account", account)
        async with self.database.reading() as session:
            user = await self.find_user(session, account)
        stored = user.password_hash if user is not None else None
        valid, new_hash = await self.hasher.verify(password, stored)
        return CheckedPassword(account, user.id if user is not None else None, stored, valid, new_hash)

    async def authenticate(self, session: AsyncSession, request: Request, checked: CheckedPassword) -> Any:
        """The active user whose password was checked, or ``AuthenticationError``; a failure is
        audited (kept with the 401) and counted toward the account's limits."""
        user = await session.get(self.models.user, checked.user_id) if checked.user_id else None
        # A password changed since the check: the hash checked is no longer the account's.
        valid = checked.valid and user is not None and user.password_hash == checked.checked_hash
        if user is None or not valid or not user.is_active:
            reason = "unknown_user" if user is None else ("bad_password" if not valid else "inactive")
            self._logins_failed.labels(reason).inc()
            address, rates = client_address(request), self.login_rates
            await self.limiter.count(rates.per_account, "login:account-address", checked.email, address)
            await self.limiter.count(rates.backstop_per_account, "login:account", checked.email)
            await self.audit.record(
                session, "login_failed", request=request, user_id=user.id if user else None, reason=reason
            )
            raise AuthenticationError(
                "Email or password is incorrect", code=INVALID_CREDENTIALS, keep_changes=True
            )
        if checked.new_hash is not None:
            user.password_hash = checked.new_hash  # upgraded to the current algorithm and parameters
        return user

    async def complete_login(
        self, session: AsyncSession, request: Request, user: UserColumns
    ) -> TokenResponse:
        self._logins.inc()
        await self.audit.record(session, "login_succeeded", request=request, user_id=user.id)
        return await self.issue_pair(session, user)

    async def issue_pair(
        self, session: AsyncSession, user: UserColumns, family_id: uuid.UUID | None = None
    ) -> TokenResponse:
        family_id = family_id or new_id()
        refresh_token = secrets.token_urlsafe(32)
        session.add(
            self.models.refresh_token(
                user_id=user.id,
                family_id=family_id,
                token_hash=hash_refresh_token(refresh_token),
                expires_at=utcnow() + self.refresh_lifetime,
            )
        )
        access_token, _ = self.access_tokens.issue(str(user.id), user.role, sid=str(family_id))
        await session.flush()
        return TokenResponse(
            access_token=access_token,
            refresh_token=refresh_token,
            expires_in=int(self.access_tokens.lifetime.total_seconds()),
        )

    async def refresh(self, session: AsyncSession, request: Request, refresh_token: str) -> TokenResponse:
        """Rotate: the presented token is spent and a new pair issued in the same family.

        A token presented twice means two parties hold it: the whole family is revoked, and so is
        every access token of the user; the 401 keeps those changes (``keep_changes``).
        """
        model = self.models.refresh_token
        token_hash = hash_refresh_token(refresh_token)
        now = utcnow()
        # The conditional update decides races: exactly one caller spends a token.
        spent = await session.execute(
            update(model)
            .where(
                model.token_hash == token_hash,
                model.used_at.is_(None),
                model.revoked_at.is_(None),
                model.expires_at > now,
            )
            .values(used_at=now)
            .returning(model.user_id, model.family_id)
        )
        row = spent.one_or_none()
        if row is None:
            await self._refuse_refresh(session, request, token_hash)
        user_id, family_id = row
        user = await session.get(self.models.user, user_id)
        if user is None or not user.is_active:
            raise AuthenticationError("The account is not active", code="AUTH_INVALID_TOKEN")
        return await self.issue_pair(session, user, family_id)

    async def _refuse_refresh(self, session: AsyncSession, request: Request, token_hash: str) -> NoReturn:
        model = self.models.refresh_token
        token = (
            await session.execute(select(model).where(model.token_hash == token_hash))
        ).scalar_one_or_none()
        if token is None or token.used_at is None:
            raise AuthenticationError("The refresh token is not valid", code="AUTH_INVALID_TOKEN")
        self._reuse.inc()
        await session.execute(
            update(model)
            .where(model.family_id == token.family_id, model.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        user = await session.get(self.models.user, token.user_id)
        if user is not None:
            await self.revocations.revoke_user(session, user)
        await self.audit.record(
            session,
            "refresh_token_reused",
            request=request,
            user_id=token.user_id,
            family_id=str(token.family_id),
        )
        raise AuthenticationError(
            "This refresh token was already used; every session of the account is now signed out",
            code="AUTH_TOKEN_REUSED",
            keep_changes=True,
        )

    async def logout(self, session: AsyncSession, request: Request, claims: AccessClaims) -> None:
        """The access token and its refresh family stop working."""
        await self.revocations.revoke_token(session, claims)
        if claims.sid:
            model = self.models.refresh_token
            await session.execute(
                update(model)
                .where(model.family_id == uuid.UUID(claims.sid), model.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
        await self.audit.record(session, "logout", request=request, user_id=uuid.UUID(claims.sub))
