"""Evidence through the real app: verified, atomic, visible only with its session, and servable."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from httpx import Response

from firemode.evidence.storage import LocalEvidenceStore
from firemode.identity.roles import Role
from firemode.main import create_firemode_app
from tests.conftest import ServiceClient, asgi_client, settings_for
from tests.firemode.conftest import Account, account
from tests.validators import STALE, assert_conditional_get

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40
PDF = b"%PDF-1.7\n" + b"1 0 obj << >> endobj\n" * 200


def multipart(file: bytes, filename: str = "photo.jpg", **fields: str) -> tuple[bytes, str]:
    boundary = "----firemode" + uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode()
        + file
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


async def upload(
    client: ServiceClient,
    who: Account,
    file: bytes,
    *,
    sha256: str | None = None,
    filename: str = "photo.jpg",
    **fields: str,
) -> Response:
    body, content_type = multipart(
        file, filename, sha256_hash=sha256 or hashlib.sha256(file).hexdigest(), **fields
    )
    return await client.post(
        "/v1/evidence", content=body, headers={**who.headers, "Content-Type": content_type}
    )


def blobs(client: ServiceClient) -> list[Path]:
    store = client.app.state.evidence_store
    assert isinstance(store, LocalEvidenceStore)
    return sorted(
        path for path in store.temp_dir.parent.rglob("*") if path.is_file() and len(path.name) == 64
    )


def spool_files(client: ServiceClient) -> list[Path]:
    temp_dir = client.app.state.evidence_store.temp_dir
    return list(temp_dir.iterdir()) if temp_dir.exists() else []


async def new_session(client: ServiceClient, who: Account) -> str:
    session_id = str(uuid.uuid4())
    response = await client.post(
        f"/v1/tests/sessions/{session_id}/results",
        json={"changes": [{"op": "set", "path": "/started", "value": True}]},
        headers={**who.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 200
    return session_id


async def test_upload_is_verified_and_stored_once(firemode: ServiceClient, technician: Account) -> None:
    session_id = await new_session(firemode, technician)
    first = await upload(firemode, technician, JPEG, session_id=session_id, note="EXT-001 gauge")
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["sha256"] == hashlib.sha256(JPEG).hexdigest()
    assert (body["size_bytes"], body["content_type"], body["evidence_type"]) == (
        len(JPEG),
        "image/jpeg",
        "photo",
    )
    assert (body["session_id"], body["note"], body["filename"]) == (session_id, "EXT-001 gauge", "photo.jpg")
    second = await upload(firemode, technician, JPEG, session_id=session_id, filename="again.jpg")
    assert second.status_code == 201
    assert second.json()["evidence_id"] != body["evidence_id"]
    assert len(blobs(firemode)) == 1  # the same bytes are stored once
    assert spool_files(firemode) == []


async def test_the_stored_file_is_the_uploaded_file(firemode: ServiceClient, technician: Account) -> None:
    evidence = (await upload(firemode, technician, PDF, filename="report.pdf")).json()
    assert evidence["evidence_type"] == "document"
    content = await firemode.get(
        f"/v1/evidence/{evidence['evidence_id']}/content", headers=technician.headers
    )
    assert content.status_code == 200
    assert content.content == PDF
    assert content.headers["ETag"] == f'"{evidence["sha256"]}"'
    assert content.headers["Content-Type"] == "application/pdf"
    assert content.headers["Content-Disposition"].startswith('attachment; filename="report.pdf"')
    assert "Content-Encoding" not in content.headers
    cached = await firemode.get(
        f"/v1/evidence/{evidence['evidence_id']}/content",
        headers={**technician.headers, "If-None-Match": content.headers["ETag"]},
    )
    assert cached.status_code == 304


@pytest.mark.parametrize(
    ("range_header", "status", "expected"),
    [
        ("bytes=0-9", 206, slice(0, 10)),
        ("bytes=100-", 206, slice(100, None)),
        ("bytes=-50", 206, slice(-50, None)),
        ("bytes=10-999999", 206, slice(10, None)),
        ("bytes=1-2,5-6", 200, slice(None)),  # several ranges: the whole file
    ],
)
async def test_ranges(
    firemode: ServiceClient, technician: Account, range_header: str, status: int, expected: slice
) -> None:
    evidence = (await upload(firemode, technician, PDF, filename="r.pdf")).json()
    response = await firemode.get(
        f"/v1/evidence/{evidence['evidence_id']}/content",
        headers={**technician.headers, "Range": range_header},
    )
    assert response.status_code == status
    assert response.content == PDF[expected]
    if status == 206:
        start = len(PDF) + expected.start if expected.start < 0 else expected.start
        assert (
            response.headers["Content-Range"]
            == f"bytes {start}-{len(PDF) - 1 if expected.stop is None else expected.stop - 1}/{len(PDF)}"
        )


@pytest.mark.parametrize("range_header", [f"bytes={len(PDF)}-", "bytes=-0", "bytes=9-3"])
async def test_unsatisfiable_range_is_416(
    firemode: ServiceClient, technician: Account, range_header: str
) -> None:
    evidence = (await upload(firemode, technician, PDF, filename="r.pdf")).json()
    response = await firemode.get(
        f"/v1/evidence/{evidence['evidence_id']}/content",
        headers={**technician.headers, "Range": range_header},
    )
    assert response.status_code == 416
    assert response.json()["error_code"] == "FIRE-416"
    assert response.headers["Content-Range"] == f"bytes */{len(PDF)}"


async def test_metadata_answers_conditional_requests(firemode: ServiceClient, technician: Account) -> None:
    evidence = (await upload(firemode, technician, PDF, filename="m.pdf")).json()
    metadata = await assert_conditional_get(
        firemode, f"/v1/evidence/{evidence['evidence_id']}", technician.headers
    )
    assert metadata.json() == evidence


async def test_content_answers_conditional_requests(firemode: ServiceClient, technician: Account) -> None:
    evidence = (await upload(firemode, technician, PDF, filename="c.pdf")).json()
    url = f"/v1/evidence/{evidence['evidence_id']}"
    content = await assert_conditional_get(firemode, f"{url}/content", technician.headers)
    assert content.content == PDF
    assert content.headers["ETag"] == f'"{evidence["sha256"]}"'
    # If-None-Match is decided before Range: a client holding the file gets no part of it.
    held = await firemode.get(
        f"{url}/content", headers={**technician.headers, "If-None-Match": "*", "Range": "bytes=0-9"}
    )
    assert (held.status_code, held.content) == (304, b"")


@pytest.mark.parametrize(
    ("if_range", "status"),
    [
        ("current", 206),
        ("weak", 200),  # If-Range compares strongly: a weak tag never keeps the range
        ("stale", 200),
        ("list", 200),  # one entity-tag, not a list
        ("Tue, 01 Dec 2026 12:00:00 GMT", 200),  # no Last-Modified to equal
        ("not a validator", 200),
    ],
)
async def test_if_range_keeps_the_range_only_for_the_current_strong_etag(
    firemode: ServiceClient, technician: Account, if_range: str, status: int
) -> None:
    evidence = (await upload(firemode, technician, PDF, filename="r.pdf")).json()
    etag = f'"{evidence["sha256"]}"'
    validator = {"current": etag, "weak": f"W/{etag}", "stale": STALE, "list": f"{etag}, {STALE}"}.get(
        if_range, if_range
    )
    response = await firemode.get(
        f"/v1/evidence/{evidence['evidence_id']}/content",
        headers={**technician.headers, "Range": "bytes=0-9", "If-Range": validator},
    )
    assert response.status_code == status
    assert response.headers["ETag"] == etag
    if status == 206:
        assert response.content == PDF[:10]
        assert response.headers["Content-Range"] == f"bytes 0-9/{len(PDF)}"
    else:
        assert response.content == PDF
        assert response.headers["Content-Length"] == str(len(PDF))
        assert "Content-Range" not in response.headers


@pytest.mark.parametrize(
    ("range_header", "status", "length"), [(None, 200, len(PDF)), ("bytes=5-14", 206, 10)]
)
async def test_head_of_content_is_the_get_without_its_body(
    firemode: ServiceClient, technician: Account, range_header: str | None, status: int, length: int
) -> None:
    evidence = (await upload(firemode, technician, PDF, filename="h.pdf")).json()
    url = f"/v1/evidence/{evidence['evidence_id']}/content"
    headers = {**technician.headers, "X-Request-ID": "same"}
    if range_header:
        headers["Range"] = range_header
    get = await firemode.get(url, headers=headers)
    head = await firemode.head(url, headers=headers)
    assert (head.status_code, head.content) == (status, b"")
    assert head.headers == get.headers
    assert head.headers["Content-Length"] == str(length) == str(len(get.content))
    if range_header:
        assert head.headers["Content-Range"] == f"bytes 5-14/{len(PDF)}"


async def test_head_of_content_stops_reading_the_blob(
    firemode: ServiceClient, technician: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = JPEG + bytes(1024 * 1024)  # 16 chunks of the store
    evidence = (await upload(firemode, technician, big, filename="big.jpg")).json()
    store = firemode.app.state.evidence_store
    read: list[int] = []
    open_range = store.open_range

    async def counted(sha256: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        async for chunk in open_range(sha256, start, end):
            read.append(len(chunk))
            yield chunk

    monkeypatch.setattr(store, "open_range", counted)
    head = await firemode.head(f"/v1/evidence/{evidence['evidence_id']}/content", headers=technician.headers)
    assert (head.status_code, head.content, head.headers["Content-Length"]) == (200, b"", str(len(big)))
    # The answer is complete at the first chunk; the server then tells the download it is not wanted.
    assert sum(read) < len(big)


# --- every failure leaves neither blob nor row -------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "fields", "status", "detail"),
    [
        (b"MZ\x90\x00 not an image" * 10, {}, 415, None),
        (JPEG, {"sha256": "0" * 64}, 422, "actual"),
        (JPEG, {"sha256": "not-a-hash"}, 400, None),
        (JPEG, {"session_id": "01890a5d-ac96-774b-bcce-b302099a8057"}, 404, None),
        (JPEG, {"session_id": "nope"}, 400, None),
        (JPEG, {"evidence_type": "selfie"}, 400, None),
    ],
    ids=["wrong-type", "hash-mismatch", "malformed-hash", "unknown-session", "bad-session-id", "bad-type"],
)
async def test_failed_uploads_leave_nothing(
    firemode: ServiceClient,
    technician: Account,
    file: bytes,
    fields: dict[str, str],
    status: int,
    detail: str | None,
) -> None:
    sha = fields.pop("sha256", None)
    response = await upload(firemode, technician, file, sha256=sha, **fields)
    assert response.status_code == status, response.text
    assert response.json()["error_code"] == f"FIRE-{status}"
    if detail:
        assert response.json()["details"] == {
            "expected": "0" * 64,
            "actual": hashlib.sha256(file).hexdigest(),
        }
    assert blobs(firemode) == []
    assert spool_files(firemode) == []
    listed = await firemode.get(
        "/v1/evidence/01890a5d-ac96-774b-bcce-b302099a8057", headers=technician.headers
    )
    assert listed.status_code == 404


async def test_too_large_is_413(firemode: ServiceClient, technician: Account) -> None:
    firemode.app.state.settings.evidence_max_bytes = 4096
    response = await upload(firemode, technician, JPEG)
    assert response.status_code == 413
    assert blobs(firemode) == []
    assert spool_files(firemode) == []


async def test_not_multipart_is_415(firemode: ServiceClient, technician: Account) -> None:
    response = await firemode.post("/v1/evidence", json={"file": "x"}, headers=technician.headers)
    assert response.status_code == 415


class FailingAfterStore(LocalEvidenceStore):
    """Stores the blob, then fails — like a crash between the move and the commit."""

    async def put_file(self, sha256: str, path: Path) -> bool:
        await super().put_file(sha256, path)
        raise OSError("the disk went away")


async def test_a_failure_after_storing_removes_the_new_blob(
    firemode: ServiceClient, technician: Account
) -> None:
    store = firemode.app.state.evidence_store
    firemode.app.state.evidence_store = FailingAfterStore(store.temp_dir.parent)
    response = await upload(firemode, technician, JPEG)
    assert response.status_code == 500
    firemode.app.state.evidence_store = store
    assert blobs(firemode) == []
    assert (await firemode.get("/v1/tests/sessions", headers=technician.headers)).status_code == 200


async def test_an_existing_blob_survives_a_failed_twin(firemode: ServiceClient, technician: Account) -> None:
    kept = (await upload(firemode, technician, JPEG)).json()
    failing = await upload(firemode, technician, JPEG, sha256="f" * 64)
    assert failing.status_code == 422
    content = await firemode.get(f"/v1/evidence/{kept['evidence_id']}/content", headers=technician.headers)
    assert content.content == JPEG


# --- visibility ---------------------------------------------------------------------------------------


async def test_evidence_follows_its_session(
    firemode: ServiceClient,
    technician: Account,
    other_technician: Account,
    supervisor: Account,
    admin: Account,
) -> None:
    session_id = await new_session(firemode, technician)
    in_session = (await upload(firemode, technician, JPEG, session_id=session_id)).json()
    loose = (await upload(firemode, technician, PDF, filename="loose.pdf")).json()
    for evidence in (in_session, loose):
        for suffix in ("", "/content"):
            path = f"/v1/evidence/{evidence['evidence_id']}{suffix}"
            assert (await firemode.get(path, headers=technician.headers)).status_code == 200
            assert (await firemode.get(path, headers=supervisor.headers)).status_code == 200
            assert (await firemode.get(path, headers=admin.headers)).status_code == 200
            hidden = await firemode.get(path, headers=other_technician.headers)
            assert hidden.status_code == 404
    listing = f"/v1/tests/sessions/{session_id}/evidence"
    assert [
        e["evidence_id"] for e in (await firemode.get(listing, headers=technician.headers)).json()["data"]
    ] == [in_session["evidence_id"]]
    assert (await firemode.get(listing, headers=other_technician.headers)).status_code == 404
    refused = await upload(firemode, other_technician, JPEG, session_id=session_id)
    assert refused.status_code == 404


async def test_a_participant_sees_the_sessions_evidence_whoever_uploaded_it(
    firemode: ServiceClient, technician: Account, other_technician: Account
) -> None:
    """Visibility is the session's rule, not the uploader's: joining a session shows its evidence."""
    session_id = await new_session(firemode, technician)
    evidence = (await upload(firemode, technician, JPEG, session_id=session_id)).json()
    path = f"/v1/evidence/{evidence['evidence_id']}"
    assert (await firemode.get(path, headers=other_technician.headers)).status_code == 404
    added = await firemode.post(
        f"/v1/tests/sessions/{session_id}/participants",
        json={"user_id": str(other_technician.user_id)},
        headers=technician.headers,
    )
    assert added.status_code == 201
    assert (await firemode.get(path, headers=other_technician.headers)).json() == evidence
    listing = await firemode.get(
        f"/v1/tests/sessions/{session_id}/evidence", headers=other_technician.headers
    )
    assert [e["evidence_id"] for e in listing.json()["data"]] == [evidence["evidence_id"]]
    joined = await upload(firemode, other_technician, PDF, filename="joined.pdf", session_id=session_id)
    assert joined.status_code == 201


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"note": "gauge\x00 EXT-001"}, "body.note"),
        ({"session_id": "\x00"}, "body.session_id"),
        ({"evidence_type": "photo\x00"}, "body.evidence_type"),
        ({"filename": "photo\x00.jpg"}, "body.file.filename"),
    ],
    ids=["note", "session_id", "evidence_type", "filename"],
)
async def test_text_postgresql_cannot_store_is_422_as_in_json(
    firemode: ServiceClient, technician: Account, fields: dict[str, str], field: str
) -> None:
    """U+0000 in a form field was a 500 on PostgreSQL (stored on SQLite): the JSON bodies' rule."""
    response = await upload(firemode, technician, JPEG, **fields)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error_code"] == "FIRE-422"
    assert [error["field"] for error in body["details"]["errors"]] == [field]
    assert blobs(firemode) == []
    assert spool_files(firemode) == []


