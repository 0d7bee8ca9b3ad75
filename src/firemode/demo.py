"""Demo accounts and a building for `make run` (development only; idempotent)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from apikit.auth.identity import Identity
from firemode.buildings.models import Building
from firemode.identity.models import User
from firemode.identity.roles import Role
from firemode.identity.service import UserService

DEMO_PASSWORD = "red extinguisher on level nine"  # noqa: S105 - printed by `make run`; refused in production
DEMO_ACCOUNTS = {
    Role.ADMIN: "admin@firemode.example.com",
    Role.SUPERVISOR: "supervisor@firemode.example.com",
    Role.TECHNICIAN: "tech@firemode.example.com",
}


async def seed_demo(session: AsyncSession, identity: Identity) -> list[str]:
    users = UserService(session, identity)
    ids = {}
    for role, email in DEMO_ACCOUNTS.items():
        existing = (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
        user = existing or await users.create_user(email=email, password=DEMO_PASSWORD, role=role)
        ids[role] = user.id
    building = (
        await session.execute(select(Building).where(Building.name == "Harbour Tower"))
    ).scalar_one_or_none()
    if building is None:
        building = Building(
            name="Harbour Tower",
            address="1 Quay St, Sydney NSW 2000",
            building_type="office",
            created_by=ids[Role.SUPERVISOR],
        )
        session.add(building)
        await session.flush()
    return [
        f"FireMode demo accounts (password: {DEMO_PASSWORD!r}):",
        *(f"  {role:<10} {email}" for role, email in DEMO_ACCOUNTS.items()),
        f"  demo building: {building.id} (Harbour Tower)",
    ]
