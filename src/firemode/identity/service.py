"""Managing FireMode's users: the rules behind the admin endpoints and the CLI."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from apikit.auth.dependencies import Principal
from apikit.auth.identity import Identity, normalize_email
from apikit.auth.password_policy import password_problems
from apikit.db.unique import add_unique
from apikit.errors import (
    AuthenticationError,
    BusinessRuleError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from firemode.identity.models import User
from firemode.identity.roles import Role


async def acting_for(session: AsyncSession, user_id: uuid.UUID, role: Role) -> Principal:
    """The user one of our processes acts for, as the API authenticated them: an active user with
    that role. Anyone else (no such user, disabled, or given another role since, which revoked
    their tokens) is a 401, as their own token would now be."""
    user = await session.get(User, user_id)
    if user is None or not user.is_active or user.role != role:
        raise AuthenticationError(
            "The caller is not an active user with this role",
            code="AUTH_INVALID_TOKEN",
            details={"caller_id": str(user_id)},  # the user's 401, not the API's (see SyncWorkerClient)
        )
    return Principal(user_id=user.id, role=user.role)


async def new_password_hash(identity: Identity, *, email: str, password: str) -> str:
    """The password checked against the policy, then hashed: called before a request's unit of
    work opens, so Argon2 never runs while it holds a database turn."""
    problems = password_problems(password, email=normalize_email(email))
    if problems:
        raise ValidationError(
            "The password is too weak",
            code="VAL_PASSWORD",
            details={"field": "password", "reasons": problems},
        )
    return await identity.hasher.hash(password)


class UserService:
    def __init__(self, session: AsyncSession, identity: Identity) -> None:
        self.session = session
        self.identity = identity

    async def create_user(
        self,
        *,
        email: str,
        password: str,
        role: Role,
        full_name: str | None = None,
        actor_id: uuid.UUID | None = None,
        request: Request | None = None,
    ) -> User:
        password_hash = await new_password_hash(self.identity, email=email, password=password)
        return await self.add_user(
            email=email,
            password_hash=password_hash,
            role=role,
            full_name=full_name,
            actor_id=actor_id,
            request=request,
        )

    async def add_user(
        self,
        *,
        email: str,
        password_hash: str,
        role: Role,
        full_name: str | None = None,
        actor_id: uuid.UUID | None = None,
        request: Request | None = None,
    ) -> User:
        user = User(email=normalize_email(email), password_hash=password_hash, role=role, full_name=full_name)
        duplicate = ConflictError(
            "An account with this email exists", code="CF_DUPLICATE_EMAIL", details={"field": "email"}
        )
        await add_unique(self.session, user, duplicate)
        await self.identity.audit.record(
            self.session, "user_created", request=request, user_id=user.id, actor_id=actor_id, role=role
        )
        return user

    async def get_user(self, user_id: uuid.UUID) -> User:
        user = await self.session.get(User, user_id)
        if user is None:
            raise NotFoundError("No such user", code="NF_USER")
        return user

    async def update_user(
        self, user_id: uuid.UUID, changes: dict[str, Any], *, actor_id: uuid.UUID, request: Request
    ) -> User:
        user = await self.get_user(user_id)
        if user.role == Role.ADMIN:
            raise BusinessRuleError(
                "Administrators are managed with the `firemode users` command",
                details={"user_id": str(user_id)},
            )
        audit = self.identity.audit
        if "role" in changes and changes["role"] != user.role:
            await audit.record(
                self.session,
                "role_changed",
                request=request,
                user_id=user.id,
                actor_id=actor_id,
                old=user.role,
                new=changes["role"],
            )
            user.role = changes["role"]
            await self.identity.revocations.revoke_user(self.session, user)  # tokens carry the old role
        if "is_active" in changes and changes["is_active"] != user.is_active:
            user.is_active = changes["is_active"]
            event = "user_enabled" if user.is_active else "user_disabled"
            await audit.record(self.session, event, request=request, user_id=user.id, actor_id=actor_id)
            if not user.is_active:
                await self.identity.revocations.revoke_user(self.session, user)
        if "full_name" in changes:
            user.full_name = changes["full_name"]
        await self.session.flush()
        return user
