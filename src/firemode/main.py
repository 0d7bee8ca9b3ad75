"""The FireMode app: the kit's HTTP contract with FR-5 errors, plus FireMode's routers."""

from __future__ import annotations

import re

from fastapi import FastAPI

from apikit.app import create_app
from apikit.auth.setup import install_identity
from apikit.health import ReadinessCheck
from apikit.logging import get_logger
from apikit.purge import BATCH_SIZE, PurgeableKind, expired_idempotency_keys, expired_rows
from firemode.assets.asset_types_router import router as asset_types_router
from firemode.assets.register_router import router as register_router
from firemode.assets.router import router as assets_router
from firemode.buildings.router import router as buildings_router
from firemode.bundle.router import router as bundle_router
from firemode.defects.router import router as defects_router
from firemode.defects.rules_router import router as rules_router
from firemode.errors import ERROR_FORMAT
from firemode.evidence.orphans import remove_unreferenced_blobs
from firemode.evidence.router import router as evidence_router
from firemode.evidence.storage import (
    PING_TIMEOUT_SECONDS,
    EvidenceStore,
    ObjectEvidenceStore,
    store_from_settings,
)
from firemode.evidence.upload import remove_stale_uploads
from firemode.identity.models import IDENTITY_MODELS
from firemode.identity.router import router as identity_router
from firemode.records.router import router as records_router
from firemode.reports.router import router as reports_router
from firemode.routines.router import router as routines_router
from firemode.schedule.router import router as schedule_router
from firemode.sessions.router import router as sessions_router
from firemode.settings import FireModeSettings
from firemode.sync.boundary import InProcessMerge, MergeBoundary, SyncWorkerClient
from firemode.sync.models import AppliedBatch, IdempotencyKey
from firemode.sync.router import router as results_router
from firemode.sync.service import limits_from

log = get_logger("firemode")

DESCRIPTION = """\
Fire-safety compliance testing under AS 1851: buildings, offline-first test sessions whose results
merge from many devices, and evidence that is provably the captured file.

Every error has the FR-5 shape `{transaction_id, error_code, message, retryable, details?}`.
"""


def create_firemode_app(settings: FireModeSettings | None = None) -> FastAPI:
    settings = settings or FireModeSettings()
    app = create_app(
        settings=settings,
        title="FireMode",
        version="1.0.0",
        description=DESCRIPTION,
        error_format=ERROR_FORMAT,
        routers=[
            identity_router,
            buildings_router,
            register_router,
            assets_router,
            asset_types_router,
            routines_router,
            sessions_router,
            results_router,
            evidence_router,
            defects_router,
            rules_router,
            records_router,
            schedule_router,
            bundle_router,
            reports_router,
        ],
        # Uploads stream past the general body cap; their own cap applies while the bytes arrive.
        body_limit_for=lambda path: upload_limit(settings, path),
    )
    install_identity(app, IDENTITY_MODELS)
    app.state.sync_limits = limits_from(settings)
    app.state.merge_boundary = merge_boundary_for(app)
    app.state.evidence_store = store_from_settings(settings.evidence_store_url, settings.data_dir)
    app.state.readiness_checks.extend(dependency_checks(app))
    app.state.startup_hooks.append(lambda: sweep_dead_uploads(app.state.evidence_store, settings))
    app.state.startup_hooks.append(lambda: sweep_unreferenced_blobs(app))
    # Never a kind from the 7-year record set (sessions, changes, evidence, defects and their
    # transitions, service records, security events): tests/firemode/defects/test_retention.py checks.
    app.state.purgeable_kinds.extend(
        [
            expired_idempotency_keys(app.state.database, IdempotencyKey),
            # The sync worker's record of a key's batch lives as long as the key.
            expired_rows("applied_batches", app.state.database, AppliedBatch),
            dead_upload_files(app.state.evidence_store, settings),
            unreferenced_blobs(app),
        ]
    )
    metrics = app.state.metrics
    app.state.evidence_bytes = metrics.counter("evidence_bytes_stored", "Evidence bytes uploaded")
    app.state.changes_merged = metrics.counter("changes_merged", "Result changes accepted into sessions")
    return app


