"""The Alloy app: the kit's HTTP contract with the response envelope, plus Alloy's routers."""

from __future__ import annotations

from fastapi import FastAPI

from alloy.catalogue.circuits_router import router as circuits_router
from alloy.catalogue.router import router as movements_router
from alloy.catalogue.scoring_router import router as scoring_router
from alloy.identity.audit_router import router as audit_router
from alloy.identity.models import IDENTITY_MODELS
from alloy.identity.router import router as identity_router
from alloy.programs.models import ProgramIdempotencyKey
from alloy.programs.repository import CatalogueSnapshots
from alloy.programs.router import programs as programs_router
from alloy.programs.router import sessions as sessions_router
from alloy.readiness.router import router as readiness_router
from alloy.readiness.router import sessions as adapt_router
from alloy.settings import AlloySettings
from alloy.training.router import logs as workout_logs_router
from alloy.training.router import progress as progress_router
from apikit.app import create_app
from apikit.auth.setup import install_identity
from apikit.error_formats import EnvelopeErrorFormat
from apikit.purge import expired_idempotency_keys

ERROR_FORMAT = EnvelopeErrorFormat()

DESCRIPTION = """\
An adaptive strength-training coach: 8–12 week programs built from weighted goals, days, time and
equipment, over a curated movement catalogue.

Every answer is an envelope `{data, meta: {request_id, timestamp, warnings}, errors}`.
"""


def create_alloy_app(settings: AlloySettings | None = None) -> FastAPI:
    app = create_app(
        settings=settings or AlloySettings(),
        title="Alloy",
        version="1.0.0",
        description=DESCRIPTION,
        error_format=ERROR_FORMAT,
        routers=[
            identity_router,
            audit_router,
            movements_router,
            circuits_router,
            scoring_router,
            programs_router,
            sessions_router,
            readiness_router,
            adapt_router,
            workout_logs_router,
            progress_router,
        ],
    )
    install_identity(app, IDENTITY_MODELS)
    app.state.catalogue_snapshots = CatalogueSnapshots()
    app.state.purgeable_kinds.append(expired_idempotency_keys(app.state.database, ProgramIdempotencyKey))
    return app


def create_app_from_env() -> FastAPI:
    """uvicorn's ``--factory`` entry point."""
    return create_alloy_app()
