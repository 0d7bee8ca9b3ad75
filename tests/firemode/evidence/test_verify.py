"""The verifier finds what changed: corrupted bytes, missing blobs, wrong sizes, orphans."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import obstore
import pytest
from obstore.store import MemoryStore

from firemode.evidence.storage import EvidenceStore, LocalEvidenceStore, ObjectEvidenceStore, blob_path
from firemode.evidence.verify import Mismatch, VerifyReport, verify_store

INTACT = b"intact photo bytes" * 10_000  # several chunks
CORRUPTED = b"a PDF that will rot" * 10_000
MISSING = b"a blob someone deleted by hand"
ORPHAN = b"a blob no row refers to"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def flip_byte(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


async def put(store: EvidenceStore, data: bytes) -> str:
    store.temp_dir.mkdir(parents=True, exist_ok=True)
    temp = store.temp_dir / "upload.part"
    temp.write_bytes(data)
    await store.put_file(sha(data), temp)
    return sha(data)


async def seed(store: EvidenceStore) -> list[tuple[str, int]]:
    for data in (INTACT, CORRUPTED, MISSING, ORPHAN):
        await put(store, data)
    return [(sha(INTACT), len(INTACT)), (sha(CORRUPTED), len(CORRUPTED)), (sha(MISSING), len(MISSING))]


def expected_report() -> VerifyReport:
    return VerifyReport(
        checked=3,
        intact=1,
        mismatched=[
            Mismatch(sha(CORRUPTED), sha(flip_byte(CORRUPTED, 70_000)), len(CORRUPTED), len(CORRUPTED))
        ],
        missing=[sha(MISSING)],
        old_orphans=[sha(ORPHAN)],
    )


async def test_local_store_flipped_byte_and_missing_file(tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path / "evidence")
    expected = await seed(store)
    path = store.path_of(sha(CORRUPTED))
    path.chmod(0o600)
    with path.open("r+b") as blob:  # one bit flipped in place, size unchanged
        blob.seek(70_000)
        byte = blob.read(1)
        blob.seek(70_000)
        blob.write(bytes([byte[0] ^ 0x01]))
    store.path_of(sha(MISSING)).unlink()

    progress: list[int] = []
    report = await verify_store(store, expected, progress.append)

    assert report == expected_report()
    assert report.ok is False
    assert progress == [1, 2, 3]


async def test_object_store_overwritten_and_deleted_objects(tmp_path: Path) -> None:
    raw = MemoryStore()
    store = ObjectEvidenceStore(raw, temp_dir=tmp_path)
    expected = await seed(store)
    obstore.put(raw, blob_path(sha(CORRUPTED)), flip_byte(CORRUPTED, 70_000))
    obstore.delete(raw, blob_path(sha(MISSING)))

    assert await verify_store(store, expected) == expected_report()


async def test_a_clean_store_is_ok(tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path)
    keys = [await put(store, data) for data in (INTACT, CORRUPTED)]
    report = await verify_store(store, [(keys[0], len(INTACT)), (keys[1], len(CORRUPTED))])
    assert report == VerifyReport(checked=2, intact=2)
    assert report.ok is True


async def test_a_wrong_recorded_size_is_a_mismatch(tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path)
    key = await put(store, INTACT)
    report = await verify_store(store, [(key, len(INTACT) + 1)])
    assert report.mismatched == [Mismatch(key, key, len(INTACT) + 1, len(INTACT))]
    assert report.ok is False


async def test_rows_sharing_a_blob_check_it_once_and_bad_hashes_are_missing(tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path)
    key = await put(store, INTACT)

    async def rows() -> AsyncIterator[tuple[str, int]]:  # as streamed from the database
        for row in [(key, len(INTACT)), (key, len(INTACT)), ("../../etc/passwd", 10)]:
            yield row

    report = await verify_store(store, rows())
    assert report == VerifyReport(checked=2, intact=1, missing=["../../etc/passwd"])


@pytest.mark.parametrize("orphans", [0, 3])
async def test_orphans_are_counted(tmp_path: Path, orphans: int) -> None:
    store = LocalEvidenceStore(tmp_path)
    keys = sorted([await put(store, f"orphan {n}".encode()) for n in range(orphans)])
    report = await verify_store(store, [])
    assert report == VerifyReport(old_orphans=keys)
    assert report.orphans == orphans
    assert report.ok is True


async def test_orphans_written_within_the_upload_limit_are_young(tmp_path: Path) -> None:
    """A blob no row refers to yet may be an upload in flight: told apart from an old one."""
    store = LocalEvidenceStore(tmp_path)
    young, old = await put(store, b"uploading now"), await put(store, b"left by a kill")
    os.utime(store.path_of(old), (time.time() - 7200, time.time() - 7200))
    report = await verify_store(store, [], young_within_seconds=3600)
    assert report == VerifyReport(young_orphans=[young], old_orphans=[old])
