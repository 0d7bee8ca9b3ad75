"""Report queries: the reports themselves (who sees one: whoever sees its building), and what a
report is made of — a building's assets and routines, its service records, defects, evidence and
technicians over a period. A report of a thousand assets is a handful of statements, whatever the
number of rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from apikit.auth.dependencies import Principal
from apikit.db.engine import ReadSession
from apikit.db.repository import Repository
from apikit.errors import NotFoundError
from apikit.pagination import Keyset, Page, PageRequest, paginate
from firemode.assets.models import Asset
from firemode.buildings.repository import sees_building
from firemode.defects.models import Defect, DefectTransition
from firemode.defects.vocabulary import DefectStatus
from firemode.evidence.models import Evidence
from firemode.identity.models import User
from firemode.records.models import ServiceRecord
from firemode.reports.models import ComplianceReport
from firemode.routines.models import Routine
from firemode.schedule.repository import ACTIVE, current_routine_version, last_done

REPORTS = Keyset("reports", (ComplianceReport.created_at, ComplianceReport.id))


class ReportRepository(Repository[ComplianceReport]):
    model = ComplianceReport

    def __init__(self, session: ReadSession, caller: Principal) -> None:
        super().__init__(session)
        self.caller = caller

    def scoped(self, statement: Select[Any]) -> Select[Any]:
        condition = sees_building(self.caller, ComplianceReport.building_id)
        return statement if condition is None else statement.where(condition)

    def not_found(self, object_id: uuid.UUID) -> NotFoundError:
        return NotFoundError("No such report", details={"report_id": str(object_id)})

    async def of_building(self, building_id: uuid.UUID, page: PageRequest) -> Page[ComplianceReport]:
        """A building's reports, newest first (the stored content stays behind: a list is a summary)."""
        statement = self.query().where(ComplianceReport.building_id == building_id)
        return await paginate(
            self.session, statement, keyset=REPORTS, page=page, filters={"building_id": building_id}
        )


