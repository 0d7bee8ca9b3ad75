"""The rules of defects: opening one (classified by the rules when no severity is given), its due
date by severity, its lifecycle; and the classification rules as versions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from apikit.auth.audit import AuditLog
from apikit.auth.dependencies import Principal
from apikit.db.unique import add_unique
from apikit.errors import AuthorizationError, BusinessRuleError, ConflictError, UnprocessableError
from apikit.ids import utcnow
from firemode.assets.models import Asset
from firemode.defects.models import ClassificationRule, ClassificationRuleVersion, Defect, DefectTransition
from firemode.defects.repository import DefectRepository, RuleRepository, RulesVersion
from firemode.defects.schemas import DefectCreateRequest, RulesRequest
from firemode.defects.shipped_rules import duplicate_rules
from firemode.defects.vocabulary import NEXT_STATUS, STAFF, STAFF_ONLY, DefectStatus, Severity
from firemode.evidence.repository import EvidenceRepository
from firemode.sessions.repository import SessionRepository
from firemode.settings import FireModeSettingsDep

CRITICAL_NOTICE = timedelta(hours=24)  # a critical defect's written notice is due within a day


@dataclass(frozen=True)
class DuePolicy:
    """When a defect of each severity is due: critical within 24 hours, non-critical within the
    configured days, a non-conformance (or an unclassified defect) never."""

    non_critical_days: int

    def due_at(self, severity: str | None, opened_at: datetime) -> datetime | None:
        if severity == Severity.CRITICAL:
            return opened_at + CRITICAL_NOTICE
        if severity == Severity.NON_CRITICAL:
            return opened_at + timedelta(days=self.non_critical_days)
        return None


async def open_defect(
    session: AsyncSession,
    *,
    asset: Asset,
    opened_by: uuid.UUID,
    description: str,
    due: DuePolicy,
    condition: str | None = None,
    severity: str | None = None,
    session_id: uuid.UUID | None = None,
    evidence_ids: Sequence[uuid.UUID] = (),
    now: datetime | None = None,
    refuse_unclassified: bool = False,
) -> Defect:
    """Open a defect on ``asset`` (the API's path and session completion's). Without a severity the
    rules in force classify ``(asset type, condition)`` and the defect keeps their version. When
    nothing classifies it, completion's defect is kept unclassified (severity NULL, no due date,
    listed under ``severity=unclassified``) rather than lost; the API (``refuse_unclassified``)
    answers 422 instead."""
    rule_version = None
    if severity is None and condition is not None:
        found = await RuleRepository(session).classify(asset.asset_type, condition)
        if found is not None:
            severity, rule_version = found
    if severity is None and refuse_unclassified:
        if condition is None:
            raise UnprocessableError(
                "Give a severity, or a condition for the rules to classify",
                details={"fields": ["severity", "condition"]},
            )
        raise UnprocessableError(
            "No classification rule covers this condition of this asset type; give a severity",
            details={"asset_type": asset.asset_type, "condition": condition},
        )
    opened_at = now or utcnow()
    defect = Defect(
        asset_id=asset.id,
        building_id=asset.building_id,
        session_id=session_id,
        condition=condition,
        severity=severity,
        description=description,
        evidence_ids=[str(evidence_id) for evidence_id in dict.fromkeys(evidence_ids)],
        status=DefectStatus.OPEN,
        rule_version=rule_version,
        due_at=due.due_at(severity, opened_at),
        opened_by=opened_by,
        created_at=opened_at,
        updated_at=opened_at,
        transitions=[],
    )
    session.add(defect)
    await session.flush()
    return defect


class DefectService:
    def __init__(self, session: AsyncSession, caller: Principal) -> None:
        self.session = session
        self.caller = caller
        self.defects = DefectRepository(session, caller)

    async def open(self, body: DefectCreateRequest, due: DuePolicy) -> Defect:
        """The asset must be one the caller sees (422), the session too (404, the sessions domain's
        rule) and on the asset's building (422), and every evidence id the caller's to see (422)."""
        asset = await self.defects.visible_asset(body.asset_id)
        if asset is None:
            raise UnprocessableError(
                "No such asset", details={"field": "asset_id", "asset_id": str(body.asset_id)}
            )
        if body.session_id is not None:
            test_session = await SessionRepository(self.session, self.caller).get_or_404(body.session_id)
            if test_session.building_id not in (None, asset.building_id):
                raise UnprocessableError(
                    "The session is for another building than the asset's",
                    details={"field": "session_id", "session_id": str(body.session_id)},
                )
        unseen = await EvidenceRepository(self.session, self.caller).unseen(body.evidence_ids)
        if unseen:
            raise UnprocessableError(
                "No such evidence",
                details={
                    "field": "evidence_ids",
                    "evidence_ids": [str(evidence_id) for evidence_id in unseen],
                },
            )
        return await open_defect(
            self.session,
            asset=asset,
            opened_by=self.caller.user_id,
            description=body.description,
            due=due,
            condition=body.condition,
            severity=body.severity,
            session_id=body.session_id,
            evidence_ids=body.evidence_ids,
            refuse_unclassified=True,
        )

    async def transition(
        self, defect_id: uuid.UUID, to: DefectStatus, note: str | None, *, audit: AuditLog, request: Request
    ) -> Defect:
        """One step along the lifecycle, kept with who, when and why, and audited. A supervisor or
        an admin verifies and closes (403 for others); any other move is a 409 naming the allowed
        ones, and changes nothing."""
        defect = await self.defects.get_or_404(defect_id, for_update=True)
        current = DefectStatus(defect.status)
        if to in STAFF_ONLY and self.caller.role not in STAFF:
            raise AuthorizationError(
                f"Only a supervisor or an admin moves a defect to {to}",
                details={"requested": to, "required": sorted(STAFF)},
            )
        allowed = NEXT_STATUS[current]
        if to not in allowed:
            raise BusinessRuleError(
                f"A {current} defect cannot become {to}",
                details={"status": current, "requested": to, "allowed": sorted(allowed)},
            )
        now = utcnow()
        defect.transitions.append(
            DefectTransition(
                from_status=current,
                to_status=to,
                note=note,
                transitioned_by=self.caller.user_id,
                created_at=now,
            )
        )
        defect.status = to
        defect.updated_at = now
        await self.session.flush()
        await audit.record(
            self.session,
            "defect_transition",
            request=request,
            actor_id=self.caller.user_id,
            defect_id=str(defect.id),
            from_status=current.value,
            to_status=to.value,
        )
        return defect


class RulesService:
    """A change of the rules is a new version; the old ones stay, for the defects they classified."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.rules = RuleRepository(session)

    async def put_in_force(self, body: RulesRequest, created_by: uuid.UUID) -> RulesVersion:
        duplicates = duplicate_rules(body.rules)
        if duplicates:
            raise UnprocessableError(
                "Each asset type and condition has one rule",
                details={"field": "rules", "duplicates": duplicates},
            )
        version = ClassificationRuleVersion(
            version=await self.rules.latest_version() + 1,
            note=body.note,
            created_by=created_by,
            created_at=utcnow(),
        )
        # Two admins racing for one version number: the primary key decides, the loser gets a 409.
        await add_unique(
            self.session,
            version,
            ConflictError("Another new version of the rules was just saved; read it and try again"),
        )
        self.session.add_all(
            ClassificationRule(version=version.version, **rule.model_dump(mode="json")) for rule in body.rules
        )
        await self.session.flush()
        return await self.rules.with_rules(version)


async def _due_policy(settings: FireModeSettingsDep) -> DuePolicy:
    return DuePolicy(non_critical_days=settings.defect_rectify_days)


Due = Annotated[DuePolicy, Depends(_due_policy)]  # due dates by severity, from the settings
