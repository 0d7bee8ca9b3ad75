"""Completion: a session's merged document becomes immutable service records and defects.

Runs inside the transaction that moves the session to ``completed`` (its row locked), so the
records, the defects and the status commit together or not at all; a second completion finds the
session completed (409), and the unique (session, asset, routine) constraint backs that up.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from apikit.db.bulk import insert_rows
from apikit.db.engine import ReadSession
from apikit.ids import new_id
from apikit.pagination import Page, PageRequest
from firemode.assets.models import Asset
from firemode.defects.service import DuePolicy, open_defect
from firemode.records.baselines import STAIR_PRESSURISATION, breaches
from firemode.records.document import AssetEntry, asset_entries, tag_of
from firemode.records.models import ServiceRecord
from firemode.records.repository import RecordRepository
from firemode.records.schemas import CompletionSummary, Skipped
from firemode.schedule.dates import ScheduleState
from firemode.schedule.repository import ACTIVE, ScheduleRepository
from firemode.schedule.service import due_of
from firemode.sessions.models import TestSession

_OPEN_WORK = (ScheduleState.DUE, ScheduleState.OVERDUE, ScheduleState.NEVER_DONE)


class SessionCompletion:
    def __init__(self, session: AsyncSession, completed_by: uuid.UUID, due: DuePolicy) -> None:
        self.session = session
        self.completed_by = completed_by
        self.due = due
        self.records = RecordRepository(session)

    async def complete(self, row: TestSession, now: datetime) -> CompletionSummary:
        """Records and defects for the document's entries; ``row`` has a building."""
        assert row.building_id is not None
        entries = asset_entries(row.document)
        assets = await self.records.assets_by_tag(row.building_id, [entry.tag for entry in entries])
        unmatched = [entry.tag for entry in entries if entry.tag not in assets]
        matched = [(entry, assets[entry.tag]) for entry in entries if entry.tag in assets]
        skipped: list[Skipped] = []
        active = []
        for entry, asset in matched:
            if asset.status != ACTIVE:
                skipped.append(Skipped(tag=entry.tag, reason=f"the asset is {asset.status}"))
            else:
                active.append((entry, asset))
        routines = await self._routines([asset.id for _, asset in active], now)
        version = await ScheduleRepository(self.session).current_version()
        technicians = await self._technicians(row.id)
        baselines = await self.records.baselines(
            [
                asset.id
                for entry, asset in active
                if asset.asset_type == STAIR_PRESSURISATION and entry.readings
            ]
        )
        records = []
        defects: list[tuple[Asset, dict[str, Any]]] = []
        for entry, asset in active:
            skipped.extend(Skipped(tag=entry.tag, reason=problem) for problem in entry.problems)
            defects.extend((asset, found) for found in self._defects(entry, asset, baselines.get(asset.id)))
            if entry.result is None:
                if not entry.problems:
                    skipped.append(Skipped(tag=entry.tag, reason="no result"))
                continue
            routine, why = self._routine_of(entry, routines.get(asset.id, {}))
            if routine is None or version is None:
                skipped.append(
                    Skipped(
                        tag=entry.tag,
                        reason=why or "no routine table is installed",
                        routines=sorted(routines.get(asset.id, {})),
                    )
                )
                continue
            records.append(
                {
                    "id": new_id(),
                    "asset_id": asset.id,
                    "building_id": row.building_id,
                    "session_id": row.id,
                    "routine": routine,
                    "routine_version": version,
                    "outcome": entry.result,
                    "readings": entry.readings,
                    "technicians": sorted(technicians.get(entry.tag, set()) | technicians.get("", set())),
                    "notes": entry.notes,
                    "performed_at": now,
                    "created_at": now,
                }
            )
        await insert_rows(self.session, cast(Table, ServiceRecord.__table__), records)
        for asset, found in defects:  # classified by the rules in force when the document gives no severity
            await open_defect(
                self.session,
                asset=asset,
                opened_by=self.completed_by,
                due=self.due,
                session_id=row.id,
                now=now,
                **found,
            )
        return CompletionSummary(
            records=len(records), defects=len(defects), unmatched=unmatched, skipped=skipped
        )

    async def _routines(
        self, asset_ids: Sequence[uuid.UUID], now: datetime
    ) -> dict[uuid.UUID, dict[str, ScheduleState]]:
        """Each asset's routines under the current table, with their state on the completion day."""
        found: dict[uuid.UUID, dict[str, ScheduleState]] = {}
        today = now.astimezone(UTC).date()
        for start in range(0, len(asset_ids), 500):
            for row in await ScheduleRepository(self.session).assets(asset_ids[start : start + 500]):
                found.setdefault(row.asset_id, {})[row.frequency] = due_of(row, today)[1].state
        return found

    @staticmethod
    def _routine_of(entry: AssetEntry, states: dict[str, ScheduleState]) -> tuple[str | None, str | None]:
        """The routine the entry was done under, or None and why. Named: it must be one of the
        asset type's routines. Not named: the type's only routine, or else its only one due."""
        if entry.routine is not None:
            if entry.routine in states:
                return entry.routine, None
            return None, f"routine {entry.routine!r} is not one of this asset type's routines"
        if not states:
            return None, "this asset type has no routines"
        if len(states) == 1:
            return next(iter(states)), None
        due = [routine for routine, state in states.items() if state in _OPEN_WORK]
        if len(due) == 1:
            return due[0], None
        return None, "no routine named, and not exactly one is due: name it in routine"

    async def _technicians(self, session_id: uuid.UUID) -> dict[str, set[str]]:
        """Per tag, the users whose changes wrote under it ("" for a write of all of /assets)."""
        found: dict[str, set[str]] = {}
        for path, user in await self.records.writers(session_id):
            tag = "" if path == "/assets" else tag_of(path)
            if tag is not None:
                found.setdefault(tag, set()).add(str(user))
        return found

    @staticmethod
    def _defects(entry: AssetEntry, asset: Asset, baseline: dict[str, float] | None) -> list[dict[str, Any]]:
        """What the entry's defect and its stair-pressurisation readings open on ``asset``."""
        opened: list[dict[str, Any]] = []
        if entry.defect is not None:
            opened.append(
                {
                    "condition": entry.defect.condition,
                    "description": entry.defect.description,
                    "severity": entry.defect.severity,
                    "evidence_ids": [uuid.UUID(evidence_id) for evidence_id in entry.defect.evidence_ids],
                }
            )
        if asset.asset_type == STAIR_PRESSURISATION and entry.readings:
            opened.extend(
                {"condition": breach.condition, "description": breach.description}
                for breach in breaches(entry.readings, baseline)
            )
        return opened


async def asset_history(session: ReadSession, asset_id: uuid.UUID, page: PageRequest) -> Page[ServiceRecord]:
    """Everyone signed in reads assets, so their history too; an unknown asset is a 404."""
    records = RecordRepository(session)
    await records.asset_or_404(asset_id)
    return await records.history(asset_id, page)
