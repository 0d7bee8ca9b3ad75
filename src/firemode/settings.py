"""FireMode's settings: ``FIREMODE_*`` environment variables (and ``.env``)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Final

from fastapi import Depends
from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from apikit.context import app_state
from apikit.settings import ServiceSettings

# An upload's temporary file may outlive its time limit by the commit (bounded by the database
# timeout) and a storage thread finishing a move it had begun: a sweep waits this much longer.
UPLOAD_GRACE_SECONDS: Final = 300.0


class FireModeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FIREMODE_", env_file=".env", extra="ignore")

    service_name: ClassVar[str] = "firemode"

    # The processing boundary: unset, merging runs in the API process; set, batches go to the
    # separately started `firemode sync-worker` at this URL.
    sync_url: str | None = None
    sync_timeout_seconds: float = Field(default=10.0, gt=0)
    # Limits of one results batch and of a session's document.
    sync_max_changes: int = Field(default=1000, ge=1)
    sync_max_depth: int = Field(default=32, ge=1)
    sync_max_value_bytes: int = Field(default=64 * 1024, ge=16)
    sync_max_document_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    # Decoded session documents a process keeps between batches (by sessions and by their JSON
    # bytes; 0 sessions keeps none), so a batch does not decode the document it merges into.
    sync_cached_documents: int = Field(default=64, ge=0)
    sync_cached_document_bytes: int = Field(default=32 * 1024 * 1024, ge=0)
    # Evidence: a local directory under the data directory unless an object store URL is given
    # (s3://bucket/prefix, with the AWS_* variables; memory:/// for tests).
    evidence_store_url: str | None = None
    evidence_max_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    # An upload (receiving the body, then storing it) ends within this or fails (408 / 504), so a
    # temporary file older than it (and a grace) belongs to no live upload and can be swept.
    evidence_upload_timeout_seconds: float = Field(default=3600.0, gt=0)
    # A CSV import of a building's assets: rows past the first (the header) and the file's size.
    asset_import_max_rows: int = Field(default=10_000, ge=1)
    asset_import_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    # A non-critical defect is due this many days after it is opened (AS 1851 practice: 30).
    defect_rectify_days: int = Field(default=30, ge=1, le=366)
    # An offline bundle lists every active asset of its building, up to this many (else a 413).
    bundle_max_assets: int = Field(default=5000, ge=1)
    # Working out a report (its JSON or PDF) is a building's worth of queries and, for the PDF, a
    # second of CPU: per user, at most this often.
    report_rate: str = "60/minute"

    @property
    def stale_upload_seconds(self) -> float:
        """The age past which an upload's temporary file belongs to no live upload."""
        return self.evidence_upload_timeout_seconds + UPLOAD_GRACE_SECONDS

    @model_validator(mode="after")
    def _lease_outlasts_a_results_batch(self) -> FireModeSettings:
        # A batch may wait the database timeout for a connection and for its turn, then the sync
        # worker's timeout: an idempotency claim must outlast that, or a live batch's key is lost.
        longest = self.sync_timeout_seconds + 2 * self.database_timeout_seconds
        if self.idempotency_lease_seconds <= longest:
            raise ValueError(
                f"FIREMODE_IDEMPOTENCY_LEASE_SECONDS must exceed {longest:g} (the sync worker's "
                "timeout plus twice the database timeout)"
            )
        return self


FireModeSettingsDep = Annotated[FireModeSettings, Depends(app_state("settings"))]
