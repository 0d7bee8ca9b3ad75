"""The commands every service has: ``serve``, ``migrate``, ``openapi``, ``purge``, ``users create``.

A service builds its Typer app with :func:`service_cli` and adds its own commands to it.
(No ``from __future__ import annotations``: Typer reads the options' annotations at run time, and
they name the service entry.)
"""

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import typer
import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from apikit import migrations
from apikit.auth.identity import Identity
from apikit.db.engine import Database
from apikit.errors import ApiError
from apikit.logging import configure_logging, get_logger
from apikit.purge import BATCH_SIZE, purge
from apikit.settings import ServiceSettings

log = get_logger("apikit.cli")
# uvicorn takes a worker that does not answer its supervisor's ping within this for dead. A new
# worker first imports the service (the command's whole module tree, spawned afresh): seconds on a
# busy machine (30 s at a load of 9 on 2 cores), past uvicorn's own 5: workers were killed and
# restarted forever.
WORKER_HEALTHCHECK_SECONDS = 60

T = TypeVar("T")


CreateUser = Callable[[AsyncSession, Identity, str, str, str], Awaitable[object]]


@dataclass(frozen=True)
class ServiceEntry:
    """What the shared commands need to know about a service."""

    name: str
    settings: Callable[[], ServiceSettings]
    app_factory: str  # "firemode.main:create_app_from_env", for uvicorn's --factory
    build_app: Callable[[], FastAPI]
    migrations: str  # "firemode:migrations"
    default_port: int
    roles: tuple[str, ...]
    create_user: CreateUser  # (session, identity, email, password, role)
    user_commands: tuple[Callable[..., None], ...] = ()  # more `users …` commands of the service
    # Run after every migration to head: loads reference data (migrations stay schema-only, so a
    # model's later column never breaks an old migration), idempotently.
    after_migrate: Callable[[Database], Awaitable[None]] | None = None
    # Demo accounts and data for `make run`: returns the lines to print (credentials, ids).
    seed_demo: Callable[[AsyncSession, Identity], Awaitable[list[str]]] | None = None


def database_for(settings: ServiceSettings) -> Database:
    return Database(settings.effective_database_url, timeout_seconds=settings.database_timeout_seconds)


async def migrate(entry: ServiceEntry, database: Database, revision: str = "head") -> None:
    """What ``migrate`` does to ``database``: the schema migrations, then (at head) the service's
    ``after_migrate`` step, the one place reference data is loaded."""
    await migrations.upgrade(database, entry.migrations, revision)
    if entry.after_migrate is not None and revision == "head":
        await entry.after_migrate(database)


async def migrate_database(entry: ServiceEntry, revision: str = "head") -> None:
    settings = entry.settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = database_for(settings)
    try:
        await migrate(entry, database, revision)
    finally:
        await database.dispose()


def serve_workers(settings: ServiceSettings, workers: int | None) -> int:
    """The worker processes ``serve`` starts: ``workers`` when given, else one per core in
    production (a worker runs Python on one core at a time) and one elsewhere (development and
    tests want one process to debug and one set of in-memory stores)."""
    if workers is not None:
        return workers
    return (os.cpu_count() or 1) if settings.is_production else 1


def proxy_options(settings: ServiceSettings) -> dict[str, Any]:
    """uvicorn's proxy options for ``serve``: ``X-Forwarded-For`` names the client only when the
    peer is one of the configured proxies (``FORWARDED_ALLOW_IPS``), and by default it is none."""
    trusted = settings.forwarded_allow_ips.strip()
    # Always given: left out, uvicorn would fall back to its own default, 127.0.0.1.
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted}


async def _embedded_database_behind(entry: ServiceEntry) -> bool:
    settings = entry.settings()
    if settings.database_url and not settings.database_url.startswith("sqlite"):
        return False  # a shared server is migrated by its operator, never implicitly
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = database_for(settings)
    try:
        return await migrations.is_behind(database, entry.migrations)
    finally:
        await database.dispose()


