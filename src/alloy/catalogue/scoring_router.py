"""``/v1/scoring/config``: the versioned weights that drive movement selection (admins)."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alloy.catalogue.models import ScoringConfig
from alloy.catalogue.schemas import ScoringConfigOut, ScoringConfigRequest, ScoringValidationOut
from alloy.catalogue.scoring import weight_problems
from alloy.identity.roles import AdminUser
from apikit.cache import CacheDep
from apikit.db.engine import ReadOnlySession, ReadSession, WriteSession
from apikit.envelope import Envelope, envelope
from apikit.errors import NotFoundError, ValidationError
from apikit.openapi import error_responses

router = APIRouter(prefix="/v1/scoring/config", tags=["scoring"])
SCORING = "scoring"


def normalised(weights: dict[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    return {name: round(value / total, 6) for name, value in weights.items()}


def config_out(config: ScoringConfig) -> ScoringConfigOut:
    return ScoringConfigOut(
        version=config.version,
        weights=config.weights,
        normalised_weights=normalised(config.weights),
        qualifying_score=config.qualifying_score,
        note=config.note,
        created_by=config.created_by,
        created_at=config.created_at,
    )


async def current_config(session: AsyncSession | ReadSession) -> ScoringConfig:
    """The version in force (the highest)."""
    statement = select(ScoringConfig).order_by(ScoringConfig.version.desc()).limit(1)
    config: ScoringConfig | None = (await session.execute(statement)).scalar_one_or_none()
    if config is None:
        raise NotFoundError("No scoring configuration is installed", code="NF_SCORING_CONFIG")
    return config


@router.get(
    "",
    response_model=Envelope[ScoringConfigOut],
    summary="The scoring configuration in force (admin)",
    responses=error_responses(401, 403),
)
async def read_scoring_config(
    request: Request, _admin: AdminUser, session: ReadOnlySession
) -> Envelope[ScoringConfigOut]:
    return envelope(request, config_out(await current_config(session)))


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
    problems = weight_problems(body.weights)
    if problems:
        raise ValidationError(
            "The scoring configuration is not valid",
            code="VAL_SCORING_WEIGHTS",
            details={"problems": problems},
        )
    previous = await current_config(session)
    config = ScoringConfig(
        version=previous.version + 1,
        weights=body.weights,
        qualifying_score=body.qualifying_score,
        note=body.note,
        created_by=admin.user_id if admin else None,
    )
    session.add(config)
    await session.flush()  # two admins racing for one version number: the primary key decides
    cache.invalidate_after_commit(session, SCORING)
    return envelope(request, config_out(config))


@router.post(
    "/validate",
    response_model=Envelope[ScoringValidationOut],
    summary="Check a scoring configuration without saving it (admin)",
    responses=error_responses(401, 403),
)
async def validate_scoring_config(
    request: Request, body: ScoringConfigRequest, _admin: AdminUser
) -> Envelope[ScoringValidationOut]:
    problems = weight_problems(body.weights)
    return envelope(
        request,
        ScoringValidationOut(
            valid=not problems,
            problems=problems,
            normalised_weights=None if problems else normalised(body.weights),
        ),
    )


@router.get(
    "/versions",
    response_model=Envelope[list[ScoringConfigOut]],
    summary="Every version of the scoring configuration, newest first (admin)",
    responses=error_responses(401, 403),
)
async def list_scoring_versions(
    request: Request, _admin: AdminUser, session: ReadOnlySession
) -> Envelope[list[ScoringConfigOut]]:
    rows = await session.execute(select(ScoringConfig).order_by(ScoringConfig.version.desc()))
    return envelope(request, [config_out(config) for config in rows.scalars()])
