"""Content-addressed evidence blobs: a blob's key is the SHA-256 of its bytes and nothing else.

Keying by hash gives three properties the spec needs for free: the same bytes are stored once, a
stored blob can be re-hashed against its own name to prove it is unchanged, and no user input (a
filename, an id) ever reaches a storage path. Keys are checked to be 64 lowercase hex characters
before any backend touches them, and laid out as ``ab/cd/<sha256>`` so no directory (or listing
page) grows past what a filesystem handles well.

Two backends implement :class:`EvidenceStore`: :class:`LocalEvidenceStore` (a directory, the
default) and :class:`ObjectEvidenceStore` (S3 and friends through ``obstore``). Both take the
temporary file an upload was streamed into (see :mod:`firemode.evidence.upload`) and move it into
place whole, so a reader never sees a half-written blob.
"""

from __future__ import annotations

import asyncio
import errno
import os
import re
import shutil
import tempfile
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING, Any, Final, Protocol
from urllib.parse import unquote, urlsplit

import obstore
from obstore.exceptions import BaseError as ObjectStoreError
from obstore.exceptions import GenericError

from apikit.errors import DependencyUnavailableError

if TYPE_CHECKING:
    from obstore import GetOptions
    from obstore.store import ObjectStore

# Downloads and re-hashing stream in pieces of this size: memory stays flat whatever the blob size.
CHUNK_SIZE: Final = 64 * 1024

_KEY = re.compile(r"[0-9a-f]{64}")
_FANOUT = re.compile(r"[0-9a-f]{2}")
# Blobs are immutable: nothing in the service writes to one after it is stored.
_BLOB_MODE: Final = 0o440
# The temporary copy of an upload spooled on another filesystem, in ``root/.tmp``.
STAGE_PREFIX: Final = "stage-"


class BlobNotFoundError(LookupError):
    """No blob is stored under this hash."""


@dataclass(frozen=True)
class StoredBlob:
    """A blob as the store lists it: its hash, and when its bytes were last written (its age)."""

    sha256: str
    modified_at: datetime


def blob_path(sha256: str) -> str:
    """The relative storage path of a blob: ``ab/cd/abcd…``. Rejects anything but a SHA-256 hex."""
    if not isinstance(sha256, str) or _KEY.fullmatch(sha256) is None:
        raise ValueError("a storage key must be a SHA-256 digest: 64 lowercase hex characters")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def _key_from_path(path: str) -> str | None:
    """The hash a relative path ``ab/cd/<sha256>`` stores, or ``None`` for anything else."""
    parts = path.split("/")
    if len(parts) != 3 or _KEY.fullmatch(parts[2]) is None:
        return None
    return parts[2] if blob_path(parts[2]) == path else None


def _check_range(start: int, end: int | None) -> None:
    if start < 0 or (end is not None and end < start):
        raise ValueError(f"invalid byte range: start={start}, end={end}")


class EvidenceStore(Protocol):
    """Where evidence blobs live.

    ``open_range`` and ``listing`` are async generators (hence no ``async`` on their declarations
    here): calling one returns the generator at once, and I/O starts on the first ``async for``.
    Wrap them in :func:`contextlib.aclosing` when you may stop early (a client that disconnects
    mid-download), so the file or connection is released at once, not at garbage collection.
    """

    @property
    def temp_dir(self) -> Path:
        """Where uploads should be spooled, so that :meth:`put_file` can move them cheaply."""
        ...

    async def put_file(self, sha256: str, path: Path) -> bool:
        """Store the file at ``path`` (whose bytes hash to ``sha256``) under that hash.

        Returns ``False`` when the blob was already stored (the same bytes are kept once). Takes
        ownership of ``path``: whatever happens, the temporary file is gone afterwards.
        """
        ...

    async def exists(self, sha256: str) -> bool: ...

    async def size(self, sha256: str) -> int:
        """The blob's size in bytes; :class:`BlobNotFoundError` when there is none."""
        ...

    def open_range(self, sha256: str, start: int = 0, end: int | None = None) -> AsyncGenerator[bytes, None]:
        """The bytes ``blob[start:end]`` (``end`` exclusive, ``None`` = to the end), in chunks.

        Like a slice, a range past the end is cut short (or empty); it is the caller's job to answer
        416 for it. :class:`BlobNotFoundError` on the first iteration when there is no blob.
        """
        ...

    async def delete(self, sha256: str) -> None:
        """Remove the blob; removing a blob that is not there is not an error."""
        ...

    def listing(self) -> AsyncGenerator[StoredBlob, None]:
        """Every stored blob with its age, in no particular order (the verifier counts orphans
        with it, and the sweep of unreferenced blobs picks the old ones)."""
        ...