class PeriodRepository:
    """What happened in one building over ``[start, cutoff)`` (instants, UTC)."""

    def __init__(
        self, session: ReadSession, building_id: uuid.UUID, start: datetime, cutoff: datetime
    ) -> None:
        self.session = session
        self.building_id = building_id
        self.start = start
        self.cutoff = cutoff

    def _in_period(self) -> Any:
        return and_(
            ServiceRecord.building_id == self.building_id,
            ServiceRecord.performed_at >= self.start,
            ServiceRecord.performed_at < self.cutoff,
        )

    async def routines(self) -> Sequence[Any]:
        """Each asset registered before the cutoff and not decommissioned before the period, with
        each routine of its type in the current table, in tag and interval order: (asset id, tag,
        type, location, status, registered at, frequency, interval, tolerance)."""
        statement = (
            select(
                Asset.id,
                Asset.tag,
                Asset.asset_type,
                Asset.location,
                Asset.status,
                Asset.created_at,
                Routine.frequency,
                Routine.interval_months,
                Routine.tolerance_days,
            )
            .select_from(Asset)
            .join(
                Routine,
                and_(Routine.asset_type == Asset.asset_type, Routine.version == current_routine_version()),
            )
            .where(
                Asset.building_id == self.building_id,
                Asset.created_at < self.cutoff,
                or_(Asset.status == ACTIVE, Asset.decommissioned_at >= self.start),
            )
            .order_by(Asset.tag, Routine.interval_months)
        )
        return list(await self.session.execute(statement))

    async def last_done(self) -> dict[tuple[uuid.UUID, str], datetime]:
        """Each asset's and routine's last pass or fail before the cutoff. A statement of its own,
        joined in Python: joined to the register in SQL, PostgreSQL's plan for freshly loaded
        tables (before their statistics) ran the aggregate once per asset and took seconds."""
        last = last_done(self.building_id, before=self.cutoff)
        rows = await self.session.execute(select(last.c.asset_id, last.c.routine, last.c.last_done))
        return {(asset_id, routine): done for asset_id, routine, done in rows}

    async def latest_records(self) -> Sequence[Any]:
        """Each asset's and routine's latest record in the period, whatever its outcome (of two at
        one instant, the one written last): (asset id, routine, outcome, performed at, session
        id). Ranked by a window function over the period's records, one pass, no self-join."""
        rank = (
            func.row_number()
            .over(
                partition_by=(ServiceRecord.asset_id, ServiceRecord.routine),
                order_by=(ServiceRecord.performed_at.desc(), ServiceRecord.id.desc()),
            )
            .label("rank")
        )
        ranked = (
            select(
                ServiceRecord.asset_id,
                ServiceRecord.routine,
                ServiceRecord.outcome,
                ServiceRecord.performed_at,
                ServiceRecord.session_id,
                rank,
            )
            .where(self._in_period())
            .subquery("ranked")
        )
        statement = select(
            ranked.c.asset_id, ranked.c.routine, ranked.c.outcome, ranked.c.performed_at, ranked.c.session_id
        ).where(ranked.c.rank == 1)
        return list(await self.session.execute(statement))

    async def technicians_of_records(self) -> list[tuple[list[Any], int]]:
        """Who did the period's records: each distinct list of technicians (user ids as text) with
        the number of records it is on, counted by the database (grouping by the stored JSON, which
        is the same text, or the same jsonb, for the same list)."""
        rows = await self.session.execute(
            select(ServiceRecord.technicians, func.count())
            .where(self._in_period())
            .group_by(ServiceRecord.technicians)
        )
        return [(list(technicians or []), count) for technicians, count in rows]

    async def defects(self) -> Sequence[Any]:
        """The building's defects that matter to the period: opened before the cutoff and not
        closed before the period began (a defect's ``updated_at`` is its last move). With the tag
        of their asset, oldest first."""
        statement = (
            select(
                Defect.id,
                Defect.asset_id,
                Asset.tag,
                Defect.severity,
                Defect.condition,
                Defect.description,
                Defect.status,
                Defect.created_at,
                Defect.due_at,
                Defect.evidence_ids,
            )
            .join(Asset, Asset.id == Defect.asset_id)
            .where(
                Defect.building_id == self.building_id,
                Defect.created_at < self.cutoff,
                or_(Defect.status != DefectStatus.CLOSED, Defect.updated_at >= self.start),
            )
            .order_by(Defect.created_at, Defect.id)
        )
        return list(await self.session.execute(statement))

    async def transitions(self, defect_ids: Sequence[uuid.UUID]) -> Sequence[Any]:
        """The moves of these defects made before the cutoff, in order: (defect id, to, at)."""
        if not defect_ids:
            return []
        statement = (
            select(DefectTransition.defect_id, DefectTransition.to_status, DefectTransition.created_at)
            .where(DefectTransition.defect_id.in_(defect_ids), DefectTransition.created_at < self.cutoff)
            .order_by(DefectTransition.created_at, DefectTransition.id)
        )
        return list(await self.session.execute(statement))

    async def evidence(self, linked: Iterable[uuid.UUID]) -> Sequence[Evidence]:
        """The evidence of the sessions that wrote the period's records, and the evidence the
        report's defects link, in upload order."""
        sessions = select(ServiceRecord.session_id).where(self._in_period()).distinct()
        condition: ColumnElement[bool] = Evidence.session_id.in_(sessions)
        linked = list(dict.fromkeys(linked))
        if linked:
            condition = or_(condition, Evidence.id.in_(linked))
        statement = select(Evidence).where(condition).order_by(Evidence.created_at, Evidence.id)
        return list((await self.session.execute(statement)).scalars())


async def people(session: ReadSession, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """Who these users are — (id, email, full name) by id — for the names a report shows."""
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        return {}
    rows = await session.execute(select(User.id, User.email, User.full_name).where(User.id.in_(wanted)))
    return {row.id: row for row in rows}
