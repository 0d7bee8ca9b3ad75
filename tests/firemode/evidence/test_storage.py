"""Every backend passes the same suite: the directory store, and obstore's memory and local stores."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import obstore
import pytest
from obstore.store import LocalStore, MemoryStore, S3Store

from apikit.errors import DependencyUnavailableError
from apikit.ids import utcnow
from firemode.evidence import storage
from firemode.evidence.storage import (
    CHUNK_SIZE,
    BlobNotFoundError,
    EvidenceStore,
    LocalEvidenceStore,
    ObjectEvidenceStore,
    blob_path,
    store_from_settings,
)
from tests.firemode.evidence.helpers import collect

# 256,000 bytes: several CHUNK_SIZE chunks, and every byte value at a known offset.
DATA = bytes(range(256)) * 1000


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Backend:
    store: EvidenceStore
    # Writes bytes straight to a relative path, around the store (junk, corruption).
    write_raw: Callable[[str, bytes], None]


@pytest.fixture(params=["local", "obstore-memory", "obstore-local"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "local":
        root = tmp_path / "evidence"

        def write_local(relative: str, data: bytes) -> None:
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                target.chmod(0o600)
            target.write_bytes(data)

        return Backend(LocalEvidenceStore(root), write_local)
    raw = MemoryStore() if request.param == "obstore-memory" else LocalStore(tmp_path / "bucket", mkdir=True)

    def write_object(relative: str, data: bytes) -> None:
        obstore.put(raw, relative, data)

    return Backend(ObjectEvidenceStore(raw, temp_dir=tmp_path / "spool"), write_object)


async def put_bytes(store: EvidenceStore, data: bytes, name: str = "upload.part") -> tuple[str, bool, Path]:
    store.temp_dir.mkdir(parents=True, exist_ok=True)
    temp = store.temp_dir / name
    temp.write_bytes(data)
    return sha(data), await store.put_file(sha(data), temp), temp


async def all_keys(store: EvidenceStore) -> list[str]:
    return sorted([blob.sha256 async for blob in store.listing()])


async def test_same_bytes_are_stored_once(backend: Backend) -> None:
    store = backend.store
    key, created, temp = await put_bytes(store, DATA, "first.part")
    assert created is True
    assert not temp.exists()

    again, created_again, temp_again = await put_bytes(store, DATA, "second.part")
    assert again == key
    assert created_again is False
    assert not temp_again.exists()  # the duplicate's temp file is removed too

    assert await all_keys(store) == [key]
    assert await store.exists(key) is True
    assert await store.size(key) == len(DATA)
    assert await collect(store.open_range(key)) == DATA


async def test_an_empty_file_is_a_blob_too(backend: Backend) -> None:
    key, created, _ = await put_bytes(backend.store, b"")
    assert (key, created) == ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", True)
    assert await backend.store.size(key) == 0
    assert await collect(backend.store.open_range(key)) == b""
    assert await collect(backend.store.open_range(key, 0, 10)) == b""


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param(0, 10, id="first-bytes"),
        pytest.param(1000, 2000, id="middle"),
        pytest.param(65_530, 65_550, id="across-a-chunk-border"),
        pytest.param(250_000, None, id="open-ended"),
        pytest.param(0, None, id="whole"),
        pytest.param(255_990, 300_000, id="end-past-the-end-is-cut"),
        pytest.param(256_000, None, id="start-at-the-end-is-empty"),
        pytest.param(300_000, 300_010, id="wholly-past-the-end-is-empty"),
        pytest.param(5, 5, id="zero-length"),
    ],
)
async def test_ranges_read_like_slices(backend: Backend, start: int, end: int | None) -> None:
    key, _, _ = await put_bytes(backend.store, DATA)
    assert await collect(backend.store.open_range(key, start, end)) == DATA[start:end]


async def test_ranges_stream_in_chunks(tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path)
    key, _, _ = await put_bytes(store, DATA)
    sizes = [len(chunk) async for chunk in store.open_range(key, 0, None)]
    assert sizes == [CHUNK_SIZE, CHUNK_SIZE, CHUNK_SIZE, len(DATA) - 3 * CHUNK_SIZE]


@pytest.mark.parametrize(("start", "end"), [(-1, None), (10, 9)])
async def test_invalid_ranges_are_refused(backend: Backend, start: int, end: int | None) -> None:
    key, _, _ = await put_bytes(backend.store, DATA)
    with pytest.raises(ValueError, match="invalid byte range"):
        await collect(backend.store.open_range(key, start, end))


async def test_missing_blob(backend: Backend) -> None:
    key = sha(b"never stored")
    assert await backend.store.exists(key) is False
    with pytest.raises(BlobNotFoundError):
        await backend.store.size(key)
    with pytest.raises(BlobNotFoundError):
        await collect(backend.store.open_range(key))
    with pytest.raises(BlobNotFoundError):
        await collect(backend.store.open_range(key, 3, 3))


async def test_delete(backend: Backend) -> None:
    store = backend.store
    kept, _, _ = await put_bytes(store, b"kept")
    gone, _, _ = await put_bytes(store, b"gone")
    await store.delete(gone)
    assert await store.exists(gone) is False
    assert await all_keys(store) == [kept]
    await store.delete(gone)  # deleting twice is not an error
    assert await collect(store.open_range(kept)) == b"kept"


async def test_listing_lists_blobs_and_nothing_else(backend: Backend) -> None:
    blobs = [b"one", b"two", b"three"]
    written_after = utcnow() - timedelta(minutes=1)  # coarse file clocks may lag a little
    keys = [(await put_bytes(backend.store, data))[0] for data in blobs]
    # Each with its age (the sweep of unreferenced blobs keeps young ones).
    assert all([written_after < blob.modified_at <= utcnow() async for blob in backend.store.listing()])
    other = sha(b"elsewhere")
    backend.write_raw("README.txt", b"not a blob")
    backend.write_raw("ff/ff/not-a-hash", b"not a blob")
    backend.write_raw(f"00/00/{other}", b"a hash in the wrong fan-out directory")
    backend.write_raw(other, b"a hash outside the layout")
    assert await all_keys(backend.store) == sorted(keys)


@pytest.mark.parametrize(
    "key",
    ["../../etc/passwd", "", "abc", "A" * 64, sha(b"x").upper(), sha(b"x") + "/..", sha(b"x")[:63] + "g"],
)
async def test_keys_that_are_not_sha256_hex_never_reach_storage(backend: Backend, key: str) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        await backend.store.exists(key)
    with pytest.raises(ValueError, match="SHA-256"):
        await backend.store.delete(key)
    with pytest.raises(ValueError, match="SHA-256"):
        await collect(backend.store.open_range(key))


def test_blob_path_fans_out_on_the_first_two_bytes() -> None:
    key = sha(b"x")
    assert blob_path(key) == f"{key[:2]}/{key[2:4]}/{key}"


# Local directory specifics: the layout on disk, durability steps, and the temp file's ownership.


async def test_local_layout_and_no_leftovers(tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path / "evidence")
    key, _, _ = await put_bytes(store, DATA)
    blob = tmp_path / "evidence" / key[:2] / key[2:4] / key
    assert store.path_of(key) == blob
    assert blob.read_bytes() == DATA
    assert stat.S_IMODE(blob.stat().st_mode) == 0o440  # stored evidence is read-only
    assert list(store.temp_dir.iterdir()) == []


async def test_local_accepts_a_temp_file_from_elsewhere(tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path / "evidence")
    temp = tmp_path / "spool" / "upload.part"
    temp.parent.mkdir()
    temp.write_bytes(b"spooled elsewhere")
    assert await store.put_file(sha(b"spooled elsewhere"), temp) is True
    assert not temp.exists()
    assert store.path_of(sha(b"spooled elsewhere")).read_bytes() == b"spooled elsewhere"


async def test_local_copies_across_filesystems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A rename across filesystems fails with EXDEV; the store then copies into its own temp dir.
    real_replace = os.replace
    calls: list[tuple[str, str]] = []

    def replace(source: os.PathLike[str], target: os.PathLike[str]) -> None:
        calls.append((Path(source).parent.name, Path(target).name))
        if len(calls) == 1:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    store = LocalEvidenceStore(tmp_path / "evidence")
    temp = tmp_path / "other-fs.part"
    temp.write_bytes(b"from another filesystem")
    key = sha(b"from another filesystem")
    assert await store.put_file(key, temp) is True
    assert calls == [(tmp_path.name, key), (".tmp", key)]  # tried directly, then from a copy
    assert store.path_of(key).read_bytes() == b"from another filesystem"
    assert not temp.exists()
    assert list(store.temp_dir.iterdir()) == []


async def test_local_put_failure_still_removes_the_temp_file(tmp_path: Path) -> None:
    (tmp_path / "evidence").write_bytes(b"a file where the store's directory should be")
    store = LocalEvidenceStore(tmp_path / "evidence")
    temp = tmp_path / "upload.part"
    temp.write_bytes(b"payload")
    with pytest.raises(OSError, match="Not a directory"):
        await store.put_file(sha(b"payload"), temp)
    assert not temp.exists()


# Object store specifics: construction from a URL, and a store that does not answer.


def test_store_from_settings_defaults_to_a_directory(tmp_path: Path) -> None:
    store = store_from_settings(None, tmp_path)
    assert isinstance(store, LocalEvidenceStore)
    assert store.root == tmp_path / "evidence"
    assert store.temp_dir == tmp_path / "evidence" / ".tmp"
    empty = store_from_settings("", tmp_path)
    assert isinstance(empty, LocalEvidenceStore)


def test_store_from_settings_file_url_is_a_directory(tmp_path: Path) -> None:
    store = store_from_settings(f"file://{tmp_path}/my%20evidence", tmp_path / "data")
    assert isinstance(store, LocalEvidenceStore)
    assert store.root == tmp_path / "my evidence"


def test_store_from_settings_memory_url(tmp_path: Path) -> None:
    store = store_from_settings("memory:///", tmp_path)
    assert isinstance(store, ObjectEvidenceStore)
    assert isinstance(store.store, MemoryStore)
    assert store.temp_dir == tmp_path / "evidence-tmp"


def test_store_from_settings_s3_url_with_options(tmp_path: Path) -> None:
    store = store_from_settings(
        "s3://evidence-bucket/firemode",
        tmp_path,
        options={"region": "ap-southeast-2", "skip_signature": True},
    )
    assert isinstance(store, ObjectEvidenceStore)
    assert isinstance(store.store, S3Store)
    assert store.store.prefix == "firemode"
    assert store.store.config["bucket"] == "evidence-bucket"
    assert store.store.config["region"] == "ap-southeast-2"
    assert store.store.client_options == storage.DEFAULT_CLIENT_OPTIONS


def test_client_options_are_merged_over_the_default_timeouts() -> None:
    store = ObjectEvidenceStore.from_url(
        "s3://evidence-bucket", region="ap-southeast-2", client_options={"timeout": "900s"}
    )
    assert isinstance(store.store, S3Store)
    assert store.store.client_options == {"connect_timeout": "5s", "timeout": "900s"}


async def test_an_unreachable_object_store_is_a_503(tmp_path: Path) -> None:
    store = ObjectEvidenceStore.from_url(
        "http://127.0.0.1:9/evidence",
        client_options={"allow_http": True, "connect_timeout": "1s", "timeout": "2s"},
        retry_config={"max_retries": 0, "retry_timeout": timedelta(seconds=1)},
    )
    key = sha(b"x")
    with pytest.raises(DependencyUnavailableError) as caught:
        await store.exists(key)
    assert caught.value.status_code == 503
    assert caught.value.message == "The evidence store is unavailable"
    temp = tmp_path / "upload.part"
    temp.write_bytes(b"x")
    with pytest.raises(DependencyUnavailableError):
        await store.put_file(key, temp)
    assert not temp.exists()


async def test_an_invalid_key_still_removes_the_temp_file(backend: Backend) -> None:
    backend.store.temp_dir.mkdir(parents=True, exist_ok=True)
    temp = backend.store.temp_dir / "upload.part"
    temp.write_bytes(b"payload")
    with pytest.raises(ValueError, match="SHA-256"):
        await backend.store.put_file("../../etc/cron.d/evil", temp)
    assert not temp.exists()