class LocalEvidenceStore:
    """Blobs in a directory: ``root/ab/cd/<sha256>``, temporary files in ``root/.tmp``.

    A blob becomes visible through one ``os.replace`` after its bytes are fsync'd, and the directory
    is fsync'd after the rename, so a crash leaves either no blob or the whole one. Blocking file
    calls run in worker threads (``asyncio.to_thread``) to keep the event loop free.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._temp_dir = root / ".tmp"

    @property
    def temp_dir(self) -> Path:
        return self._temp_dir

    def path_of(self, sha256: str) -> Path:
        """The file holding a blob (for tests and operators; the service streams through the API)."""
        return self.root / blob_path(sha256)

    async def put_file(self, sha256: str, path: Path) -> bool:
        try:
            return await asyncio.to_thread(self._put_sync, self.path_of(sha256), path)
        finally:
            await asyncio.to_thread(path.unlink, missing_ok=True)

    def _put_sync(self, final: Path, source: Path) -> bool:
        # Two uploads of the same bytes may both get past this check; the second rename then
        # replaces identical bytes with identical bytes, which is harmless.
        if final.is_file():
            return False
        _makedirs_durable(final.parent)
        try:
            _publish(source, final)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            # The upload was spooled on another filesystem: copy it across, then rename.
            staged = self._copy_to_temp(source)
            try:
                _publish(staged, final)
            finally:
                staged.unlink(missing_ok=True)
        _fsync_dir(final.parent)
        return True

    def _copy_to_temp(self, source: Path) -> Path:
        _makedirs_durable(self._temp_dir)
        fd, name = tempfile.mkstemp(dir=self._temp_dir, prefix=STAGE_PREFIX)
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            shutil.copyfileobj(src, out, CHUNK_SIZE * 16)
        return Path(name)

    async def exists(self, sha256: str) -> bool:
        return await asyncio.to_thread(self.path_of(sha256).is_file)

    async def size(self, sha256: str) -> int:
        try:
            stat = await asyncio.to_thread(self.path_of(sha256).stat)
        except FileNotFoundError as exc:
            raise BlobNotFoundError(sha256) from exc
        return stat.st_size

    async def open_range(
        self, sha256: str, start: int = 0, end: int | None = None
    ) -> AsyncGenerator[bytes, None]:
        _check_range(start, end)
        path = self.path_of(sha256)
        try:
            file = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError as exc:
            raise BlobNotFoundError(sha256) from exc
        try:
            await asyncio.to_thread(file.seek, start)
            remaining = None if end is None else end - start
            while remaining is None or remaining > 0:
                want = CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining)
                chunk = await asyncio.to_thread(file.read, want)
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk
        finally:
            file.close()

    async def delete(self, sha256: str) -> None:
        await asyncio.to_thread(self.path_of(sha256).unlink, missing_ok=True)

    async def listing(self) -> AsyncGenerator[StoredBlob, None]:
        # One directory listing per thread hop: memory holds one leaf directory, not the store.
        for first in await asyncio.to_thread(_fanout_dirs, self.root):
            for second in await asyncio.to_thread(_fanout_dirs, first):
                for name, mtime in await asyncio.to_thread(_dir_files, second):
                    if _key_from_path(f"{first.name}/{second.name}/{name}") is not None:
                        yield StoredBlob(name, datetime.fromtimestamp(mtime, UTC))


def _fanout_dirs(parent: Path) -> list[Path]:
    if not parent.is_dir():
        return []
    return sorted(p for p in parent.iterdir() if _FANOUT.fullmatch(p.name) and p.is_dir())


def _dir_files(parent: Path) -> list[tuple[str, float]]:
    """The files of ``parent`` with their modification times (one gone meanwhile is left out)."""
    files = []
    for path in sorted(parent.iterdir()):
        try:
            info = path.stat()
        except FileNotFoundError:  # removed by a sweep since the directory was read
            continue
        if S_ISREG(info.st_mode):
            files.append((path.name, info.st_mtime))
    return files


def _publish(source: Path, final: Path) -> None:
    """Make ``source`` durable and read-only, then rename it to ``final`` in one atomic step."""
    _fsync_file(source)
    source.chmod(_BLOB_MODE)
    os.replace(source, final)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _makedirs_durable(path: Path) -> None:
    """``mkdir -p`` that fsyncs each parent it adds an entry to, so new directories survive a crash."""
    if path.is_dir():
        return
    _makedirs_durable(path.parent)
    try:
        path.mkdir()
    except FileExistsError:
        return
    _fsync_dir(path.parent)


# Object stores answer over the network: bound every request. A download streams through one request,
# so the overall timeout must cover a slow phone fetching the largest file.
DEFAULT_CLIENT_OPTIONS: Final[dict[str, str]] = {"connect_timeout": "5s", "timeout": "300s"}
# ``/ready``'s probe of the store ends within the store's connect timeout.
PING_TIMEOUT_SECONDS: Final = 5.0
_REMOTE_SCHEMES: Final = frozenset(
    {"s3", "s3a", "gs", "az", "adl", "azure", "abfs", "abfss", "http", "https"}
)


class ObjectEvidenceStore:
    """Blobs in an S3-compatible (or any ``obstore``) object store, under ``ab/cd/<sha256>``.

    Uploads stream from the temporary file as a multipart upload of ``part_size`` parts (a single PUT
    below that), at most ``max_concurrency`` parts in flight, so memory is a few parts' worth
    whatever the file size (measured: under 40 MiB for a 200 MiB file with the defaults, about
    12 MiB with ``max_concurrency=1``). An object appears only when the upload completes. Store
    failures other than "not found" surface as :class:`~apikit.errors.DependencyUnavailableError`
    (503).
    """

    def __init__(
        self,
        store: ObjectStore,
        *,
        temp_dir: Path | None = None,
        part_size: int = 5 * 1024 * 1024,
        max_concurrency: int = 2,
    ) -> None:
        self.store = store
        self._temp_dir = temp_dir or Path(tempfile.gettempdir())
        self._part_size = part_size
        self._max_concurrency = max_concurrency

    @classmethod
    def from_url(cls, url: str, *, temp_dir: Path | None = None, **options: Any) -> ObjectEvidenceStore:
        """``s3://bucket/prefix``, ``memory:///`` …; ``options`` go to ``obstore.store.from_url``.

        S3 credentials and endpoint also come from the usual ``AWS_*`` environment variables.
        """
        if urlsplit(url).scheme in _REMOTE_SCHEMES:
            options["client_options"] = {**DEFAULT_CLIENT_OPTIONS, **options.get("client_options", {})}
        return cls(obstore.store.from_url(url, **options), temp_dir=temp_dir)

    @property
    def temp_dir(self) -> Path:
        return self._temp_dir

    async def put_file(self, sha256: str, path: Path) -> bool:
        try:
            key = blob_path(sha256)
            # Without a conditional PUT (not every S3-compatible store has one), two uploads of the
            # same bytes may both write: the object then holds identical bytes, which is harmless.
            if await self._head_size(key) is not None:
                return False
            await obstore.put_async(
                self.store, key, path, chunk_size=self._part_size, max_concurrency=self._max_concurrency
            )
            return True
        except ObjectStoreError as exc:
            raise _unavailable() from exc
        finally:
            await asyncio.to_thread(path.unlink, missing_ok=True)

    async def exists(self, sha256: str) -> bool:
        return await self._head_size(blob_path(sha256)) is not None

    async def size(self, sha256: str) -> int:
        size = await self._head_size(blob_path(sha256))
        if size is None:
            raise BlobNotFoundError(sha256)
        return size

    async def _head_size(self, key: str) -> int | None:
        try:
            meta = await obstore.head_async(self.store, key)
        except FileNotFoundError:  # obstore's NotFoundError is one
            return None
        except ObjectStoreError as exc:
            raise _unavailable() from exc
        return meta["size"]

    async def open_range(
        self, sha256: str, start: int = 0, end: int | None = None
    ) -> AsyncGenerator[bytes, None]:
        _check_range(start, end)
        key = blob_path(sha256)
        if end == start:
            await self.size(sha256)  # an empty range still says whether the blob exists
            return
        options: GetOptions = {}
        if end is not None:
            options["range"] = (start, end)
        elif start:
            options["range"] = {"offset": start}
        try:
            result = await obstore.get_async(self.store, key, options=options)
        except FileNotFoundError as exc:
            raise BlobNotFoundError(sha256) from exc
        except GenericError as exc:
            # Stores reject a range starting at or past the end; a slice there is just empty.
            if "range" in options and start >= await self.size(sha256):
                return
            raise _unavailable() from exc
        except ObjectStoreError as exc:
            raise _unavailable() from exc
        try:
            async for chunk in result.stream(min_chunk_size=CHUNK_SIZE):
                yield chunk
        except ObjectStoreError as exc:
            raise _unavailable() from exc

    async def delete(self, sha256: str) -> None:
        try:
            await obstore.delete_async(self.store, blob_path(sha256))
        except FileNotFoundError:
            return
        except ObjectStoreError as exc:
            raise _unavailable() from exc

    async def ping(self) -> None:
        """Raise :class:`~apikit.errors.DependencyUnavailableError` unless the store answers: one
        listing page of one object, the same permission the sweep of unreferenced blobs needs."""
        try:
            async for _ in obstore.list(self.store, chunk_size=1):
                break
        except ObjectStoreError as exc:
            raise _unavailable() from exc

    async def listing(self) -> AsyncGenerator[StoredBlob, None]:
        # The listing gives each object's last write (S3's LastModified): its age, with no extra call.
        try:
            async for batch in obstore.list(self.store, chunk_size=1000):
                for meta in batch:
                    key = _key_from_path(meta["path"])
                    if key is not None:
                        yield StoredBlob(key, meta["last_modified"])
        except ObjectStoreError as exc:
            raise _unavailable() from exc


def _unavailable() -> DependencyUnavailableError:
    # The store's own message may name buckets and endpoints: it stays in the chained cause (the
    # logs), not in the answer to the client.
    return DependencyUnavailableError("The evidence store is unavailable")


def store_from_settings(
    url: str | None, data_dir: Path, *, options: dict[str, Any] | None = None
) -> EvidenceStore:
    """The configured store: a directory under ``data_dir/evidence`` unless ``url`` names another.

    ``file:///path`` is a local directory too (with the local backend's fsyncs); any other URL
    (``s3://bucket/prefix``, ``memory:///`` …) is an object store, with ``options`` passed to obstore.
    """
    if not url:
        return LocalEvidenceStore(data_dir / "evidence")
    parts = urlsplit(url)
    if parts.scheme == "file":
        return LocalEvidenceStore(Path(unquote(parts.path)))
    return ObjectEvidenceStore.from_url(url, temp_dir=data_dir / "evidence-tmp", **(options or {}))
