"""``/v1/scoring/config``: the versioned weights that drive movement selection (admins)."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from alloy.catalogue.repository import ScoringConfigRepository
from alloy.catalogue.schemas import ScoringConfigOut, ScoringConfigRequest, ScoringValidationOut
from alloy.catalogue.service import ScoringService, validated
from alloy.identity.roles import AdminUser
from apikit.cache import CacheDep
from apikit.db.engine import ReadSession, WriteSession
from apikit.envelope import Envelope, envelope
from apikit.openapi import error_responses

router = APIRouter(prefix="/v1/scoring/config", tags=["scoring"])


@router.get(
    "",
    response_model=Envelope[ScoringConfigOut],
    summary="The scoring configuration in force (admin)",
    responses=error_responses(401, 403),
)
async def read_scoring_config(
    request: Request, _admin: AdminUser, session: ReadSession
) -> Envelope[ScoringConfigOut]:
    config = await ScoringConfigRepository(session).current()
    return envelope(request, ScoringConfigOut.model_validate(config))


@router.put(
    "",
    response_model=Envelope[ScoringConfigOut],
    status_code=status.HTTP_201_CREATED,
    summary="Put a new version of the scoring configuration in force (admin)",
    responses=error_responses(400, 401, 403),
)
async def replace_scoring_config(
    request: Request, body: ScoringConfigRequest, admin: AdminUser, session: WriteSession, cache: CacheDep
) -> Envelope[ScoringConfigOut]:
    config = await ScoringService(session, cache).put_in_force(body, admin.user_id if admin else None)
    return envelope(request, ScoringConfigOut.model_validate(config))


@router.post(
    "/validate",
    response_model=Envelope[ScoringValidationOut],
    summary="Check a scoring configuration without saving it (admin)",
    responses=error_responses(401, 403),
)
async def validate_scoring_config(
    request: Request, body: ScoringConfigRequest, _admin: AdminUser
) -> Envelope[ScoringValidationOut]:
    return envelope(request, validated(body))


@router.get(
    "/versions",
    response_model=Envelope[list[ScoringConfigOut]],
    summary="Every version of the scoring configuration, newest first (admin)",
    responses=error_responses(401, 403),
)
async def list_scoring_versions(
    request: Request, _admin: AdminUser, session: ReadSession
) -> Envelope[list[ScoringConfigOut]]:
    configs = await ScoringConfigRepository(session).list_newest_first()
    return envelope(request, [ScoringConfigOut.model_validate(config) for config in configs])
