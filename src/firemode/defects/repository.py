"""Defect and classification-rule queries. Who sees a defect: whoever sees its building
(``sees_building``, the buildings domain's one rule), so another's defect answers 404."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import load_only, selectinload

from apikit.auth.dependencies import Principal
from apikit.db.engine import ReadSession
from apikit.db.repository import Repository
from apikit.errors import NotFoundError
from apikit.pagination import Keyset, Page, PageRequest, paginate
from firemode.assets.models import Asset
from firemode.buildings.repository import sees_building
from firemode.defects.models import ClassificationRule, ClassificationRuleVersion, Defect
from firemode.defects.vocabulary import RECTIFIED, UNCLASSIFIED

DEFECTS = Keyset("defects", (Defect.created_at, Defect.id))
_SUMMARY = (
    Defect.id,
    Defect.asset_id,
    Defect.building_id,
    Defect.session_id,
    Defect.condition,
    Defect.severity,
    Defect.status,
    Defect.due_at,
    Defect.created_at,
)


class DefectFilters(NamedTuple):
    building_id: uuid.UUID | None
    severities: Sequence[str]  # a severity, or "unclassified"
    statuses: Sequence[str]
    overdue: bool | None


class DefectRepository(Repository[Defect]):
    model = Defect

    def __init__(self, session: ReadSession, caller: Principal) -> None:
        super().__init__(session)
        self.caller = caller

    def scoped(self, statement: Select[Any]) -> Select[Any]:
        condition = sees_building(self.caller, Defect.building_id)
        return statement if condition is None else statement.where(condition)

    def query(self) -> Select[Any]:
        return super().query().options(selectinload(Defect.transitions))

    def not_found(self, object_id: uuid.UUID) -> NotFoundError:
        return NotFoundError("No such defect", details={"defect_id": str(object_id)})

    async def newest_first(self, page: PageRequest, filters: DefectFilters, now: datetime) -> Page[Defect]:
        # A summary reads its own columns; the description and evidence stay for the single read.
        statement = self.scoped(select(Defect)).options(load_only(*_SUMMARY))
        if filters.building_id is not None:
            statement = statement.where(Defect.building_id == filters.building_id)
        severities = sorted(set(filters.severities))  # one cursor whatever the order or repeats
        if severities:
            named = [severity for severity in severities if severity != UNCLASSIFIED]
            statement = statement.where(
                or_(Defect.severity.in_(named), Defect.severity.is_(None))
                if UNCLASSIFIED in severities
                else Defect.severity.in_(named)
            )
        statuses = sorted(set(filters.statuses))
        if statuses:
            statement = statement.where(Defect.status.in_(statuses))
        if filters.overdue is not None:
            rectified = sorted(RECTIFIED)
            statement = statement.where(
                (Defect.due_at < now) & Defect.status.not_in(rectified)
                if filters.overdue
                # spelled out: NOT over a NULL due date would be NULL, and drop the row
                else or_(Defect.due_at.is_(None), Defect.due_at >= now, Defect.status.in_(rectified))
            )
        applied = {
            "building_id": filters.building_id,
            "severity": severities,
            "status": statuses,
            "overdue": filters.overdue,
        }
        return await paginate(self.session, statement, keyset=DEFECTS, page=page, filters=applied)

    async def visible_asset(self, asset_id: uuid.UUID) -> Asset | None:
        """The asset, when the caller sees its building."""
        statement = select(Asset).where(Asset.id == asset_id)
        condition = sees_building(self.caller, Asset.building_id)
        if condition is not None:
            statement = statement.where(condition)
        found: Asset | None = (await self.session.execute(statement)).scalar_one_or_none()
        return found


class Classification(NamedTuple):
    severity: str
    rule_version: int


@dataclass(frozen=True)
class RulesVersion:
    """A version of the rules with its rows, as ``GET /v1/rules`` answers it."""

    version: int
    note: str | None
    created_by: uuid.UUID | None
    created_at: datetime
    rules: list[ClassificationRule]


class RuleRepository(Repository[ClassificationRuleVersion]):
    """The versions of the classification rules (keyed by version; the highest is in force)."""

    model = ClassificationRuleVersion

    @staticmethod
    def none_installed() -> NotFoundError:
        return NotFoundError("No classification rules are installed (run `firemode migrate`)")

    async def current(self) -> ClassificationRuleVersion:
        statement = (
            select(ClassificationRuleVersion).order_by(ClassificationRuleVersion.version.desc()).limit(1)
        )
        found: ClassificationRuleVersion | None = (await self.session.execute(statement)).scalar_one_or_none()
        if found is None:
            raise self.none_installed()
        return found

    async def latest_version(self) -> int:
        """The number of the version in force; 0 before any is installed."""
        latest = await self.session.scalar(select(func.max(ClassificationRuleVersion.version)))
        return latest or 0

    async def in_force(self) -> RulesVersion:
        return await self.with_rules(await self.current())

    async def with_rules(self, version: ClassificationRuleVersion) -> RulesVersion:
        return RulesVersion(
            version=version.version,
            note=version.note,
            created_by=version.created_by,
            created_at=version.created_at,
            rules=await self.rules_of(version.version),
        )

    async def newest_first(self) -> list[ClassificationRuleVersion]:
        rows = await self.session.execute(
            select(ClassificationRuleVersion).order_by(ClassificationRuleVersion.version.desc())
        )
        return list(rows.scalars())

    async def rules_of(self, version: int) -> list[ClassificationRule]:
        rows = await self.session.execute(
            select(ClassificationRule)
            .where(ClassificationRule.version == version)
            .order_by(ClassificationRule.asset_type, ClassificationRule.condition)
        )
        return list(rows.scalars())

    async def classify(self, asset_type: str, condition: str) -> Classification | None:
        """The severity the rules in force give ``condition`` of ``asset_type``, with their version;
        None when they have no entry for it."""
        in_force = select(func.max(ClassificationRuleVersion.version)).scalar_subquery()
        statement = select(ClassificationRule.severity, ClassificationRule.version).where(
            ClassificationRule.version == in_force,
            ClassificationRule.asset_type == asset_type,
            ClassificationRule.condition == condition,
        )
        found = (await self.session.execute(statement)).one_or_none()
        return None if found is None else Classification(found.severity, found.version)

    async def classify_or_404(self, asset_type: str, condition: str) -> Classification:
        found = await self.classify(asset_type, condition)
        if found is None:
            await self.current()  # no rules at all is its own 404
            raise NotFoundError(
                "No classification rule covers this condition of this asset type",
                details={"asset_type": asset_type, "condition": condition},
            )
        return found
