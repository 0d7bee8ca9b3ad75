"""``/v1/readiness``: a check-in per day (PUT replaces it), read back one day or a range."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from alloy.identity.roles import CurrentUser
from alloy.readiness import service
from alloy.readiness.repository import ReadinessRepository
from alloy.readiness.schemas import ReadinessIn, ReadinessOut
from apikit.db.engine import ReadSession, WriteSession
from apikit.envelope import Envelope, envelope
from apikit.openapi import error_responses
from apikit.pagination import BidirectionalPageParams, CursorPage
from apikit.schemas import IsoDate

router = APIRouter(prefix="/v1/readiness", tags=["readiness"])


@router.put(
    "/{date}",
    response_model=Envelope[ReadinessOut],
    summary="Record (or replace) the day's readiness: its score and band",
    responses=error_responses(401, 409, 422),
)
async def put_readiness(
    request: Request, date: IsoDate, body: ReadinessIn, caller: CurrentUser, db: WriteSession
) -> Envelope[ReadinessOut]:
    found = await service.put_readiness(db, caller.user_id, date, body)
    return envelope(request, ReadinessOut.model_validate(found))


@router.get(
    "",
    response_model=Envelope[CursorPage[ReadinessOut]],
    summary="Your readiness by day, newest first, optionally between two dates",
    responses=error_responses(400, 401),
)
async def list_readiness(
    request: Request,
    caller: CurrentUser,
    db: ReadSession,
    page: BidirectionalPageParams,
    from_: Annotated[IsoDate | None, Query(alias="from", description="First day, inclusive")] = None,
    to: Annotated[IsoDate | None, Query(description="Last day, inclusive")] = None,
) -> Envelope[CursorPage[ReadinessOut]]:
    service.checked_range(from_, to)
    result = await ReadinessRepository(db, caller.user_id).newest_first(page, from_, to)
    items = [ReadinessOut.model_validate(item) for item in result.items]
    return envelope(request, CursorPage[ReadinessOut].of(result, items))


@router.get(
    "/{date}",
    response_model=Envelope[ReadinessOut],
    summary="Your readiness on one day",
    responses=error_responses(401, 404),
)
async def read_readiness(
    request: Request, date: IsoDate, caller: CurrentUser, db: ReadSession
) -> Envelope[ReadinessOut]:
    found = await ReadinessRepository(db, caller.user_id).on_or_404(date)
    return envelope(request, ReadinessOut.model_validate(found))
