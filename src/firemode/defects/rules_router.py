"""``/v1/rules``: the versioned classification rules (everyone reads; admins put a new version)."""

from __future__ import annotations

from fastapi import APIRouter, status

from apikit.db.engine import ReadSession, WriteSession
from apikit.openapi import error_responses
from firemode.defects.models import ClassificationRuleVersion
from firemode.defects.repository import Classification, RuleRepository, RulesVersion
from firemode.defects.schemas import (
    ClassificationOut,
    ClassifyRequest,
    RulesOut,
    RulesRequest,
    RulesVersionOut,
)
from firemode.defects.service import RulesService
from firemode.identity.roles import Admin, CurrentUser

router = APIRouter(prefix="/v1/rules", tags=["rules"])


@router.get(
    "",
    response_model=RulesOut,
    summary="The classification rules in force",
    responses=error_responses(401, 404),
)
async def read_rules(_caller: CurrentUser, session: ReadSession) -> RulesVersion:
    return await RuleRepository(session).in_force()


@router.put(
    "",
    response_model=RulesOut,
    status_code=status.HTTP_201_CREATED,
    summary="Put a new version of the classification rules in force (admin)",
    responses=error_responses(401, 403, 409, 422),
)
async def replace_rules(body: RulesRequest, admin: Admin, session: WriteSession) -> RulesVersion:
    return await RulesService(session).put_in_force(body, admin.user_id)


@router.get(
    "/versions",
    response_model=list[RulesVersionOut],
    summary="Every version of the classification rules, newest first",
    responses=error_responses(401),
)
async def list_rules_versions(_caller: CurrentUser, session: ReadSession) -> list[ClassificationRuleVersion]:
    return await RuleRepository(session).newest_first()


@router.post(
    "/classify",
    response_model=ClassificationOut,
    summary="The severity the rules in force give a condition of an asset type",
    responses=error_responses(401, 404, 422),
)
async def classify_condition(
    body: ClassifyRequest, _caller: CurrentUser, session: ReadSession
) -> Classification:
    return await RuleRepository(session).classify_or_404(body.asset_type, body.condition)
