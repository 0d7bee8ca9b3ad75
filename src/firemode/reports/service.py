"""The rules of compliance reports: what a building's report over a period says, when it is
compliant, and finalising it — signed, hashed and frozen for good.

The report is worked out as of its **cut-off day**: the period's last day, or today when the period
has not ended yet. Days are UTC days, as the schedule's are. Per asset and routine it gives the
latest outcome in the period and the routine's state on the cut-off day (the schedule's rule over
the last pass or fail before the cut-off); a routine never done is overdue once its interval and
tolerance have passed since the asset was registered (the register is where its history starts).
Defects are those opened, closed or outstanding in the period, each with its status on the
cut-off day (its moves replayed). **Compliant** only when no routine is overdue and no critical
defect is unrectified (open, acknowledged or repair scheduled) on the cut-off day.

A draft is worked out afresh on every read: devices that sync late still land in it. Finalising
works it out one last time, stores it with the signer's name, and records the SHA-256 of its
canonical JSON (keys sorted, no whitespace, ASCII; the report without its ``content_sha256``);
a final report is served from what was stored and never changes.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from apikit.auth.audit import AuditLog
from apikit.auth.dependencies import Principal
from apikit.db.engine import ReadSession
from apikit.errors import BusinessRuleError, UnprocessableError
from apikit.jsoncodec import canonical
from apikit.pagination import Page, PageRequest
from firemode.buildings.models import Building
from firemode.buildings.repository import BuildingRepository
from firemode.defects.vocabulary import RECTIFIED, UNCLASSIFIED, DefectStatus, Severity
from firemode.reports.models import ComplianceReport
from firemode.reports.pdf import render
from firemode.reports.repository import PeriodRepository, ReportRepository, people
from firemode.schedule.dates import ScheduleState, add_months, due_after
from firemode.schedule.repository import ACTIVE

DRAFT, FINAL = "draft", "final"
LONGEST_PERIOD = timedelta(days=5 * 366)  # a five-yearly routine's cycle fits; nothing needs more
SEVERITIES = (*(severity.value for severity in Severity), UNCLASSIFIED)
UNRECTIFIED = frozenset(DefectStatus) - RECTIFIED


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@lru_cache(maxsize=4096)  # a period's records share a few instants
def instant(moment: datetime | None) -> str | None:
    """A timestamp as the rest of the API writes it (ISO 8601, UTC, ``Z``)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@lru_cache(maxsize=4096)
