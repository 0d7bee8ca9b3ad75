"""Receiving uploads: streamed, hashed on the way in, capped, and never leaving a temp file behind."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import time
from collections.abc import AsyncGenerator
from pathlib import Path

import pytest

from apikit.errors import PayloadTooLargeError, UnsupportedMediaError, ValidationError
from firemode.evidence.sniff import ALLOWED_TYPES
from firemode.evidence.upload import (
    FIELD_MAX_BYTES,
    HashMismatchError,
    ReceivedUpload,
    check_content_type,
    receive_upload,
    remove_stale_uploads,
    verify_hash,
)
from tests.firemode.evidence.helpers import BOUNDARY, CONTENT_TYPE, Feeder, multipart, part

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + random.Random(
    1851
).randbytes(300_000)
JPEG_SHA256 = hashlib.sha256(JPEG).hexdigest()
NOTE = "Pump room B2 — valve tag ✓ checked"
SESSION_ID = "01890f4c-7a6b-7cde-8f01-23456789abcd"


def full_body(file: bytes = JPEG, filename: str | bytes | None = "../../etc/Photo 1.jpg") -> bytes:
    return multipart(
        part("sha256_hash", JPEG_SHA256),
        part("session_id", SESSION_ID),
        part("file", file, filename=filename),
        part("evidence_type", "photo"),
        part("note", NOTE),
    )


async def receive(
    body: bytes, tmp_path: Path, sizes: tuple[int, ...] = (7, 4093), **kwargs: int
) -> ReceivedUpload:
    return await receive_upload(
        Feeder(body, sizes), CONTENT_TYPE, max_bytes=kwargs.get("max_bytes", 1 << 20), temp_dir=tmp_path
    )


@pytest.mark.parametrize("sizes", [(7, 4093), (1,), (65_536,), (10_000_000,)], ids=str)
async def test_upload_is_hashed_sized_and_spooled(tmp_path: Path, sizes: tuple[int, ...]) -> None:
    body = full_body() if sizes != (1,) else full_body(JPEG[:3000])  # byte by byte: a smaller file
    expected = JPEG if sizes != (1,) else JPEG[:3000]
    received = await receive(body, tmp_path, sizes)

    assert received.sha256 == hashlib.sha256(expected).hexdigest()
    assert received.size_bytes == len(expected)
    assert received.head == expected[:32]
    assert received.filename == "Photo 1.jpg"
    assert received.fields == {
        "sha256_hash": JPEG_SHA256,
        "session_id": SESSION_ID,
        "evidence_type": "photo",
        "note": NOTE,
    }
    assert received.temp_path.parent == tmp_path
    assert received.temp_path.read_bytes() == expected
    assert list(tmp_path.iterdir()) == [received.temp_path]


async def test_the_temp_dir_is_created(tmp_path: Path) -> None:
    received = await receive(full_body(), tmp_path / "spool" / "evidence")
    assert received.temp_path.parent == tmp_path / "spool" / "evidence"


async def test_only_the_file_part_is_required(tmp_path: Path) -> None:
    received = await receive(multipart(part("file", b"%PDF-1.4\n")), tmp_path)
    assert received.fields == {}
    assert received.filename == "evidence"  # no filename given
    assert received.size_bytes == 9


async def test_an_empty_file(tmp_path: Path) -> None:
    received = await receive(multipart(part("file", b"", filename="empty.jpg")), tmp_path)
    assert (received.size_bytes, received.head) == (0, b"")
    assert received.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


async def test_utf8_filenames_survive(tmp_path: Path) -> None:
    received = await receive(full_body(filename="Ölraum Prüfung 日本.jpg".encode()), tmp_path)
    assert received.filename == "Ölraum Prüfung 日本.jpg"


async def test_an_epilogue_after_the_closing_boundary_is_not_read(tmp_path: Path) -> None:
    feeder = Feeder(full_body() + b"x" * 1_000_000, (4096,))
    received = await receive_upload(feeder, CONTENT_TYPE, max_bytes=1 << 20, temp_dir=tmp_path)
    assert received.sha256 == JPEG_SHA256
    assert not feeder.exhausted
    assert feeder.consumed < len(full_body()) + 4096


# Too large: refused at the first byte over, before the rest is read, leaving nothing behind.


async def test_too_large_stops_reading_at_the_cap(tmp_path: Path) -> None:
    body = full_body()
    feeder = Feeder(body, (1000,))
    with pytest.raises(PayloadTooLargeError) as caught:
        await receive_upload(feeder, CONTENT_TYPE, max_bytes=10_000, temp_dir=tmp_path)
    assert caught.value.status_code == 413
    assert caught.value.details == {"max_bytes": 10_000}
    assert not feeder.exhausted
    # The cap is on the file; the parts before it are a few hundred bytes, read in 1000-byte chunks.
    assert feeder.consumed <= 10_000 + 2_000
    assert list(tmp_path.iterdir()) == []


async def test_exactly_the_cap_is_accepted_one_more_byte_is_not(tmp_path: Path) -> None:
    received = await receive(multipart(part("file", JPEG[:5000])), tmp_path, max_bytes=5000)
    assert received.size_bytes == 5000
    with pytest.raises(PayloadTooLargeError):
        await receive(multipart(part("file", JPEG[:5001])), tmp_path / "other", max_bytes=5000)
    assert list((tmp_path / "other").iterdir()) == []


# Bad requests: each is a 4xx with a clear message, and leaves no temp file.


@pytest.mark.parametrize(
    ("body", "message", "details"),
    [
        pytest.param(b"hello world", "The multipart body is malformed", None, id="not-multipart-at-all"),
        pytest.param(
            full_body().replace(b"\r\n", b"\n"), "The multipart body is malformed", None, id="bare-LF-lines"
        ),
        pytest.param(
            full_body()[:-200], "The multipart body ended before its closing boundary", None, id="truncated"
        ),
        pytest.param(b"", "The multipart body ended before its closing boundary", None, id="empty-body"),
        pytest.param(
            multipart(part("sha256_hash", JPEG_SHA256), part("note", "no file")),
            "The multipart body has no 'file' part",
            {"field": "file"},
            id="missing-file-part",
        ),
        pytest.param(
            multipart(part("file", JPEG), part("file", JPEG)),
            "The multipart field 'file' is repeated",
            {"field": "file"},
            id="two-files",
        ),
        pytest.param(
            multipart(part("note", "a"), part("note", "b"), part("file", JPEG)),
            "The multipart field 'note' is repeated",
            {"field": "note"},
            id="repeated-field",
        ),
        pytest.param(
            multipart(part("file", JPEG), part("owner_id", "someone-else")),
            "Unknown multipart field 'owner_id'",
            {
                "field": "owner_id",
                "allowed": ["file", "evidence_type", "note", "session_id", "sha256_hash"],
            },
            id="unknown-field",
        ),
        pytest.param(
            multipart(part("note", "x" * (FIELD_MAX_BYTES + 1)), part("file", JPEG)),
            "The field 'note' is longer than 4096 bytes",
            {"field": "note", "max_bytes": 4096},
            id="oversized-field",
        ),
        pytest.param(
            multipart(part("note", b"caf\xe9"), part("file", JPEG)),
            "The field 'note' is not valid UTF-8",
            {"field": "note"},
            id="field-not-utf8",
        ),
        pytest.param(
            f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode(),
            "Each multipart part needs a Content-Disposition: form-data name",
            None,
            id="part-without-disposition",
        ),
    ],
)
async def test_bad_bodies_are_400(
    tmp_path: Path, body: bytes, message: str, details: dict[str, object] | None
) -> None:
    with pytest.raises(ValidationError) as caught:
        await receive(body, tmp_path)
    assert caught.value.status_code == 400
    assert caught.value.message == message
    if details is not None:
        assert caught.value.details == details
    assert list(tmp_path.iterdir()) == []


async def test_an_exactly_4096_byte_field_is_fine(tmp_path: Path) -> None:
    received = await receive(multipart(part("note", "x" * FIELD_MAX_BYTES), part("file", JPEG)), tmp_path)
    assert received.fields == {"note": "x" * FIELD_MAX_BYTES}


@pytest.mark.parametrize(
    "header",
    [
        "application/json",
        "application/octet-stream",
        "multipart/mixed; boundary=abc",
        "",
        "image/jpeg; boundary=abc",
        "multipart/förm-data; boundary=abc",
    ],
)
async def test_other_media_types_are_415(tmp_path: Path, header: str) -> None:
    with pytest.raises(UnsupportedMediaError) as caught:
        await receive_upload(Feeder(full_body()), header, max_bytes=1 << 20, temp_dir=tmp_path)
    assert caught.value.status_code == 415
    assert caught.value.details == {"expected": "multipart/form-data"}
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "header",
    [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=" + "b" * 71,
        'multipart/form-data; boundary="ends-in-space "',
        'multipart/form-data; boundary="has\r\nnewline"',
        "multipart/form-data; boundary=semi{brace}",
        "multipart/form-data; boundary=日本",
    ],
)
async def test_multipart_without_a_valid_boundary_is_400(tmp_path: Path, header: str) -> None:
    with pytest.raises(ValidationError) as caught:
        await receive_upload(Feeder(full_body()), header, max_bytes=1 << 20, temp_dir=tmp_path)
    assert caught.value.message == "The multipart/form-data Content-Type has no valid boundary"


async def test_content_type_parameters_are_case_and_quote_tolerant(tmp_path: Path) -> None:
    header = f'Multipart/Form-Data; charset=utf-8; boundary="{BOUNDARY}"'
    received = await receive_upload(Feeder(full_body()), header, max_bytes=1 << 20, temp_dir=tmp_path)
    assert received.sha256 == JPEG_SHA256


# The client going away: the iterator raises, or the request task is cancelled.


async def test_iterator_failing_midway_leaves_no_temp_file(tmp_path: Path) -> None:
    feeder = Feeder(full_body(), (4096,), fail_after=200_000)  # well into the file part
    with pytest.raises(ConnectionResetError, match="client went away"):
        await receive_upload(feeder, CONTENT_TYPE, max_bytes=1 << 20, temp_dir=tmp_path)
    assert feeder.consumed >= 200_000
    assert list(tmp_path.iterdir()) == []


async def test_cancellation_midway_leaves_no_temp_file(tmp_path: Path) -> None:
    started = asyncio.Event()

    async def stalls_after_some_bytes() -> AsyncGenerator[bytes, None]:
        body = full_body()
        yield body[:100_000]
        started.set()
        await asyncio.Event().wait()  # the client stops sending
        yield body[100_000:]

    chunks = stalls_after_some_bytes()
    task = asyncio.create_task(receive_upload(chunks, CONTENT_TYPE, max_bytes=1 << 20, temp_dir=tmp_path))
    await started.wait()
    assert len(list(tmp_path.iterdir())) == 1  # the spool file exists while receiving
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await chunks.aclose()
    assert list(tmp_path.iterdir()) == []


# After reception: the claimed hash and the sniffed type.


def received_with(data: bytes, tmp_path: Path) -> ReceivedUpload:
    return ReceivedUpload(
        temp_path=tmp_path / "x.part",
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        head=data[:32],
        filename="x",
    )


@pytest.mark.parametrize("claimed", [JPEG_SHA256, JPEG_SHA256.upper()], ids=["lower", "upper"])
def test_verify_hash_accepts_the_right_hash_in_any_case(tmp_path: Path, claimed: str) -> None:
    verify_hash(received_with(JPEG, tmp_path), claimed)


def test_verify_hash_mismatch_is_422_with_both_hashes(tmp_path: Path) -> None:
    claimed = hashlib.sha256(b"what the device captured").hexdigest().upper()
    with pytest.raises(HashMismatchError) as caught:
        verify_hash(received_with(JPEG, tmp_path), claimed)
    assert caught.value.status_code == 422
    assert caught.value.details == {"expected": claimed.lower(), "actual": JPEG_SHA256}


@pytest.mark.parametrize(
    "claimed", ["", "abc", JPEG_SHA256[:63], JPEG_SHA256 + "0", "g" * 64, f" {JPEG_SHA256[1:]}"]
)
def test_verify_hash_refuses_malformed_claims(tmp_path: Path, claimed: str) -> None:
    with pytest.raises(ValidationError) as caught:
        verify_hash(received_with(JPEG, tmp_path), claimed)
    assert caught.value.message == "sha256_hash must be 64 hexadecimal characters"
    assert caught.value.details == {"field": "sha256_hash"}


def test_verify_hash_requires_a_claim(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        verify_hash(received_with(JPEG, tmp_path), None)
    assert caught.value.message == "sha256_hash is required"
    assert caught.value.details == {"field": "sha256_hash"}


def test_check_content_type_returns_the_sniffed_type(tmp_path: Path) -> None:
    assert check_content_type(received_with(JPEG, tmp_path)) == "image/jpeg"
    assert check_content_type(received_with(b"%PDF-1.7\n", tmp_path)) == "application/pdf"


@pytest.mark.parametrize("data", [b"MZ\x90\x00 an exe", b"", b"GIF89a"], ids=["exe", "empty", "gif"])
def test_check_content_type_refuses_the_rest_with_415(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(UnsupportedMediaError) as caught:
        check_content_type(received_with(data, tmp_path))
    assert caught.value.details == {"allowed": sorted(ALLOWED_TYPES)}


async def test_stale_spool_files_from_a_crashed_process_are_swept(tmp_path: Path) -> None:
    received = await receive(full_body(), tmp_path)  # fresh: kept
    stale = tmp_path / "upload-abc123.part"
    stale.write_bytes(b"left by a process killed mid-upload")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    unrelated = tmp_path / "notes.txt"
    unrelated.write_bytes(b"not ours")
    os.utime(unrelated, (time.time() - 7200, time.time() - 7200))

    assert await remove_stale_uploads(tmp_path, older_than_seconds=3600) == 1
    assert sorted(tmp_path.iterdir()) == sorted([received.temp_path, unrelated])
    assert await remove_stale_uploads(tmp_path / "never-created", older_than_seconds=3600) == 0
