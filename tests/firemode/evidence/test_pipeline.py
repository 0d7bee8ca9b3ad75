"""The whole path an endpoint takes: receive, check the type and hash, store, read back, verify."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from obstore.store import MemoryStore

from firemode.evidence.storage import EvidenceStore, LocalEvidenceStore, ObjectEvidenceStore
from firemode.evidence.upload import HashMismatchError, check_content_type, receive_upload, verify_hash
from firemode.evidence.verify import VerifyReport, verify_store
from tests.firemode.evidence.helpers import CONTENT_TYPE, Feeder, collect, multipart, part

PDF = b"%PDF-1.7\n" + b"certificate of compliance " * 20_000


@pytest.fixture(params=["local", "object"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> EvidenceStore:
    if request.param == "local":
        return LocalEvidenceStore(tmp_path / "evidence")
    return ObjectEvidenceStore(MemoryStore(), temp_dir=tmp_path / "spool")


async def upload(store: EvidenceStore, claimed: str) -> tuple[str, str, bool]:
    body = multipart(part("sha256_hash", claimed), part("file", PDF, filename="AS1851 cert.pdf"))
    received = await receive_upload(Feeder(body), CONTENT_TYPE, max_bytes=1 << 20, temp_dir=store.temp_dir)
    try:
        content_type = check_content_type(received)
        verify_hash(received, received.fields.get("sha256_hash"))
    except Exception:
        received.temp_path.unlink()  # the endpoint's job when a check fails after reception
        raise
    created = await store.put_file(received.sha256, received.temp_path)
    return received.sha256, content_type, created


async def test_upload_store_and_verify(store: EvidenceStore) -> None:
    digest = hashlib.sha256(PDF).hexdigest()
    assert await upload(store, digest) == (digest, "application/pdf", True)
    assert await upload(store, digest.upper()) == (digest, "application/pdf", False)  # stored once

    assert await collect(store.open_range(digest, 0, 9)) == b"%PDF-1.7\n"
    assert await verify_store(store, [(digest, len(PDF))]) == VerifyReport(checked=1, intact=1)
    assert list(store.temp_dir.iterdir()) == []


async def test_a_hash_mismatch_stores_nothing(store: EvidenceStore) -> None:
    with pytest.raises(HashMismatchError):
        await upload(store, hashlib.sha256(b"what the phone hashed").hexdigest())
    assert [blob async for blob in store.listing()] == []
    assert list(store.temp_dir.iterdir()) == []
