"""``alloy``: serve, migrate and manage Alloy."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alloy.catalogue.loader import load_shipped_catalogue
from alloy.demo import seed_demo
from alloy.identity.models import User
from alloy.identity.roles import Role
from alloy.identity.service import AccountService
from alloy.main import create_app_from_env
from alloy.settings import AlloySettings
from apikit.auth.identity import Identity, normalize_email
from apikit.cli import ServiceEntry, run_with_identity, service_cli
from apikit.db.engine import Database


async def _create_user(
    session: AsyncSession, identity: Identity, email: str, password: str, role: str
) -> User:
    service = AccountService(session, identity, AlloySettings())
    return await service.create_account(
        email=email, password=password, name=email.split("@")[0], role=Role(role)
    )


async def load_catalogue_into(database: Database) -> None:
    """Entries added to the shipped data files since the last migration (never overwriting)."""
    async with database.engine.begin() as connection:
        report = await connection.run_sync(load_shipped_catalogue)
    if report.movements_added or report.circuits_added:
        typer.echo(f"alloy: catalogue +{report.movements_added} movements, +{report.circuits_added} circuits")


def promote(
    email: Annotated[str, typer.Argument(help="The account to promote")],
    role: Annotated[Role, typer.Option(help="The new role")] = Role.ADMIN,
) -> None:
    """Give an account a role (the equivalent of the old admin_access table)."""

    async def change(session: AsyncSession, identity: Identity) -> User:
        found = await session.execute(select(User).where(User.email == normalize_email(email)))
        user = found.scalar_one_or_none()
        if user is None:
            raise typer.BadParameter(f"no account {email}", param_hint="EMAIL")
        service = AccountService(session, identity, AlloySettings())
        return await service.change_role_or_state(None, user.id, {"role": role.value}, actor_id=None)

    asyncio.run(run_with_identity(SERVICE, change))
    typer.echo(f"alloy: {normalize_email(email)} is now {role.value}")


SERVICE = ServiceEntry(
    name="alloy",
    settings=AlloySettings,
    app_factory="alloy.main:create_app_from_env",
    build_app=create_app_from_env,
    migrations="alloy:migrations",
    default_port=8001,
    roles=tuple(Role),
    create_user=_create_user,
    user_commands=(promote,),
    after_migrate=load_catalogue_into,
    seed_demo=seed_demo,
)

app = service_cli(SERVICE)
