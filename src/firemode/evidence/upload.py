"""Receiving an evidence upload: a multipart stream in, a hashed temporary file out.

The body is never held in memory. ``python-multipart`` parses it incrementally; the ``file`` part's
bytes are hashed and written to a temporary file as they arrive, and the size cap fires on the first
byte past it, so the rest of an oversized body is neither read nor written. Whatever goes wrong (a
malformed body, too many bytes, the client going away, a cancelled task) the temporary file is
removed before the error leaves :func:`receive_upload`: a failed upload leaves nothing behind.

Checks that need the whole file (the claimed hash, the sniffed type) are separate functions the
endpoint calls afterwards, so each failure keeps its own status: 413, 415, 422, or 400.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from apikit.errors import ApiError, PayloadTooLargeError, UnsupportedMediaError, ValidationError
from apikit.schemas import check_form_text
from firemode.evidence.sniff import ALLOWED_TYPES, SNIFF_BYTES, detect_content_type
from firemode.evidence.storage import STAGE_PREFIX

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

MAX_UPLOAD_BYTES: Final = 50 * 1024 * 1024  # the spec's default cap on the file itself
FIELD_MAX_BYTES: Final = 4 * 1024
FILE_FIELD: Final = "file"
TEXT_FIELDS: Final = frozenset({"sha256_hash", "session_id", "evidence_type", "note"})
FALLBACK_FILENAME: Final = "evidence"
MAX_FILENAME_BYTES: Final = 255

_SPOOL_PREFIX: Final = "upload-"
_SPOOL_SUFFIX: Final = ".part"
# File bytes gathered before one thread hop hashes and writes them: few hops, little memory.
_WRITE_BATCH: Final = 256 * 1024
# RFC 2046 §5.1.1: 1-70 characters from this set, not ending in a space.
_BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
# Extensions worth keeping when a long name is cut: short, and not the whole name.
_MAX_EXTENSION_BYTES: Final = 16


@dataclass(frozen=True)
class ReceivedUpload:
    """An upload streamed to ``temp_path``; the caller stores it (or deletes it) next."""

    temp_path: Path
    size_bytes: int
    sha256: str  # lowercase hex, computed here while the bytes streamed in
    head: bytes  # the first ``SNIFF_BYTES`` of the file, for :func:`check_content_type`
    filename: str  # sanitized: safe to show and to put in a Content-Disposition header (encoded)
    fields: dict[str, str] = field(default_factory=dict)


class HashMismatchError(ApiError):
    status_code = 422
    default_message = "The file's SHA-256 does not match sha256_hash"


async def receive_upload(
    chunks: AsyncIterator[bytes],
    content_type_header: str,
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
    temp_dir: Path,
) -> ReceivedUpload:
    """Stream a ``multipart/form-data`` body into a temporary file under ``temp_dir``.

    A ``Content-Type`` that is not ``multipart/form-data`` is 415 (:class:`UnsupportedMediaError`);
    ``multipart/form-data`` without a valid boundary, a malformed body, a missing ``file`` part, an
    unknown, repeated or oversized field are 400 (:class:`ValidationError`); a file over
    ``max_bytes`` is 413 (:class:`PayloadTooLargeError`); text a JSON body could not carry either
    (U+0000), in a field or the filename, is 422 (:func:`apikit.schemas.check_form_text`).

    The whole body is bounded without a cap of its own: the file by ``max_bytes``, the four known
    fields by ``FIELD_MAX_BYTES``, part headers by the parser, unknown or repeated parts are refused,
    and reading stops at the closing boundary.
    """
    receiver = _Receiver(max_bytes)
    parser = MultipartParser(_boundary(content_type_header), receiver.callbacks())
    await asyncio.to_thread(temp_dir.mkdir, parents=True, exist_ok=True)
    fd, name = await asyncio.to_thread(
        tempfile.mkstemp, dir=temp_dir, prefix=_SPOOL_PREFIX, suffix=_SPOOL_SUFFIX
    )
    temp_path = Path(name)
    hasher = hashlib.sha256()
    out = os.fdopen(fd, "wb")
    try:
        async for chunk in chunks:
            _feed(parser, chunk)
            if receiver.pending_bytes >= _WRITE_BATCH:
                await asyncio.to_thread(_hash_and_write, receiver.take_pending(), hasher.update, out)
            if receiver.finished:
                break  # an epilogue after the closing boundary is ignored, not read
        receiver.check_complete()
        check_form_text(receiver.text_fields())
        await asyncio.to_thread(_hash_and_write, receiver.take_pending(), hasher.update, out)
        await asyncio.to_thread(out.close)
    except BaseException:
        _discard(out, temp_path)
        raise
    return ReceivedUpload(
        temp_path=temp_path,
        size_bytes=receiver.size,
        sha256=hasher.hexdigest(),
        head=bytes(receiver.head),
        filename=sanitize_filename(receiver.filename),
        fields=receiver.fields,
    )


def temp_file_patterns() -> tuple[str, ...]:
    """The names an upload's temporary files have: its spool, and the local store's cross-device
    copy of it (both in the store's ``temp_dir``). Nothing else there is ours to remove."""
    return (f"{_SPOOL_PREFIX}*{_SPOOL_SUFFIX}", f"{STAGE_PREFIX}*")


async def stale_uploads(temp_dir: Path, *, older_than_seconds: float) -> list[Path]:
    """Upload temporary files under ``temp_dir`` last written more than ``older_than_seconds`` ago.

    :func:`receive_upload` removes its file on every error it sees, but a killed process sees none.
    Pass an age no live upload can reach (its time limit and a grace,
    :attr:`~firemode.settings.FireModeSettings.stale_upload_seconds`), so that a sweep never takes
    the file of an upload another process is receiving right now.
    """
    return await asyncio.to_thread(_stale, temp_dir, time.time() - older_than_seconds)


async def remove_stale_uploads(temp_dir: Path, *, older_than_seconds: float) -> int:
    """Delete what :func:`stale_uploads` finds; returns how many files went."""
    return await asyncio.to_thread(_remove_stale, temp_dir, time.time() - older_than_seconds)


def _stale(temp_dir: Path, cutoff: float) -> list[Path]:
    if not temp_dir.is_dir():
        return []
    stale = []
    for pattern in temp_file_patterns():
        for path in temp_dir.glob(pattern):
            with contextlib.suppress(FileNotFoundError):  # finished (or swept) meanwhile
                if path.is_file() and path.stat().st_mtime < cutoff:
                    stale.append(path)
    return sorted(stale)


def _remove_stale(temp_dir: Path, cutoff: float) -> int:
    removed = 0
    for path in _stale(temp_dir, cutoff):
        with contextlib.suppress(FileNotFoundError):  # another process may sweep at the same time
            path.unlink()
            removed += 1
    return removed


class UploadTimedOutError(ApiError):
    """The body did not arrive within the upload's time limit (``EVIDENCE_UPLOAD_TIMEOUT_SECONDS``)."""

    status_code = 408
    default_message = "The upload did not arrive within its time limit; send it again"


@contextlib.asynccontextmanager
async def upload_deadline(deadline: float, error: Callable[[], ApiError]) -> AsyncIterator[None]:
    """Run the block until the event loop's clock reads ``deadline``; past it, raise ``error()``.

    Only this deadline's expiry becomes ``error()``: a ``TimeoutError`` from inside (a database
    timeout) passes through as it is.
    """
    scope = asyncio.timeout_at(deadline)
    try:
        async with scope:
            yield
    except TimeoutError:
        if scope.expired():
            raise error() from None
        raise


def verify_hash(received: ReceivedUpload, claimed: str | None) -> None:
    """The device's hash (64 hex characters, any case) must equal the one computed on arrival.

    ``claimed`` may be ``received.fields.get("sha256_hash")`` as it is: a missing hash is a 400 too.
    """
    if claimed is None:
        raise ValidationError("sha256_hash is required", details={"field": "sha256_hash"})
    if _HEX_SHA256.fullmatch(claimed) is None:
        raise ValidationError(
            "sha256_hash must be 64 hexadecimal characters", details={"field": "sha256_hash"}
        )
    expected = claimed.lower()
    if expected != received.sha256:
        raise HashMismatchError(details={"expected": expected, "actual": received.sha256})


def check_content_type(received: ReceivedUpload) -> str:
    """The MIME type the file's leading bytes show, if it is on the allow-list; 415 otherwise."""
    detected = detect_content_type(received.head)
    if detected is None or detected not in ALLOWED_TYPES:
        raise UnsupportedMediaError(
            "The file is not an allowed type (JPEG, PNG, HEIC, WebP, PDF or MP4)",
            details={"allowed": sorted(ALLOWED_TYPES)},
        )
    return detected


def sanitize_filename(raw: str | None) -> str:
    """A display name from the client's filename: no path parts, no control characters, ≤255 bytes.

    The name is only ever shown and offered back in downloads (storage keys are hashes), but it still
    must not smuggle a path, a terminal escape or a right-to-left override that disguises
    ``gpj.exe`` as ``exe.jpg``, hence every Unicode "other" character (C*) goes, not just ASCII ones.
    """
    name = re.split(r"[/\\]", raw or "")[-1]
    name = re.sub(r"\s", " ", name)  # tabs and newlines separate words: keep them as spaces
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = unicodedata.normalize("NFC", name)
    name = " ".join(name.split()).lstrip(". ")
    return _truncate_utf8(name, MAX_FILENAME_BYTES) or FALLBACK_FILENAME


def _truncate_utf8(name: str, limit: int) -> str:
    """Cut ``name`` to ``limit`` UTF-8 bytes on a character boundary, keeping a short extension."""
    if len(name.encode()) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    suffix = dot + extension
    if not stem or len(suffix.encode()) > _MAX_EXTENSION_BYTES:
        stem, suffix = name, ""
    budget = limit - len(suffix.encode())
    cut = stem.encode()[:budget].decode(errors="ignore").rstrip()
    return cut + suffix


class _Receiver:
    """Parser callbacks: route the file part's bytes to the pending batch, fields to small buffers."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.head = bytearray()
        self.filename: str | None = None
        self.fields: dict[str, str] = {}
        self.finished = False
        self.pending_bytes = 0
        self._pending: list[bytes] = []
        self._saw_file = False
        self._part: str | None = None
        self._headers: dict[str, str] = {}
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._value = bytearray()

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._header_name.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._header_value.extend(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def text_fields(self) -> dict[str, str]:
        """Every text the client sent, the file's name included (as sent, before sanitizing)."""
        named = {} if self.filename is None else {f"{FILE_FIELD}.filename": self.filename}
        return {**self.fields, **named}

    def take_pending(self) -> list[bytes]:
        pending, self._pending, self.pending_bytes = self._pending, [], 0
        return pending

    def check_complete(self) -> None:
        if not self.finished:
            raise ValidationError("The multipart body ended before its closing boundary")
        if not self._saw_file:
            raise ValidationError(
                f"The multipart body has no '{FILE_FIELD}' part", details={"field": FILE_FIELD}
            )

    def _part_begin(self) -> None:
        self._part = None
        self._headers = {}
        self._value = bytearray()

    def _header_end(self) -> None:
        # Header bytes are taken as latin-1 (every byte maps to one character, nothing fails);
        # the filename is re-read as UTF-8 below, which is what clients send.
        self._headers[self._header_name.decode("latin-1").strip().lower()] = self._header_value.decode(
            "latin-1"
        )
        self._header_name = bytearray()
        self._header_value = bytearray()

    def _headers_finished(self) -> None:
        disposition, params = parse_options_header(self._headers.get("content-disposition"))
        name = params.get(b"name", b"").decode("utf-8", errors="replace")
        if disposition != b"form-data" or not name:
            raise ValidationError("Each multipart part needs a Content-Disposition: form-data name")
        if name != FILE_FIELD and name not in TEXT_FIELDS:
            raise ValidationError(
                f"Unknown multipart field '{name}'",
                details={"field": name, "allowed": [FILE_FIELD, *sorted(TEXT_FIELDS)]},
            )
        if name in self.fields or (name == FILE_FIELD and self._saw_file):
            raise ValidationError(f"The multipart field '{name}' is repeated", details={"field": name})
        if name == FILE_FIELD:
            self._saw_file = True
            raw = params.get(b"filename")
            self.filename = None if raw is None else raw.decode("utf-8", errors="replace")
        self._part = name

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._part == FILE_FIELD:
            self.size += end - start
            if self.size > self.max_bytes:
                raise _too_large(self.max_bytes)
            piece = data[start:end]
            if len(self.head) < SNIFF_BYTES:
                self.head.extend(piece[: SNIFF_BYTES - len(self.head)])
            self._pending.append(piece)
            self.pending_bytes += len(piece)
            return
        self._value.extend(data[start:end])
        if len(self._value) > FIELD_MAX_BYTES:
            raise ValidationError(
                f"The field '{self._part}' is longer than {FIELD_MAX_BYTES} bytes",
                details={"field": self._part, "max_bytes": FIELD_MAX_BYTES},
            )

    def _part_end(self) -> None:
        if self._part is None or self._part == FILE_FIELD:
            return
        try:
            self.fields[self._part] = self._value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError(
                f"The field '{self._part}' is not valid UTF-8", details={"field": self._part}
            ) from exc

    def _end(self) -> None:
        self.finished = True


def _boundary(content_type_header: str) -> bytes:
    # As bytes, the parser reads it as latin-1 and cannot fail; anything non-ASCII then matches
    # neither the media type nor the boundary's character set.
    media_type, params = parse_options_header(content_type_header.encode())
    if media_type != b"multipart/form-data":
        raise _not_multipart()
    boundary = params.get(b"boundary", b"").decode("latin-1")
    if _BOUNDARY.fullmatch(boundary) is None:
        raise ValidationError(
            "The multipart/form-data Content-Type has no valid boundary",
            details={"header": "Content-Type"},
        )
    return boundary.encode("latin-1")


def _feed(parser: MultipartParser, chunk: bytes) -> None:
    try:
        parser.write(chunk)
    except FormParserError as exc:
        raise ValidationError("The multipart body is malformed", details={"reason": str(exc)}) from exc


def _discard(out: IO[bytes], path: Path) -> None:
    """Close and delete a failed upload's temporary file.

    Synchronous on purpose: it also runs when the request is cancelled (the client went away), and in
    a cancelled anyio scope every ``await`` would be cancelled again before the file was removed.
    """
    with contextlib.suppress(OSError):
        out.close()
    path.unlink(missing_ok=True)


def _hash_and_write(pieces: list[bytes], update: Callable[[bytes], None], out: IO[bytes]) -> None:
    # Runs in a worker thread: hashlib and file writes release the GIL on large buffers.
    for piece in pieces:
        update(piece)
        out.write(piece)


def _not_multipart() -> UnsupportedMediaError:
    return UnsupportedMediaError(
        "Evidence must be sent as multipart/form-data", details={"expected": "multipart/form-data"}
    )


def _too_large(max_bytes: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"The file is larger than {max_bytes} bytes", details={"max_bytes": max_bytes}
    )
