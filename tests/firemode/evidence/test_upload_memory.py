"""A 200 MiB upload streams through with flat memory: the body is never held, only passed along."""

from __future__ import annotations

import hashlib
import random
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

from firemode.evidence.upload import receive_upload
from tests.firemode.evidence.helpers import BOUNDARY, CONTENT_TYPE, part

MIB = 1024 * 1024
CHUNKS = 200


async def test_a_200_mib_upload_keeps_memory_flat(tmp_path: Path) -> None:
    expected = hashlib.sha256()
    rng = random.Random(1851)

    async def body() -> AsyncIterator[bytes]:
        yield (
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="file"; filename="stair-pressurisation.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
        for _ in range(CHUNKS):
            chunk = rng.randbytes(MIB)  # a fresh 1 MiB each time, as a server would hand it over
            expected.update(chunk)
            yield chunk
        yield b"\r\n" + part("evidence_type", "video") + f"--{BOUNDARY}--\r\n".encode()

    tracemalloc.start()
    try:
        received = await receive_upload(body(), CONTENT_TYPE, max_bytes=CHUNKS * MIB, temp_dir=tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    try:
        assert received.size_bytes == CHUNKS * MIB
        assert received.sha256 == expected.hexdigest()
        assert received.fields == {"evidence_type": "video"}
        assert received.temp_path.stat().st_size == CHUNKS * MIB
        # One chunk in hand, its slice from the parser and one write batch: a few MiB, not 200.
        assert peak < 10 * MIB, f"peak traced memory {peak / MIB:.1f} MiB"
    finally:
        received.temp_path.unlink()