def day_of(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def content_sha256(content: dict[str, Any]) -> str:
    """The SHA-256 of a report's canonical JSON, without its own ``content_sha256``: anyone holding
    the JSON recomputes it with ``sha256(canonical(report minus content_sha256))``."""
    hashed = {key: value for key, value in content.items() if key != "content_sha256"}
    return hashlib.sha256(canonical(hashed).encode()).hexdigest()


def check_period(start: date, end: date, today: date) -> None:
    if end < start:
        raise UnprocessableError(
            "period_end must not be before period_start",
            details={"period_start": start.isoformat(), "period_end": end.isoformat()},
        )
    if start > today:
        raise UnprocessableError(
            "A report's period must have begun", details={"period_start": start.isoformat()}
        )
    if end - start > LONGEST_PERIOD:
        raise UnprocessableError(
            "A report covers at most five years", details={"days": (end - start).days + 1}
        )


@lru_cache(maxsize=8192)  # pure, and a building's rows share a few dates, intervals and tolerances
def routine_state(
    done_at: datetime | None, registered_at: datetime, interval: int, tolerance: int, cutoff_day: date
) -> tuple[str | None, str | None, str]:
    """A routine's last pass or fail, next due date (ISO dates) and state on the cut-off day. Never
    done: due an interval after the asset's registration (with the same tolerance), so a new
    register is not overdue on its first day, and a routine left undone for longer than its
    cycle is."""
    if done_at is not None:
        last = day_of(done_at)
        due = due_after(last, interval, tolerance, cutoff_day)
        return last.isoformat(), due.next_due.isoformat() if due.next_due else None, due.state.value
    next_due = add_months(day_of(registered_at), interval)
    overdue = cutoff_day > next_due + timedelta(days=tolerance)
    return None, next_due.isoformat(), (ScheduleState.OVERDUE if overdue else ScheduleState.NEVER_DONE).value


def by_severity(counts: Counter[str]) -> dict[str, int]:
    return {severity: counts[severity] for severity in SEVERITIES}


class ReportBuilder:
    """One report's content, from the period's rows."""

    def __init__(
        self, session: ReadSession, report: ComplianceReport, building: Building, today: date
    ) -> None:
        self.session = session
        self.report = report
        self.building = building
        self.cutoff_day = min(report.period_end, today)
        self.cutoff = start_of(self.cutoff_day + timedelta(days=1))
        self.period = PeriodRepository(
            session, report.building_id, start_of(report.period_start), self.cutoff
        )

    async def content(self, *, generated_at: datetime) -> dict[str, Any]:
        assets, routines_summary = await self._assets()
        defects, critical_unrectified, linked = await self._defects()
        technicians = await self._technicians()
        evidence = [
            {
                "evidence_id": str(item.id),
                "sha256": item.sha256,
                "filename": item.filename,
                "content_type": item.content_type,
                "size_bytes": item.size_bytes,
                "evidence_type": item.evidence_type,
                "session_id": str(item.session_id) if item.session_id else None,
                "uploaded_at": instant(item.created_at),
            }
            for item in await self.period.evidence(linked)
        ]
        reasons = []
        if routines_summary["overdue"]:
            reasons.append(f"{routines_summary['overdue']} routine(s) overdue")
        if critical_unrectified:
            reasons.append(f"{critical_unrectified} critical defect(s) not rectified")
        report = self.report
        return {
            "report_id": str(report.id),
            "status": report.status,
            "building": {
                "building_id": str(self.building.id),
                "name": self.building.name,
                "address": self.building.address,
                "building_type": self.building.building_type,
            },
            "period_start": report.period_start.isoformat(),
            "period_end": report.period_end.isoformat(),
            "as_of": self.cutoff_day.isoformat(),
            "generated_at": instant(generated_at),
            "created_by": str(report.created_by),
            "created_at": instant(report.created_at),
            "summary": {
                "compliant": not reasons,
                "reasons": reasons,
                "assets": len(assets),
                **routines_summary,
                "critical_defects_unrectified": critical_unrectified,
                "evidence": len(evidence),
            },
            "assets": assets,
            "defects": defects,
            "evidence": evidence,
            "technicians": technicians,
            "finalisation": None,
            "content_sha256": None,
        }

    async def _assets(self) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        # Rows are unpacked in their statements' column order, and repeated values (instants,
        # dates, states) come from caches: a large register is tens of thousands of them.
        latest: dict[tuple[uuid.UUID, str], tuple[str, str | None, str]] = {}
        for asset_id, routine, outcome, performed_at, session_id in await self.period.latest_records():
            latest[asset_id, routine] = (outcome, instant(performed_at), str(session_id))
        done = await self.period.last_done()
        assets: dict[uuid.UUID, dict[str, Any]] = {}
        states: Counter[str] = Counter()
        outcomes: Counter[str] = Counter()
        no_record = (None, None, None)
        for row in await self.period.routines():
            (
                asset_id,
                tag,
                asset_type,
                location,
                status,
                registered_at,
                frequency,
                interval,
                tolerance,
            ) = row
            done_at = done.get((asset_id, frequency))
            entry = assets.get(asset_id)
            if entry is None:
                entry = assets[asset_id] = {
                    "asset_id": str(asset_id),
                    "tag": tag,
                    "asset_type": asset_type,
                    "location": location,
                    "status": status,
                    "routines": [],
                }
            outcome, performed_at, session_id = latest.get((asset_id, frequency), no_record)
            if status == ACTIVE:
                last, next_due, state = routine_state(
                    done_at, registered_at, interval, tolerance, self.cutoff_day
                )
                states[state] += 1
            else:  # decommissioned during the period: its work is shown, nothing is owed
                last, next_due, state = (day_of(done_at).isoformat() if done_at else None), None, None
            if outcome is not None:
                outcomes[outcome] += 1
            entry["routines"].append(
                {
                    "routine": frequency,
                    "outcome": outcome,
                    "performed_at": performed_at,
                    "session_id": session_id,
                    "last_done": last,
                    "next_due": next_due,
                    "state": state,
                }
            )
        summary = {
            "routines": sum(len(entry["routines"]) for entry in assets.values()),
            "recorded_in_period": sum(outcomes.values()),
            "outcomes": {
                outcome: outcomes[outcome] for outcome in ("pass", "fail", "not_tested", "no_access")
            },
            **{state.value: states[state.value] for state in ScheduleState},
        }
        return list(assets.values()), summary

    async def _defects(self) -> tuple[dict[str, Any], int, list[uuid.UUID]]:
        rows = await self.period.defects()
        moves: dict[uuid.UUID, list[Any]] = {}
        for move in await self.period.transitions([row.id for row in rows]):
            moves.setdefault(move.defect_id, []).append(move)
        start = start_of(self.report.period_start)
        opened: Counter[str] = Counter()
        closed: Counter[str] = Counter()
        outstanding: Counter[str] = Counter()
        critical_unrectified = 0
        items = []
        linked: list[uuid.UUID] = []
        for row in rows:
            status, closed_at = DefectStatus.OPEN.value, None
            for move in moves.get(row.id, ()):
                status = move.to_status
                if status == DefectStatus.CLOSED:
                    closed_at = move.created_at
            if closed_at is not None and closed_at < start:
                continue  # closed before the period: not this report's
            severity = row.severity or UNCLASSIFIED
            if row.created_at >= start:
                opened[severity] += 1
            if closed_at is not None:
                closed[severity] += 1
            else:
                outstanding[severity] += 1
            if row.severity == Severity.CRITICAL and status in UNRECTIFIED:
                critical_unrectified += 1
            overdue = row.due_at is not None and row.due_at < self.cutoff and status in UNRECTIFIED
            linked.extend(uuid.UUID(text) for text in row.evidence_ids or ())
            items.append(
                {
                    "defect_id": str(row.id),
                    "asset_id": str(row.asset_id),
                    "tag": row.tag,
                    "severity": row.severity,
                    "condition": row.condition,
                    "description": row.description,
                    "status": status,
                    "opened_at": instant(row.created_at),
                    "due_at": instant(row.due_at),
                    "closed_at": instant(closed_at),
                    "overdue": overdue,
                    "evidence_ids": list(row.evidence_ids or ()),
                }
            )
        defects = {
            "opened": by_severity(opened),
            "closed": by_severity(closed),
            "outstanding": by_severity(outstanding),
            "items": items,
        }
        return defects, critical_unrectified, linked

    async def _technicians(self) -> list[dict[str, Any]]:
        counts: Counter[str] = Counter()
        for technicians, records in await self.period.technicians_of_records():
            for user_id in {str(user_id) for user_id in technicians}:
                counts[user_id] += records
        known = await people(self.session, (uuid.UUID(user_id) for user_id in counts))
        found = []
        for user_id, records in counts.items():
            person = known.get(uuid.UUID(user_id))
            found.append(
                {
                    "user_id": user_id,
                    "name": person.full_name if person else None,
                    "email": person.email if person else None,
                    "records": records,
                }
            )
        return sorted(found, key=lambda item: (-item["records"], item["email"] or "", item["user_id"]))


class ReportReader:
    """Reading reports: a draft worked out now, a final one as stored."""

    def __init__(self, session: ReadSession, caller: Principal) -> None:
        self.reader = session
        self.reports = ReportRepository(session, caller)

    async def content(self, report: ComplianceReport, *, now: datetime) -> dict[str, Any]:
        if report.content is not None:
            return report.content
        building = await BuildingRepository(self.reader).get_or_404(report.building_id)
        return await ReportBuilder(self.reader, report, building, day_of(now)).content(generated_at=now)

    async def read(self, report_id: uuid.UUID, *, now: datetime) -> dict[str, Any]:
        return await self.content(await self.reports.get_or_404(report_id), now=now)

    async def pdf(self, report_id: uuid.UUID, *, now: datetime) -> tuple[dict[str, Any], bytes]:
        """The report and its PDF. Rendering is a second of CPU for a large building: it runs in a
        worker thread, so the event loop goes on serving other requests meanwhile."""
        content = await self.read(report_id, now=now)
        return content, await run_in_threadpool(render, content)

    async def of_building(self, building_id: uuid.UUID, page: PageRequest) -> Page[ComplianceReport]:
        await BuildingRepository(self.reader).get_or_404(building_id)
        return await self.reports.of_building(building_id, page)


class ReportService(ReportReader):
    """Making and finalising reports, in a write session."""

    def __init__(self, session: AsyncSession, caller: Principal) -> None:
        super().__init__(session, caller)
        self.session = session
        self.caller = caller

    async def create(
        self, building_id: uuid.UUID, start: date, end: date, *, now: datetime
    ) -> ComplianceReport:
        await BuildingRepository(self.session).get_or_404(building_id)
        check_period(start, end, day_of(now))
        report = ComplianceReport(
            building_id=building_id,
            period_start=start,
            period_end=end,
            status=DRAFT,
            created_by=self.caller.user_id,
            created_at=now,
            updated_at=now,
        )
        self.session.add(report)
        await self.session.flush()
        return report

    async def finalise(
        self, report_id: uuid.UUID, signed_by_name: str, *, now: datetime, audit: AuditLog, request: Request
    ) -> dict[str, Any]:
        """Freeze the report: its content worked out one last time, signed, hashed and stored. A
        final report is never changed: finalising it again is a 409 naming when and by whom."""
        report = await self.reports.get_or_404(report_id, for_update=True)
        if report.status == FINAL:
            raise BusinessRuleError(
                "This report is final and cannot change",
                details={
                    "report_id": str(report.id),
                    "finalised_at": instant(report.finalised_at),
                    "signed_by_name": report.signed_by_name,
                },
            )
        report.status = FINAL
        content = await self.content(report, now=now)
        content["finalisation"] = {
            "signed_by_name": signed_by_name,
            "finalised_by": str(self.caller.user_id),
            "finalised_at": instant(now),
        }
        content["content_sha256"] = digest = content_sha256(content)
        report.content = content
        report.content_sha256 = digest
        report.signed_by_name = signed_by_name
        report.finalised_by = self.caller.user_id
        report.finalised_at = now
        report.updated_at = now
        await self.session.flush()
        await audit.record(
            self.session,
            "report_finalised",
            request=request,
            actor_id=self.caller.user_id,
            report_id=str(report.id),
            building_id=str(report.building_id),
            content_sha256=digest,
        )
        return content
