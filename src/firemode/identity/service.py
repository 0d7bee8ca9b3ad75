"""Managing FireMode's users: the rules behind the admin endpoints and the CLI (what both services
share — the password policy, the duplicate email, role and active changes — is ``Identity``'s)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from apikit.auth.dependencies import Principal
from apikit.auth.identity import Identity, normalize_email
from apikit.errors import AuthenticationError, BusinessRuleError
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
            details={"caller_id": str(user_id)},  # the user's 401, not the API's (see SyncWorkerClient)
        )
    return Principal(user_id=user.id, role=user.role)


class UserService:
    def __init__(self, session: AsyncSession, identity: Identity) -> None:
        self.session = session
        self.identity = identity

    async def create_user(
        self, *, email: str, password: str, role: Role, full_name: str | None = None
    ) -> User:
        password_hash = await self.identity.hash_new_password(password, email=email)
        return await self.add_user(email=email, password_hash=password_hash, role=role, full_name=full_name)

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
        await self.identity.add_user(self.session, user, request=request, actor_id=actor_id)
        return user

    async def get_user(self, user_id: uuid.UUID) -> User:
        user: User = await self.identity.get_user(self.session, user_id)
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
        await self.identity.change_access(self.session, user, changes, actor_id=actor_id, request=request)
        if "full_name" in changes:
            user.full_name = changes["full_name"]
            await self.session.flush()
        return user
