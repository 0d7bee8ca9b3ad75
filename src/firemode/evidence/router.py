"""``/v1/evidence``: uploads that are provably the captured file, and their downloads."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import StreamingResponse
from sqlalchemy import Select, and_, or_, select

from apikit.auth.dependencies import Principal
from apikit.conditional import json_with_etag, not_modified, range_applies, validators
from apikit.db.engine import ReadOnlySession, database_of
from apikit.errors import ApiError, DependencyTimeoutError, NotFoundError, ValidationError
from apikit.openapi import error_responses
from apikit.pagination import Keyset, PageParams, paginate
from firemode.evidence.models import Evidence
from firemode.evidence.orphans import hold_blob, remove_if_unreferenced
from firemode.evidence.schemas import UPLOAD_REQUEST_BODY, EvidenceOut, EvidencePage
from firemode.evidence.storage import EvidenceStore
from firemode.evidence.upload import (
    UploadTimedOutError,
    check_content_type,
    receive_upload,
    upload_deadline,
    verify_hash,
)
from firemode.identity.roles import CurrentUser
from firemode.sessions.models import SessionParticipant
from firemode.sessions.repository import SEES_EVERY_SESSION, SessionRepository
from firemode.sessions.service import not_found as session_not_found

router = APIRouter(tags=["evidence"])
EVIDENCE = Keyset("evidence", (Evidence.created_at, Evidence.id))
_RANGE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$")  # ASCII digits: \d matches every script's
_TYPE_BY_MEDIA = {"image": "photo", "video": "video", "application/pdf": "document"}
_CONTENT_CACHE_CONTROL = "private, max-age=0, must-revalidate"


class RangeNotSatisfiableError(ApiError):
    status_code = 416
    default_message = "The requested range is not satisfiable"


def store_of(request: Request) -> EvidenceStore:
    store: EvidenceStore = request.app.state.evidence_store
    return store


def evidence_out(row: Evidence) -> EvidenceOut:
    return EvidenceOut(
        evidence_id=row.id,
        sha256=row.sha256,
        size_bytes=row.size_bytes,
        content_type=row.content_type,
        filename=row.filename,
        session_id=row.session_id,
        evidence_type=row.evidence_type,
        note=row.note,
        uploaded_by=row.uploaded_by,
        created_at=row.created_at,
    )


def visible_evidence(caller: Principal) -> Select[Any]:
    """Visibility follows the session, or the uploader when there is none."""
    statement = select(Evidence)
    if caller.role in SEES_EVERY_SESSION:
        return statement
    mine = select(SessionParticipant.session_id).where(SessionParticipant.user_id == caller.user_id)
    return statement.where(
        or_(
            and_(Evidence.session_id.is_(None), Evidence.uploaded_by == caller.user_id),
            Evidence.session_id.in_(mine),
        )
    )


class BlobJanitor:
    """Removes a blob this request stored when the request then fails and nothing refers to it,
    so a failed upload leaves neither blob nor row."""

    def __init__(self) -> None:
        self.created: list[str] = []


async def _janitor(request: Request) -> AsyncIterator[BlobJanitor]:
    janitor = BlobJanitor()
    try:
        yield janitor
    except BaseException:
        # Runs after the endpoint's unit of work rolled back. Decided under the blob's guard, as
        # the sweep does: an upload of the same bytes may be reusing this blob meanwhile.
        store = store_of(request)
        for sha256 in janitor.created:
            await remove_if_unreferenced(database_of(request), store, sha256)
        raise


Janitor = Annotated[BlobJanitor, Depends(_janitor, scope="function")]


def _upload_timed_out(limit: float) -> UploadTimedOutError:
    # Retryable: the same upload on a better connection succeeds.
    return UploadTimedOutError(details={"timeout_seconds": limit}, retryable=True)


def _store_timed_out() -> DependencyTimeoutError:
    return DependencyTimeoutError("The evidence store did not finish storing the upload in time")


def _uuid_field(value: str | None, name: str) -> uuid.UUID | None:
    if value is None or value == "":
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationError(f"{name} is not a UUID", details={"field": name}) from None


def _evidence_type(value: str | None, content_type: str) -> str:
    if value is None or value == "":
        return _TYPE_BY_MEDIA.get(content_type) or _TYPE_BY_MEDIA.get(content_type.split("/")[0], "other")
    if value not in {"photo", "video", "document", "other"}:
        raise ValidationError(
            "evidence_type must be photo, video, document or other", details={"field": "evidence_type"}
        )
    return value


@router.post(
    "/v1/evidence",
    response_model=EvidenceOut,
    status_code=status.HTTP_201_CREATED,
    summary="Upload evidence with the device's SHA-256 (streamed, verified, stored once)",
    openapi_extra=UPLOAD_REQUEST_BODY,
    responses=error_responses(400, 401, 404, 408, 413, 415, 422, 503, 504),
)
async def upload_evidence(request: Request, caller: CurrentUser, janitor: Janitor) -> EvidenceOut:
    store = store_of(request)
    # The whole upload has a time limit, so its temporary file is never older than that while it
    # lives: a sweep of older ones (start-up, `firemode purge`) takes only a dead process's.
    limit = request.app.state.settings.evidence_upload_timeout_seconds
    deadline = asyncio.get_running_loop().time() + limit
    # The bytes arrive before any database work: a slow upload must not hold a connection, nor
    # SQLite's single writer turn, while it streams.
    async with upload_deadline(deadline, lambda: _upload_timed_out(limit)):
        received = await receive_upload(
            request.stream(),
            request.headers.get("content-type", ""),
            max_bytes=request.app.state.settings.evidence_max_bytes,
            temp_dir=store.temp_dir,
        )
    try:
        content_type = check_content_type(received)
        verify_hash(received, received.fields.get("sha256_hash"))
        session_id = _uuid_field(received.fields.get("session_id"), "session_id")
        # The deadline inside the unit of work: reached, it rolls the work back; the commit is not cut.
        async with (
            database_of(request).transactional() as session,
            upload_deadline(deadline, _store_timed_out),
        ):
            if (
                session_id is not None
                and await SessionRepository(session).get_visible(session_id, caller) is None
            ):
                raise session_not_found(session_id)
            row = Evidence(
                sha256=received.sha256,
                size_bytes=received.size_bytes,
                content_type=content_type,
                filename=received.filename,
                session_id=session_id,
                evidence_type=_evidence_type(received.fields.get("evidence_type"), content_type),
                note=received.fields.get("note") or None,
                uploaded_by=caller.user_id,
            )
            session.add(row)
            await session.flush()
            # Last: the blob moves into place only once the row is sure to be written (the
            # commit follows). A blob new to the store is the janitor's to remove should the
            # commit fail. The blob's guard, held from the decision to reuse stored bytes until
            # the commit, keeps a sweep of unreferenced blobs from deleting them in between.
            await hold_blob(session, received.sha256)
            if not await store.exists(received.sha256):
                janitor.created.append(received.sha256)
            await store.put_file(received.sha256, received.temp_path)
    finally:
        await asyncio.to_thread(received.temp_path.unlink, missing_ok=True)
    request.app.state.evidence_bytes.inc(received.size_bytes)
    return evidence_out(row)


async def _visible(session: Any, evidence_id: uuid.UUID, caller: Principal) -> Evidence:
    row: Evidence | None = (
        await session.execute(visible_evidence(caller).where(Evidence.id == evidence_id))
    ).scalar_one_or_none()
    if row is None:
        raise NotFoundError("No such evidence", code="NF_EVIDENCE", details={"evidence_id": str(evidence_id)})
    return row


@router.get(
    "/v1/evidence/{evidence_id}",
    response_model=EvidenceOut,
    summary="Evidence metadata (ETag; If-None-Match answers 304)",
    responses={304: {"description": "Not modified"}, **error_responses(401, 404)},
)
async def read_evidence(
    request: Request, evidence_id: uuid.UUID, caller: CurrentUser, session: ReadOnlySession
) -> Response:
    return json_with_etag(request, evidence_out(await _visible(session, evidence_id, caller)))


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(start, end_inclusive)`` for a single satisfiable range, None for the whole file."""
    if header is None:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None  # multiple or unknown ranges: the whole file (RFC 9110 allows ignoring Range)
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        length = int(last)
        if length == 0:
            raise RangeNotSatisfiableError(headers={"Content-Range": f"bytes */{size}"})
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise RangeNotSatisfiableError(headers={"Content-Range": f"bytes */{size}"})
    return start, end


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
    request: Request, evidence_id: uuid.UUID, caller: CurrentUser, session: ReadOnlySession
) -> Response:
    row = await _visible(session, evidence_id, caller)
    etag = f'"{row.sha256}"'
    if (held := not_modified(request, etag, cache_control=_CONTENT_CACHE_CONTROL)) is not None:
        return held
    # A Range the If-Range validator no longer covers asks for the whole file.
    span = _byte_range(request.headers.get("Range"), row.size_bytes) if range_applies(request, etag) else None
    start, end = span or (0, row.size_bytes - 1)
    store, sha256 = store_of(request), row.sha256

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
    session_id: uuid.UUID, caller: CurrentUser, session: ReadOnlySession, page: PageParams
) -> EvidencePage:
    if await SessionRepository(session).get_visible(session_id, caller) is None:
        raise session_not_found(session_id)
    statement = select(Evidence).where(Evidence.session_id == session_id)
    result = await paginate(
        session, statement, keyset=EVIDENCE, page=page, filters={"session_id": str(session_id)}
    )
    return EvidencePage(data=[evidence_out(row) for row in result.items], next_cursor=result.next_cursor)
