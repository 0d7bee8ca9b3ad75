"""Demo accounts for `make run` (development only; idempotent)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alloy.identity.models import User
from alloy.identity.roles import Role
from alloy.identity.service import AccountService
from alloy.settings import AlloySettings
from apikit.auth.identity import Identity

DEMO_PASSWORD = "heavy kettlebell before breakfast"  # noqa: S105 - printed by `make run`; refused in production
DEMO_ACCOUNTS = {Role.USER: "athlete@alloy.example.com", Role.ADMIN: "coach@alloy.example.com"}


async def seed_demo(session: AsyncSession, identity: Identity) -> list[str]:
    accounts = AccountService(session, identity, AlloySettings())
    for role, email in DEMO_ACCOUNTS.items():
        if (await session.execute(select(User).where(User.email == email))).scalar_one_or_none() is None:
            await accounts.create_account(
                email=email, password=DEMO_PASSWORD, name=email.split("@")[0], role=role
            )
    return [
        f"Alloy demo accounts (password: {DEMO_PASSWORD!r}):",
        *(f"  {role:<10} {email}" for role, email in DEMO_ACCOUNTS.items()),
    ]
