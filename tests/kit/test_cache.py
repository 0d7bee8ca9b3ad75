"""The cache's several keys of one generation, read in one round trip (in process and on Redis)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from apikit.cache import Cache
from tests.conftest import TEST_REDIS_URL


@pytest.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    if request.param == "memory":
        yield Cache(None, namespace="test")
        return
    if not TEST_REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set")
    redis = Redis.from_url(TEST_REDIS_URL)
    try:
        yield Cache(redis, namespace=f"test-{uuid.uuid4().hex}")
    finally:
        await redis.aclose()


async def test_keys_of_one_generation_read_at_once(cache: Cache) -> None:
    first, second = await cache.keys("scope", ("a", 1), ("b",))
    assert (first, second) == (await cache.key("scope", "a", 1), await cache.key("scope", "b"))
    await cache.set(second, b"two")
    assert await cache.get_many([first, second]) == [None, b"two"]
    await cache.invalidate("scope")
    again = await cache.keys("scope", ("a", 1), ("b",))
    assert again != [first, second]
    assert await cache.get_many(again) == [None, None]
