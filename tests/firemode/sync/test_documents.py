"""The decoded documents a merging process keeps: bounded, and never a version the row is not at."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from firemode.identity.roles import Role
from firemode.main import create_firemode_app
from firemode.sync.documents import DocumentCache
from firemode.sync.engine import Change, fold
from tests.conftest import ServiceClient, asgi_client, settings_for
from tests.firemode.conftest import account
from tests.firemode.test_results import change, detail, submit

AT = datetime(2026, 12, 1, tzinfo=UTC)


def test_a_take_finds_only_the_version_asked_for_and_removes_it() -> None:
    cache = DocumentCache(max_sessions=4, max_bytes=1000)
    session = uuid.uuid4()
    cache.put(session, (5, AT), {"a": 1}, 7)
    assert cache.take(session, (6, AT)) is None  # another version: dropped, not served
    assert len(cache) == 0
    assert cache.size == 0
    cache.put(session, (5, AT), {"a": 1}, 7)
    assert cache.take(session, (5, AT)) == {"a": 1}
    assert cache.take(session, (5, AT)) is None  # taken: the caller changes it in place
    assert (cache.hits, cache.misses) == (1, 2)


def test_the_least_recently_put_go_first_past_either_bound() -> None:
    cache = DocumentCache(max_sessions=2, max_bytes=100)
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    cache.put(first, (1, AT), {}, 10)
    cache.put(second, (1, AT), {}, 10)
    cache.put(third, (1, AT), {}, 10)
    assert cache.take(first, (1, AT)) is None
    assert len(cache) == 2
    assert cache.size == 20
    cache.put(first, (1, AT), {}, 85)  # 105 bytes with both others: the oldest (second) goes
    assert cache.take(second, (1, AT)) is None
    assert cache.take(third, (1, AT)) == {}
    assert cache.take(first, (1, AT)) == {}
    assert cache.size == 0


def test_a_document_larger_than_the_cache_and_a_cache_of_nothing_keep_nothing() -> None:
    session = uuid.uuid4()
    small = DocumentCache(max_sessions=4, max_bytes=10)
    small.put(session, (1, AT), {"a": 1}, 7)
    small.put(session, (2, AT), {"a": "longer"}, 11)  # replaces the older version, then too large
    assert len(small) == 0
    assert small.size == 0
    off = DocumentCache(max_sessions=0, max_bytes=10)
    off.put(session, (1, AT), {}, 2)
    assert len(off) == 0


def cache_of(client: ServiceClient) -> DocumentCache:
    documents: DocumentCache = client.app.state.merge_boundary.documents
    return documents


def folded(changes: list[dict[str, Any]]) -> dict[str, Any]:
    return fold(Change(c["actor"], c["counter"], c["op"], c["path"], c.get("value")) for c in changes)


async def test_batches_merge_into_the_kept_document(firemode: ServiceClient) -> None:
    tech = await account(firemode, "t@firemode.example.com", Role.TECHNICIAN)
    session_id = str(uuid.uuid4())
    sent = [change(f"/assets/EXT-{n % 3}/result", f"r{n}", counter=n) for n in range(1, 13)]
    for start in range(0, 12, 3):
        assert (await submit(firemode, tech, session_id, sent[start : start + 3])).status_code == 200
    cache = cache_of(firemode)
    assert cache.hits == 3  # every batch after the first merged into the document the last one left
    assert (await detail(firemode, tech, session_id))["results"] == folded(sent)
    early = [change("/assets/EXT-0/result", "early", actor="device-0", counter=1)]  # folded again
    assert (await submit(firemode, tech, session_id, early)).status_code == 200
    assert cache.hits == 4
    assert (await detail(firemode, tech, session_id))["results"] == folded(sent + early)


async def test_two_processes_writing_one_session_never_serve_each_other_a_stale_document(
    tmp_path: Path, database_url_for: Any
) -> None:
    """Two apps on one database, as two workers: each keeps what it wrote, and a version written
    by the other is read from the row."""
    settings = settings_for("firemode", tmp_path, database_url_for("firemode"))
    first, second = create_firemode_app(settings), create_firemode_app(settings)
    async with asgi_client(first) as one, asgi_client(second) as other:
        tech = await account(one, "t@firemode.example.com", Role.TECHNICIAN)
        session_id = str(uuid.uuid4())
        sent: list[dict[str, Any]] = []
        for n, client in enumerate((one, one, other, one, other, other, one), start=1):
            batch = [
                change("/assets/EXT-1/result", f"r{n}", counter=2 * n),
                change(f"/n{n % 2}", n, counter=2 * n + 1),
            ]
            assert (await submit(client, tech, session_id, batch)).status_code == 200
            sent += batch
            for reader in (one, other):
                assert (await detail(reader, tech, session_id))["results"] == folded(sent)
        assert (cache_of(one).hits, cache_of(other).hits) == (1, 1)  # the two back-to-back batches
    for app in (first, second):
        await app.state.database.dispose()


async def test_a_batch_that_rolls_back_leaves_nothing_behind(tmp_path: Path, database_url_for: Any) -> None:
    """A batch merged into the kept document and then refused (too large) must not leave its
    version to the next batch."""
    app = create_firemode_app(
        settings_for("firemode", tmp_path, database_url_for("firemode"), sync_max_document_bytes=2048)
    )
    async with asgi_client(app) as client:
        tech = await account(client, "t@firemode.example.com", Role.TECHNICIAN)
        session_id = str(uuid.uuid4())
        assert (
            await submit(client, tech, session_id, [change("/a", "x" * 1000, counter=1)])
        ).status_code == 200
        refused = await submit(client, tech, session_id, [change("/b", "y" * 1500, counter=2)])
        assert refused.status_code == 413
        assert (await submit(client, tech, session_id, [change("/c", 3, counter=3)])).status_code == 200
        assert (await detail(client, tech, session_id))["results"] == {"a": "x" * 1000, "c": 3}
        # Kept: the first batch's document (taken by the refused batch); missed: the new session's
        # and the refused batch's version, when the third batch asked for the row's.
        assert (cache_of(client).hits, cache_of(client).misses) == (1, 2)
    await app.state.database.dispose()
