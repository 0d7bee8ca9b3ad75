"""Defect and classification-rule queries. Who sees a defect: whoever sees its building
(``sees_building``, the buildings domain's one rule), so another's defect answers 404. The list
and the detail are read on the fast read path (``DefectReads``); writes lock through the ORM."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, String, Uuid, bindparam, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from apikit.auth.dependencies import Principal
from apikit.db.engine import ReadSession
from apikit.db.fastread import Reader, ReadStatement, ReadStatements, raw_json, row_json
from apikit.db.repository import Repository
from apikit.db.types import UTCDateTime
from apikit.errors import NotFoundError
from apikit.pagination import Keyset, KeysetReads, PageRequest, RowPage, read_page
from firemode.assets.models import Asset
from firemode.buildings.repository import seen_by_role, sees_building
from firemode.defects.models import ClassificationRule, ClassificationRuleVersion, Defect, DefectTransition
from firemode.defects.vocabulary import RECTIFIED, UNCLASSIFIED

DEFECTS = Keyset("defects", (Defect.created_at, Defect.id))


def defect_not_found(defect_id: uuid.UUID) -> NotFoundError:
    return NotFoundError("No such defect", details={"defect_id": str(defect_id)})


class DefectFilters(NamedTuple):
    building_id: uuid.UUID | None
    severities: Sequence[str]  # a severity, or "unclassified"
    statuses: Sequence[str]
    overdue: bool | None


# --- The fast read path (apikit.db.fastread): statements built once, rows written as they are -----

_SUMMARY: tuple[Any, ...] = (  # DefectSummary, in its order
    Defect.id.label("defect_id"),
    Defect.asset_id,
    Defect.building_id,
    Defect.session_id,
    Defect.condition,
    Defect.severity,
    Defect.status,
    Defect.due_at,
    Defect.created_at,
)
# The rectified statuses as parameters of their own: the driver takes no list for an IN.
_RECTIFIED = {f"rectified{index}": status.value for index, status in enumerate(sorted(RECTIFIED))}
_NOW = bindparam("now", type_=UTCDateTime())


def _in(column: InstrumentedAttribute[Any], prefix: str, count: int) -> ColumnElement[bool]:
    """``column IN`` ``count`` (at least one) parameters named ``prefix0``…"""
    return column.in_([bindparam(f"{prefix}{index}", type_=String()) for index in range(count)])


def _listed(
    role: str, in_building: bool, severities: int, unclassified: bool, statuses: int, overdue: bool | None
) -> Select[Any]:
    """The list's select for one shape: ``severities`` named severities (and NULL when
    ``unclassified``), ``statuses`` statuses, ``overdue`` as the filter (None: no filter)."""
    statement = seen_by_role(role, select(*_SUMMARY), Defect.building_id)
    if in_building:
        statement = statement.where(Defect.building_id == bindparam("building_id", type_=Uuid()))
    if severities or unclassified:
        named = [_in(Defect.severity, "severity", severities)] if severities else []
        statement = statement.where(or_(*named, *([Defect.severity.is_(None)] if unclassified else [])))
    if statuses:
        statement = statement.where(_in(Defect.status, "status", statuses))
    if overdue is not None:
        rectified = _in(Defect.status, "rectified", len(_RECTIFIED))
        statement = statement.where(
            (Defect.due_at < _NOW) & ~rectified
            if overdue
            # spelled out: NOT over a NULL due date would be NULL, and drop the row
            else or_(Defect.due_at.is_(None), Defect.due_at >= _NOW, rectified)
        )
    return statement


DEFECT_LIST = KeysetReads(DEFECTS, _listed)
DEFECT_DETAIL = ReadStatements(
    lambda role: seen_by_role(
        role,
        select(
            *_SUMMARY,
            Defect.description,
            raw_json(Defect.evidence_ids),
            Defect.rule_version,
            Defect.opened_by,
            Defect.updated_at,
        ),
        Defect.building_id,
    ).where(Defect.id == bindparam("defect_id", type_=Uuid()))
)
_TRANSITION: tuple[Any, ...] = (  # TransitionOut, in its order
    DefectTransition.from_status,
    DefectTransition.to_status,
    DefectTransition.note,
    DefectTransition.transitioned_by,
    DefectTransition.created_at,
)
TRANSITIONS = ReadStatement(  # a defect's history, oldest first
    select(*_TRANSITION)
    .where(DefectTransition.defect_id == bindparam("defect_id", type_=Uuid()))
    .order_by(DefectTransition.created_at, DefectTransition.id)
)


class DefectReads:
    """Defects as ``caller`` sees them, on the fast read path: the list and the detail."""

    def __init__(self, reader: Reader, caller: Principal) -> None:
        self.reader = reader
        self.caller = caller

    async def newest_first(self, page: PageRequest, filters: DefectFilters, now: datetime) -> RowPage:
        severities = sorted(set(filters.severities))  # one cursor whatever the order or repeats
        named = [severity for severity in severities if severity != UNCLASSIFIED]
        statuses = sorted(set(filters.statuses))
        params: dict[str, Any] = {
            "caller_id": self.caller.user_id,
            "building_id": filters.building_id,
            "now": now,
            **_RECTIFIED,
        }
        params.update({f"severity{index}": value for index, value in enumerate(named)})
        params.update({f"status{index}": value for index, value in enumerate(statuses)})
        shape = (
            self.caller.role,
            filters.building_id is not None,
            len(named),
            UNCLASSIFIED in severities,
            len(statuses),
            filters.overdue,
        )
        applied = {
            "building_id": filters.building_id,
            "severity": severities,
            "status": statuses,
            "overdue": filters.overdue,
        }
        return await read_page(
            self.reader, DEFECT_LIST, page=page, shape=shape, params=params, filters=applied
        )

    async def detail(self, defect_id: uuid.UUID) -> bytes:
        """The defect with its transitions as JSON (``DefectResponse``), or a 404 when the caller
        does not see it."""
        statement = DEFECT_DETAIL(self.caller.role)
        row = await self.reader.one(statement, {"defect_id": defect_id, "caller_id": self.caller.user_id})
        if row is None:
            raise defect_not_found(defect_id)
        transitions = await self.reader.all(TRANSITIONS, {"defect_id": defect_id})
        fields = dict(row)
        fields["transitions"] = [dict(transition) for transition in transitions]
        return row_json(fields, statement)


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
        return defect_not_found(object_id)

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
