"""Compliance reports: ``/v1/buildings/{building_id}/reports`` (make one, list a building's) and
``/v1/reports/{report_id}`` (the JSON, the PDF, finalising). Supervisors and admins only: a
report is what the contractor hands the building owner."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status

from apikit import jsoncodec
from apikit.auth.dependencies import IdentityDep
from apikit.conditional import etag_of, not_modified, validators
from apikit.db.engine import ReadSession, WriteSession
from apikit.openapi import error_responses
from apikit.pagination import Page, PageParams
from apikit.ratelimit import rate_limit
from firemode.clock import Now
from firemode.identity.roles import SupervisorOrAdmin
from firemode.reports.models import ComplianceReport
from firemode.reports.schemas import FinaliseRequest, ReportCreateRequest, ReportOut, ReportPage
from firemode.reports.service import ReportReader, ReportService
from firemode.settings import FireModeSettings

router = APIRouter(tags=["reports"])


def _report_rate(settings: FireModeSettings) -> str:
    return settings.report_rate


# Declared after the role check, so it counts per user.
ReportRate = Annotated[None, Depends(rate_limit(_report_rate, "reports:work"))]
_REPORT = {200: {"model": ReportOut, "description": "The report"}}


def _json(request: Request, content: dict[str, Any], status_code: int = 200, **headers: str) -> Response:
    """A report written straight from its plain data (``ReportOut`` documents it), with its ETag:
    a final report's never changes."""
    body = jsoncodec.dumps_bytes(content)
    etag = etag_of(body)
    if status_code == 200 and (unchanged := not_modified(request, etag)):
        return unchanged
    return Response(body, status_code, media_type="application/json", headers={**validators(etag), **headers})


def _filename(content: dict[str, Any]) -> str:
    """``compliance-report-harbour-tower-2026-01-01-to-2026-06-30.pdf``: ASCII, no path parts."""
    name = re.sub(r"[^a-z0-9]+", "-", content["building"]["name"].lower()).strip("-")[:60] or "building"
    return f"compliance-report-{name}-{content['period_start']}-to-{content['period_end']}.pdf"


@router.post(
    "/v1/buildings/{building_id}/reports",
    status_code=status.HTTP_201_CREATED,
    response_model=ReportOut,
    summary="Make a draft compliance report of the building for a period (supervisor, admin)",
    responses=error_responses(401, 403, 404, 422, 429),
)
async def create_report(
    request: Request,
    building_id: uuid.UUID,
    body: ReportCreateRequest,
    caller: SupervisorOrAdmin,
    _rate: ReportRate,
    session: WriteSession,
    now: Now,
) -> Response:
    service = ReportService(session, caller)
    report = await service.create(building_id, body.period_start, body.period_end, now=now)
    content = await service.content(report, now=now)
    return _json(request, content, status.HTTP_201_CREATED, Location=f"/v1/reports/{report.id}")


@router.get(
    "/v1/buildings/{building_id}/reports",
    response_model=ReportPage,
    summary="The building's reports, newest first (supervisor, admin)",
    responses=error_responses(400, 401, 403, 404, 422),
)
async def list_reports(
    building_id: uuid.UUID, caller: SupervisorOrAdmin, session: ReadSession, page: PageParams
) -> Page[ComplianceReport]:
    return await ReportReader(session, caller).of_building(building_id, page)


@router.get(
    "/v1/reports/{report_id}",
    response_model=ReportOut,
    summary="A report as JSON: a draft worked out now, a final one as signed (supervisor, admin)",
    responses={304: {"description": "Not modified"}, **error_responses(401, 403, 404, 429)},
)
async def read_report(
    request: Request,
    report_id: uuid.UUID,
    caller: SupervisorOrAdmin,
    _rate: ReportRate,
    session: ReadSession,
    now: Now,
) -> Response:
    return _json(request, await ReportReader(session, caller).read(report_id, now=now))


@router.get(
    "/v1/reports/{report_id}/pdf",
    response_class=Response,
    summary="A report as a PDF a building owner can file (supervisor, admin)",
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        304: {"description": "Not modified"},
        **error_responses(401, 403, 404, 429),
    },
)
async def report_pdf(
    request: Request,
    report_id: uuid.UUID,
    caller: SupervisorOrAdmin,
    _rate: ReportRate,
    session: ReadSession,
    now: Now,
) -> Response:
    content, pdf = await ReportReader(session, caller).pdf(report_id, now=now)
    etag = etag_of(pdf)
    return not_modified(request, etag) or Response(
        pdf,
        media_type="application/pdf",
        headers={**validators(etag), "Content-Disposition": f'attachment; filename="{_filename(content)}"'},
    )


@router.post(
    "/v1/reports/{report_id}/finalise",
    response_model=ReportOut,
    summary="Sign a report off: frozen for good, with the SHA-256 of its content (supervisor, admin)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def finalise_report(
    request: Request,
    report_id: uuid.UUID,
    body: FinaliseRequest,
    caller: SupervisorOrAdmin,
    session: WriteSession,
    identity: IdentityDep,
    now: Now,
) -> Response:
    content = await ReportService(session, caller).finalise(
        report_id, body.signed_by_name, now=now, audit=identity.audit, request=request
    )
    return _json(request, content)
