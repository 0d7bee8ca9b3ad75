"""``/v1/evidence``: uploads that are provably the captured file, and their downloads."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from urllib.parse import quote

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import StreamingResponse

from apikit.conditional import byte_range, json_with_etag, not_modified, validators
from apikit.db.engine import ReadSession
from apikit.openapi import error_responses
from apikit.pagination import Page, PageParams
from firemode.evidence.models import Evidence
from firemode.evidence.repository import EvidenceRepository
from firemode.evidence.schemas import UPLOAD_REQUEST_BODY, EvidenceOut, EvidencePage
from firemode.evidence.service import Store, Uploads
from firemode.identity.roles import CurrentUser
from firemode.sessions.repository import SessionRepository

router = APIRouter(tags=["evidence"])
_CONTENT_CACHE_CONTROL = "private, max-age=0, must-revalidate"


@router.post(
    "/v1/evidence",
    response_model=EvidenceOut,
    status_code=status.HTTP_201_CREATED,
    summary="Upload evidence with the device's SHA-256 (streamed, verified, stored once)",
    openapi_extra=UPLOAD_REQUEST_BODY,
    responses=error_responses(400, 401, 404, 408, 413, 415, 422, 503, 504),
)
async def upload_evidence(request: Request, caller: CurrentUser, uploads: Uploads) -> Evidence:
    return await uploads.upload(request.stream(), request.headers.get("content-type", ""), caller)


@router.get(
    "/v1/evidence/{evidence_id}",
    response_model=EvidenceOut,
    summary="Evidence metadata (ETag; If-None-Match answers 304)",
    responses={304: {"description": "Not modified"}, **error_responses(401, 404)},
)
async def read_evidence(
    request: Request, evidence_id: uuid.UUID, caller: CurrentUser, session: ReadSession
) -> Response:
    row = await EvidenceRepository(session, caller).get_or_404(evidence_id)
    return json_with_etag(request, EvidenceOut.model_validate(row))


def _disposition(filename: str) -> str:
    fallback = filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


@router.get(
    "/v1/evidence/{evidence_id}/content",
    response_class=StreamingResponse,
    summary="The evidence's bytes (ETag = SHA-256; If-None-Match → 304; Range → 206 unless If-Range differs)",
    responses={
        200: {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
        206: {"description": "Partial content"},
        304: {"description": "Not modified"},
        **error_responses(401, 404, 416),
    },
)
async def download_evidence(
    request: Request, evidence_id: uuid.UUID, caller: CurrentUser, session: ReadSession, store: Store
) -> Response:
    row = await EvidenceRepository(session, caller).get_or_404(evidence_id)
    etag = f'"{row.sha256}"'
    if (held := not_modified(request, etag, cache_control=_CONTENT_CACHE_CONTROL)) is not None:
        return held
    span = byte_range(request, etag, row.size_bytes)
    start, end = span or (0, row.size_bytes - 1)
    sha256 = row.sha256

    async def body() -> AsyncIterator[bytes]:
        async with aclosing(store.open_range(sha256, start, end + 1)) as chunks:
            async for chunk in chunks:
                yield chunk

    headers = {
        **validators(etag, _CONTENT_CACHE_CONTROL),
        "Accept-Ranges": "bytes",
        "Content-Length": str(end - start + 1),
        "Content-Disposition": _disposition(row.filename),
    }
    if span is not None:
        headers["Content-Range"] = f"bytes {start}-{end}/{row.size_bytes}"
    return StreamingResponse(
        body(),
        status_code=status.HTTP_206_PARTIAL_CONTENT if span else status.HTTP_200_OK,
        media_type=row.content_type,
        headers=headers,
    )


@router.get(
    "/v1/tests/sessions/{session_id}/evidence",
    response_model=EvidencePage,
    summary="A session's evidence, newest first",
    responses=error_responses(400, 401, 404),
)
async def list_session_evidence(
    session_id: uuid.UUID, caller: CurrentUser, session: ReadSession, page: PageParams
) -> Page[Evidence]:
    await SessionRepository(session, caller).get_or_404(session_id)
    return await EvidenceRepository(session, caller).of_session_newest_first(session_id, page)
