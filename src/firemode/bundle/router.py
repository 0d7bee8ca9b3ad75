"""``GET /v1/tests/sessions/{id}/bundle``: visible as the session is (else 404)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from apikit.conditional import json_with_etag
from apikit.db.engine import ReadSession
from apikit.openapi import error_responses
from firemode.bundle.schemas import Bundle
from firemode.bundle.service import BundleService
from firemode.clock import Today
from firemode.identity.roles import CurrentUser
from firemode.settings import FireModeSettingsDep

router = APIRouter(prefix="/v1/tests/sessions", tags=["test sessions"])


@router.get(
    "/{session_id}/bundle",
    response_model=Bundle,
    summary="What a device needs offline: the session, its building, due work, open defects "
    "(ETag; If-None-Match answers 304)",
    responses={304: {"description": "Not modified"}, **error_responses(401, 404, 413)},
)
async def read_bundle(
    request: Request,
    session_id: uuid.UUID,
    caller: CurrentUser,
    session: ReadSession,
    today: Today,
    settings: FireModeSettingsDep,
) -> Response:
    service = BundleService(session, caller, settings.bundle_max_assets)
    return json_with_etag(request, await service.bundle(session_id, today))
