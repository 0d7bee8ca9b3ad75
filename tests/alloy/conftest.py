"""Alloy accounts with real tokens from real registrations and logins."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from httpx import Response

from alloy.identity.roles import Role
from alloy.identity.service import AccountService
from tests.conftest import ServiceClient

PASSWORD = "correct horse battery staple"


def data_of(response: Response, status: int = 200) -> Any:
    """The ``data`` of a successful envelope, after checking the status."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["errors"] == []
    return body["data"]


def error_code(response: Response, status: int) -> str:
    assert response.status_code == status, response.text
    return str(response.json()["errors"][0]["code"])


@dataclass
class Member:
    email: str
    user_id: uuid.UUID
    tokens: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}


async def log_in(client: ServiceClient, email: str, password: str = PASSWORD, **extra: Any) -> dict[str, Any]:
    response = await client.post("/v1/auth/login", json={"email": email, "password": password, **extra})
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def member(client: ServiceClient, email: str, role: Role = Role.USER) -> Member:
    app = client.app
    async with app.state.database.transactional() as session:
        service = AccountService(session, app.state.identity, app.state.settings)
        user = await service.create_account(
            email=email, password=PASSWORD, name=email.split("@")[0], role=role
        )
    return Member(email, user.id, await log_in(client, email))


@pytest.fixture
async def athlete(alloy: ServiceClient) -> Member:
    return await member(alloy, "athlete@alloy.example.com")


@pytest.fixture
async def admin(alloy: ServiceClient) -> Member:
    return await member(alloy, "coach@alloy.example.com", Role.ADMIN)


@pytest.fixture
async def super_admin(alloy: ServiceClient) -> Member:
    return await member(alloy, "head@alloy.example.com", Role.SUPER_ADMIN)
