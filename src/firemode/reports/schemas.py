"""The wire shapes of compliance reports. The report itself is written straight from plain data
(a thousand assets' routines through models would cost more than the queries); these models
document it in the OpenAPI schema and the contract tests hold the two together."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from apikit.schemas import Day, RequestModel
from firemode.defects.vocabulary import DefectStatus, Severity
from firemode.reports.models import SIGNER_MAX
from firemode.schedule.dates import ScheduleState

ReportStatus = Literal["draft", "final"]
Outcome = Literal["pass", "fail", "not_tested", "no_access"]


class ReportCreateRequest(RequestModel):
    period_start: Day = Field(description="First day of the period (UTC days, as the schedule's)")
    period_end: Day = Field(description="Last day of the period, inclusive")


class FinaliseRequest(RequestModel):
    signed_by_name: str = Field(
        min_length=1, max_length=SIGNER_MAX, description="The name of the person signing the report off"
    )


class ReportSummary(BaseModel):
    """A report as a list shows it: what it covers and whether it is final (not its content)."""

    model_config = ConfigDict(from_attributes=True)

    report_id: uuid.UUID = Field(validation_alias="id")
    building_id: uuid.UUID
    period_start: date
    period_end: date
    status: ReportStatus
    created_by: uuid.UUID
    created_at: datetime
    signed_by_name: str | None
    finalised_at: datetime | None
    content_sha256: str | None = Field(description="SHA-256 of the final report's canonical JSON")


class ReportPage(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    data: list[ReportSummary] = Field(validation_alias="items")  # read from the kit's Page
    next_cursor: str | None


class BuildingOut(BaseModel):
    building_id: uuid.UUID
    name: str
    address: str
    building_type: str | None


class RoutineLine(BaseModel):
    routine: str
    outcome: Outcome | None = Field(description="The latest outcome recorded in the period; null: none")
    performed_at: datetime | None
    session_id: uuid.UUID | None
    last_done: date | None = Field(description="The last pass or fail up to the cut-off day")
    next_due: date | None
    state: ScheduleState | None = Field(
        description="On the cut-off day; never done is overdue once a cycle has passed since "
        "registration; null for an asset decommissioned in the period"
    )


class AssetLine(BaseModel):
    asset_id: uuid.UUID
    tag: str
    asset_type: str
    location: str
    status: Literal["active", "decommissioned"]
    routines: list[RoutineLine]


class OutcomeCounts(BaseModel):
    pass_: int = Field(alias="pass")
    fail: int
    not_tested: int
    no_access: int


class ReportSummaryBlock(BaseModel):
    compliant: bool = Field(description="No routine overdue and no critical defect unrectified")
    reasons: list[str] = Field(description="Why it is not compliant; empty when it is")
    assets: int
    routines: int
    recorded_in_period: int
    outcomes: OutcomeCounts
    not_due: int
    due: int
    overdue: int
    never_done: int
    critical_defects_unrectified: int
    evidence: int


class SeverityCounts(BaseModel):
    critical: int
    non_critical: int
    non_conformance: int
    unclassified: int


class DefectLine(BaseModel):
    defect_id: uuid.UUID
    asset_id: uuid.UUID
    tag: str
    severity: Severity | None
    condition: str | None
    description: str
    status: DefectStatus = Field(description="On the cut-off day")
    opened_at: datetime
    due_at: datetime | None
    closed_at: datetime | None
    overdue: bool
    evidence_ids: list[uuid.UUID]


class DefectsBlock(BaseModel):
    opened: SeverityCounts = Field(description="Opened in the period")
    closed: SeverityCounts = Field(description="Closed in the period")
    outstanding: SeverityCounts = Field(description="Not closed on the cut-off day")
    items: list[DefectLine]


class EvidenceLine(BaseModel):
    evidence_id: uuid.UUID
    sha256: str
    filename: str
    content_type: str
    size_bytes: int
    evidence_type: str
    session_id: uuid.UUID | None
    uploaded_at: datetime


class TechnicianLine(BaseModel):
    user_id: uuid.UUID
    name: str | None
    email: str | None
    records: int = Field(description="Service records in the period they took part in")


class Finalisation(BaseModel):
    signed_by_name: str
    finalised_by: uuid.UUID
    finalised_at: datetime


class ReportOut(BaseModel):
    """A compliance report. ``content_sha256`` (final reports) is the SHA-256 of this JSON's
    canonical text without ``content_sha256`` itself: keys sorted, no whitespace, non-ASCII
    escaped."""

    report_id: uuid.UUID
    status: ReportStatus
    building: BuildingOut
    period_start: date
    period_end: date
    as_of: date = Field(description="The cut-off day: the period's end, or the day generated if earlier")
    generated_at: datetime
    created_by: uuid.UUID
    created_at: datetime
    summary: ReportSummaryBlock
    assets: list[AssetLine]
    defects: DefectsBlock
    evidence: list[EvidenceLine]
    technicians: list[TechnicianLine]
    finalisation: Finalisation | None
    content_sha256: str | None