def service_cli(entry: ServiceEntry) -> typer.Typer:
    cli = typer.Typer(
        help=f"{entry.name}: serve, migrate and manage the service.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )

    @cli.command()
    def serve(
        host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to bind")] = entry.default_port,
        workers: Annotated[
            int | None,
            typer.Option(min=1, help="Worker processes (default: one per core when ENV=production, else 1)"),
        ] = None,
        reload: Annotated[bool, typer.Option(help="Restart on code changes (development)")] = False,
    ) -> None:
        """Serve the API (migrates the embedded database first when it is behind)."""
        settings = entry.settings()
        configure_logging(json_lines=settings.json_logs, level=settings.log_level)
        if asyncio.run(_embedded_database_behind(entry)):
            log.info("migrating_embedded_database", service=entry.name)
            asyncio.run(migrate_database(entry))
        uvicorn.run(
            entry.app_factory,
            factory=True,
            host=host,
            port=port,
            workers=None if reload else serve_workers(settings, workers),
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
            reload=reload,
            access_log=False,
            log_config=None,
            server_header=False,
            **proxy_options(settings),
        )

    @cli.command()
    def migrate(
        revision: Annotated[str, typer.Option(help="Target revision")] = "head",
    ) -> None:
        """Apply the database migrations."""
        settings = entry.settings()
        configure_logging(json_lines=settings.json_logs, level=settings.log_level)
        asyncio.run(migrate_database(entry, revision))
        typer.echo(f"{entry.name}: database at {revision}")

    @cli.command()
    def openapi() -> None:
        """Print the OpenAPI document."""
        typer.echo(json.dumps(entry.build_app().openapi(), indent=2))

    @cli.command("purge")
    def purge_expired(
        as_json: Annotated[bool, typer.Option("--json", help="Print the counts as one JSON object")] = False,
        batch_size: Annotated[int, typer.Option(min=1, help="Rows deleted per transaction")] = BATCH_SIZE,
    ) -> None:
        """Remove what has expired (idempotency keys, revocations of expired tokens, long-dead
        refresh-token families, the service's own kinds) and print how many of each."""
        settings = entry.settings()
        configure_logging(json_lines=settings.json_logs, level=settings.log_level)
        removed = asyncio.run(purge_service(entry, batch_size))
        if as_json:
            typer.echo(json.dumps(removed))
            return
        for kind, count in removed.items():
            typer.echo(f"{kind}: {count} removed")

    @cli.command("seed-demo")
    def seed_demo() -> None:
        """Create the demo accounts and data if absent, and print how to use them (development)."""
        settings = entry.settings()
        if settings.is_production:
            raise typer.BadParameter("seed-demo refuses to run with ENV=production")
        if entry.seed_demo is None:
            typer.echo(f"{entry.name}: no demo data")
            return
        seed = entry.seed_demo
        lines = asyncio.run(run_with_identity(entry, lambda session, identity: seed(session, identity)))
        for line in lines:
            typer.echo(line)

    cli.add_typer(_users_cli(entry), name="users")
    return cli


async def purge_service(entry: ServiceEntry, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Every purgeable kind of the service, once (see :mod:`apikit.purge`)."""
    if await _embedded_database_behind(entry):
        await migrate_database(entry)
    app = entry.build_app()
    try:
        return await purge(app.state.purgeable_kinds, batch_size=batch_size)
    finally:
        await app.state.database.dispose()


async def run_with_identity(entry: ServiceEntry, work: Callable[[AsyncSession, Identity], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction with the service's identity machinery, outside any request."""
    if await _embedded_database_behind(entry):
        await migrate_database(entry)
    app = entry.build_app()
    try:
        async with app.state.database.transactional() as session:
            return await work(session, app.state.identity)
    finally:
        await app.state.database.dispose()


def read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _users_cli(entry: ServiceEntry) -> typer.Typer:
    users = typer.Typer(help="Manage user accounts.", no_args_is_help=True)

    @users.command("create")
    def create(
        email: Annotated[str, typer.Option(help="The account's email (its login)")],
        role: Annotated[str, typer.Option(help=f"One of: {', '.join(entry.roles)}")],
        password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input")] = False,
    ) -> None:
        """Create an account (the first admin is made this way)."""
        if role not in entry.roles:
            raise typer.BadParameter(f"role must be one of {', '.join(entry.roles)}", param_hint="--role")
        password = read_password(password_stdin)

        async def create_user(session: AsyncSession, identity: Identity) -> object:
            return await entry.create_user(session, identity, email, password, role)

        try:
            asyncio.run(run_with_identity(entry, create_user))
        except ApiError as error:
            typer.echo(f"error: {error.message} {error.details or ''}".rstrip(), err=True)
            raise typer.Exit(1) from None
        typer.echo(f"{entry.name}: created {role} {email.strip().lower()}")

    for command in entry.user_commands:
        users.command()(command)
    return users
