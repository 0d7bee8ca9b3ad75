"""``firemode``: serve, migrate and manage FireMode."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
import uvicorn
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from apikit.auth.identity import Identity
from apikit.cli import ServiceEntry, database_for, proxy_options, service_cli
from apikit.db.engine import Database
from apikit.logging import configure_logging
from firemode.demo import seed_demo
from firemode.evidence.models import Evidence
from firemode.evidence.storage import store_from_settings
from firemode.evidence.upload import stale_uploads
from firemode.evidence.verify import VerifyReport, verify_store
from firemode.identity.models import User
from firemode.identity.roles import Role
from firemode.identity.service import UserService
from firemode.main import create_app_from_env
from firemode.reference_data import load_shipped_reference_data
from firemode.settings import FireModeSettings


async def _create_user(
    session: AsyncSession, identity: Identity, email: str, password: str, role: str
) -> User:
    return await UserService(session, identity).create_user(email=email, password=password, role=Role(role))


async def load_reference_data_into(database: Database) -> None:
    """The shipped routine table and classification rules, into a database that has none yet."""
    async with database.engine.begin() as connection:
        for name in await connection.run_sync(load_shipped_reference_data):
            typer.echo(f"firemode: {name} version 1 loaded")


SERVICE = ServiceEntry(
    name="firemode",
    settings=FireModeSettings,
    app_factory="firemode.main:create_app_from_env",
    build_app=create_app_from_env,
    migrations="firemode:migrations",
    default_port=8000,
    roles=tuple(Role),
    create_user=_create_user,
    after_migrate=load_reference_data_into,
    seed_demo=seed_demo,
)

app = service_cli(SERVICE)


@app.command("sync-worker")
def sync_worker(
    host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind")] = 8010,
) -> None:
    """Serve the merge engine for an API started with FIREMODE_SYNC_URL=http://HOST:PORT."""
    settings = FireModeSettings()
    configure_logging(json_lines=settings.json_logs, level=settings.log_level)
    uvicorn.run(
        "firemode.sync.worker:create_worker_from_env",
        factory=True,
        host=host,
        port=port,
        access_log=False,
        log_config=None,
        server_header=False,
        **proxy_options(settings),
    )


evidence = typer.Typer(help="Evidence blobs.", no_args_is_help=True)
app.add_typer(evidence, name="evidence")


@evidence.command("verify")
def verify_evidence() -> None:
    """Re-hash every stored blob; report mismatches and missing blobs (exit 1 when any), and the
    blobs no row refers to and the temporary files of dead uploads (reported only: `firemode
    purge` removes them, and an unreferenced blob younger than an upload may be one in flight)."""
    settings = FireModeSettings()
    configure_logging(json_lines=settings.json_logs, level="WARNING")
    report = asyncio.run(_verify(settings))
    unreferenced = f"{report.orphans} unreferenced"
    if report.orphans:
        unreferenced += (
            f" ({len(report.young_orphans)} young, possibly uploads in flight; "
            f"{len(report.old_orphans)} old, which a purge removes)"
        )
    typer.echo(
        f"checked {report.checked}: {report.intact} intact, {len(report.mismatched)} mismatched, "
        f"{len(report.missing)} missing, {unreferenced}, "
        f"{len(report.stale_temp_files)} stale temporary files"
    )
    for mismatch in report.mismatched:
        typer.echo(f"MISMATCH {mismatch}", err=True)
    for sha256 in report.missing:
        typer.echo(f"MISSING  {sha256}", err=True)
    for sha256 in report.young_orphans:
        typer.echo(f"YOUNG    {sha256}", err=True)
    for sha256 in report.old_orphans:
        typer.echo(f"OLD      {sha256}", err=True)
    for path in report.stale_temp_files:
        typer.echo(f"STALE    {path}", err=True)
    if not report.ok:
        raise typer.Exit(1)


async def _verify(settings: FireModeSettings) -> VerifyReport:
    from rich.progress import Progress

    database = database_for(settings)
    store = store_from_settings(settings.evidence_store_url, settings.data_dir)
    try:
        async with database.read_sessions() as session:
            total = await session.scalar(select(func.count(func.distinct(Evidence.sha256))))
            rows = (await session.execute(select(Evidence.sha256, Evidence.size_bytes).distinct())).all()
        with Progress(transient=True) as progress:
            task = progress.add_task("verifying evidence", total=total or 0)
            report = await verify_store(
                store,
                [(sha256, size) for sha256, size in rows],
                progress=lambda done: progress.update(task, completed=done),
                young_within_seconds=settings.stale_upload_seconds,
            )
        report.stale_temp_files = await stale_uploads(
            store.temp_dir, older_than_seconds=settings.stale_upload_seconds
        )
        return report
    finally:
        await database.dispose()