_ASSET_IMPORT = re.compile(r"^/v1/buildings/[^/]+/assets/import$")
_MULTIPART_ROOM = 64 * 1024  # the multipart envelope around the file


def upload_limit(settings: FireModeSettings, path: str) -> int | None:
    """The body cap of the routes that take a file (None: the general one)."""
    if path == "/v1/evidence":
        return settings.evidence_max_bytes + _MULTIPART_ROOM
    if _ASSET_IMPORT.match(path):
        return settings.asset_import_max_bytes + _MULTIPART_ROOM
    return None


def dependency_checks(app: FastAPI) -> list[ReadinessCheck]:
    """What ``/ready`` checks besides the kit's database and Redis: an object store when evidence
    lives in one, the sync worker when ``FIREMODE_SYNC_URL`` names one. A local evidence directory
    is not checked: it is this machine's disk, as the embedded database is. Each probe reaches the
    store or worker the app serves with (``app.state``), at the time of the request."""
    settings: FireModeSettings = app.state.settings
    checks = []
    if isinstance(app.state.evidence_store, ObjectEvidenceStore):

        async def ping_store() -> None:
            await app.state.evidence_store.ping()

        checks.append(ReadinessCheck("evidence_store", ping_store, PING_TIMEOUT_SECONDS))
    if settings.sync_url is not None:

        async def ping_worker() -> None:
            await app.state.merge_boundary.ping()

        checks.append(ReadinessCheck("sync_worker", ping_worker, settings.sync_timeout_seconds))
    return checks


async def sweep_dead_uploads(store: EvidenceStore, settings: FireModeSettings) -> None:
    """Remove the temporary files of uploads whose process was killed (never a live upload's:
    only files older than an upload may run); a failure is logged, never a reason not to start."""
    try:
        removed = await remove_stale_uploads(store.temp_dir, older_than_seconds=settings.stale_upload_seconds)
    except OSError as exc:
        log.warning("stale_uploads_sweep_failed", directory=str(store.temp_dir), error=repr(exc))
        return
    if removed:
        log.info("stale_uploads_removed", directory=str(store.temp_dir), count=removed)


def dead_upload_files(store: EvidenceStore, settings: FireModeSettings) -> PurgeableKind:
    """Temporary files of uploads killed mid-way (older than any upload may run)."""

    async def remove(_batch_size: int) -> int:
        return await remove_stale_uploads(store.temp_dir, older_than_seconds=settings.stale_upload_seconds)

    return PurgeableKind("upload_temp_files", remove)


def unreferenced_blobs(app: FastAPI) -> PurgeableKind:
    """Blobs no row refers to, older than any upload may run (a kill between a blob's move and
    its row's commit leaves one); each is decided under a guard that orders it with uploads of
    the same bytes (see :mod:`firemode.evidence.orphans`). The store is the one the app serves from."""

    async def remove(batch_size: int) -> int:
        return await remove_unreferenced_blobs(
            app.state.database,
            app.state.evidence_store,
            older_than_seconds=app.state.settings.stale_upload_seconds,
            batch_size=batch_size,
        )

    return PurgeableKind("unreferenced_blobs", remove)


async def sweep_unreferenced_blobs(app: FastAPI) -> None:
    """At start-up, after the temporary files: what the last process's kill left. A failure is
    logged, never a reason not to start (the periodic purge and `firemode purge` try again)."""
    try:
        removed = await unreferenced_blobs(app).remove(BATCH_SIZE)
    except Exception:
        log.exception("unreferenced_blobs_sweep_failed")
        return
    if removed:
        log.info("unreferenced_blobs_removed", count=removed)


def merge_boundary_for(app: FastAPI) -> MergeBoundary:
    """In process, unless ``FIREMODE_SYNC_URL`` names a sync worker."""
    settings: FireModeSettings = app.state.settings
    if settings.sync_url is None:
        return InProcessMerge(app.state.sync_limits)
    client = SyncWorkerClient(settings.sync_url, app.state.internal_tokens, settings.sync_timeout_seconds)
    app.state.shutdown_hooks.append(client.close)
    return client


def create_app_from_env() -> FastAPI:
    """uvicorn's ``--factory`` entry point."""
    return create_firemode_app()
