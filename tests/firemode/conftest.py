"""FireMode accounts with real tokens from real logins."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from firemode.identity.roles import Role
from firemode.identity.service import UserService
from tests.conftest import ServiceClient

PASSWORD = "correct horse battery staple"


@dataclass
class Account:
    email: str
    user_id: uuid.UUID
    tokens: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}


async def create_account(
    client: ServiceClient, email: str, role: Role, password: str = PASSWORD
) -> uuid.UUID:
    app = client.app
    async with app.state.database.transactional() as session:
        user = await UserService(session, app.state.identity).create_user(
            email=email, password=password, role=role
        )
        return user.id


async def log_in(client: ServiceClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post("/v1/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


async def account(client: ServiceClient, email: str, role: Role) -> Account:
    user_id = await create_account(client, email, role)
    return Account(email, user_id, await log_in(client, email))


@pytest.fixture
async def admin(firemode: ServiceClient) -> Account:
    return await account(firemode, "admin@firemode.example.com", Role.ADMIN)


@pytest.fixture
async def supervisor(firemode: ServiceClient) -> Account:
    return await account(firemode, "supervisor@firemode.example.com", Role.SUPERVISOR)


@pytest.fixture
async def technician(firemode: ServiceClient) -> Account:
    return await account(firemode, "tech@firemode.example.com", Role.TECHNICIAN)


@pytest.fixture
async def other_technician(firemode: ServiceClient) -> Account:
    return await account(firemode, "tech2@firemode.example.com", Role.TECHNICIAN)