async def test_filenames_are_sanitized(firemode: ServiceClient, technician: Account) -> None:
    response = await upload(firemode, technician, JPEG, filename="../../etc/pass\x07wd.jpg")
    assert response.status_code == 201
    assert response.json()["filename"] == "pass wd.jpg" or "/" not in response.json()["filename"]
    assert "/" not in response.json()["filename"]
    assert "\x07" not in response.json()["filename"]


async def test_a_200_mib_upload_streams(tmp_path: Path, database_url_for: Callable[[str], str]) -> None:
    settings = settings_for(
        "firemode", tmp_path, database_url_for("firemode"), evidence_max_bytes=210 * 1024 * 1024
    )
    async with asgi_client(create_firemode_app(settings)) as firemode:
        technician = await account(firemode, "big@firemode.example.com", Role.TECHNICIAN)
        await _upload_200_mib(firemode, technician)
        await firemode.app.state.database.dispose()


async def _upload_200_mib(firemode: ServiceClient, technician: Account) -> None:
    size = 200 * 1024 * 1024
    block = JPEG[:4096] + bytes(1024 * 1024 - 4096)
    digest = hashlib.sha256()
    for offset in range(0, size, len(block)):
        digest.update(block[: min(len(block), size - offset)])
    boundary = "----big" + uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="sha256_hash"\r\n\r\n{digest.hexdigest()}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n\r\n'
    ).encode()

    async def body() -> AsyncIterator[bytes]:
        yield head
        for offset in range(0, size, len(block)):
            yield block[: min(len(block), size - offset)]
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await firemode.post(
        "/v1/evidence",
        content=body(),
        headers={**technician.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["size_bytes"] == size
    assert response.json()["sha256"] == digest.hexdigest()
    stored: Any = blobs(firemode)[0]
    assert stored.stat().st_size == size
