"""The rules of an evidence upload: the bytes are received and proven before any database work, then
the row and the blob are recorded in one unit of work within the upload's time limit. A failed
upload leaves neither blob nor row."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends
from prometheus_client import Counter

from apikit.auth.dependencies import Principal
from apikit.context import app_state
from apikit.db.engine import Database, DatabaseDep
from apikit.errors import DependencyTimeoutError, ValidationError
from firemode.evidence.models import Evidence
from firemode.evidence.orphans import hold_blob, remove_if_unreferenced
from firemode.evidence.storage import EvidenceStore
from firemode.evidence.upload import (
    ReceivedUpload,
    UploadTimedOutError,
    check_content_type,
    receive_upload,
    upload_deadline,
    verify_hash,
)
from firemode.sessions.repository import SessionRepository
from firemode.settings import FireModeSettings, FireModeSettingsDep

_TYPE_BY_MEDIA = {"image": "photo", "video": "video", "application/pdf": "document"}


@dataclass
class EvidenceUploads:
    """A request's uploads. A blob new to the store is remembered, so that it can be removed
    (:meth:`remove_new_blobs`) should the request fail after storing it."""

    database: Database
    store: EvidenceStore
    settings: FireModeSettings
    stored_bytes: Counter
    new_blobs: list[str] = field(default_factory=list)

    async def upload(
        self, chunks: AsyncIterator[bytes], content_type_header: str, caller: Principal
    ) -> Evidence:
        # The whole upload has a time limit, so its temporary file is never older than that while it
        # lives: a sweep of older ones (start-up, `firemode purge`) takes only a dead process's.
        limit = self.settings.evidence_upload_timeout_seconds
        deadline = asyncio.get_running_loop().time() + limit
        # The bytes arrive before any database work: a slow upload must not hold a connection, nor
        # SQLite's single writer turn, while it streams. Too slow is retryable: a better connection
        # gets it through.
        timed_out = UploadTimedOutError(details={"timeout_seconds": limit}, retryable=True)
        async with upload_deadline(deadline, lambda: timed_out):
            received = await receive_upload(
                chunks,
                content_type_header,
                max_bytes=self.settings.evidence_max_bytes,
                temp_dir=self.store.temp_dir,
            )
        try:
            row = await self._record(received, caller, deadline)
        finally:
            await asyncio.to_thread(received.temp_path.unlink, missing_ok=True)
        self.stored_bytes.inc(received.size_bytes)
        return row

    async def _record(self, received: ReceivedUpload, caller: Principal, deadline: float) -> Evidence:
        content_type = check_content_type(received)
        verify_hash(received, received.fields.get("sha256_hash"))
        session_id = _session_id(received.fields.get("session_id"))
        # The deadline inside the unit of work: reached, it rolls the work back; the commit is not cut.
        async with self.database.transactional() as session, upload_deadline(deadline, _store_timed_out):
            if session_id is not None:
                await SessionRepository(session, caller).get_or_404(session_id)
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
            # commit follows). The blob's guard, held from the decision to reuse stored bytes
            # until the commit, keeps a sweep of unreferenced blobs from deleting them in between.
            await hold_blob(session, received.sha256)
            if not await self.store.exists(received.sha256):
                self.new_blobs.append(received.sha256)
            await self.store.put_file(received.sha256, received.temp_path)
        return row

    async def remove_new_blobs(self) -> None:
        """Remove the blobs this request added, unless a row refers to them: after a failure, once
        its unit of work rolled back. Decided under each blob's guard, as the sweep does, since an
        upload of the same bytes may be reusing the blob meanwhile."""
        for sha256 in self.new_blobs:
            await remove_if_unreferenced(self.database, self.store, sha256)


def _store_timed_out() -> DependencyTimeoutError:
    return DependencyTimeoutError("The evidence store did not finish storing the upload in time")


def _session_id(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationError("session_id is not a UUID", details={"field": "session_id"}) from None


def _evidence_type(value: str | None, content_type: str) -> str:
    if not value:
        return _TYPE_BY_MEDIA.get(content_type) or _TYPE_BY_MEDIA.get(content_type.split("/")[0], "other")
    if value not in {"photo", "video", "document", "other"}:
        raise ValidationError(
            "evidence_type must be photo, video, document or other", details={"field": "evidence_type"}
        )
    return value


# What the endpoints take from the app, as typed dependencies.


Store = Annotated[EvidenceStore, Depends(app_state("evidence_store"))]  # a local directory or an object store
_StoredBytes = Annotated[Counter, Depends(app_state("evidence_bytes"))]


async def _uploads(
    database: DatabaseDep, store: Store, settings: FireModeSettingsDep, stored_bytes: _StoredBytes
) -> AsyncIterator[EvidenceUploads]:
    uploads = EvidenceUploads(database, store, settings, stored_bytes)
    try:
        yield uploads
    except BaseException:
        await uploads.remove_new_blobs()
        raise


# scope="function": a failed upload's new blobs are removed before its error answer is sent.
Uploads = Annotated[EvidenceUploads, Depends(_uploads, scope="function")]
