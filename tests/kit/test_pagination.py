"""Cursor pagination through a real app and database: no skips, no repeats, no forged cursors."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apikit.pagination import CursorCodec
from tests.conftest import TEST_SECRET, ServiceClient

BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


async def add_items(client: ServiceClient, offsets: list[int], category: str = "a") -> list[str]:
    """Items whose created_at repeat (ties), so the id must break them."""
    ids = []
    for number, offset in enumerate(offsets):
        response = await client.post(
            "/v1/items",
            json={
                "name": f"item-{number}",
                "category": category,
                "created_at": (BASE_TIME + timedelta(seconds=offset)).isoformat(),
            },
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


async def walk(client: ServiceClient, limit: int, **params: Any) -> tuple[list[str], list[dict[str, Any]]]:
    seen: list[str] = []
    pages: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/v1/items", params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen, pages


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    offsets=st.lists(st.integers(min_value=0, max_value=3), min_size=0, max_size=14), limit=st.integers(1, 5)
)
async def test_pages_never_skip_or_repeat_under_ties(
    fire_demo: ServiceClient, offsets: list[int], limit: int
) -> None:
    assert (await fire_demo.delete("/v1/items")).status_code == 200  # a fresh table per example
    ids = await add_items(fire_demo, offsets)
    seen, pages = await walk(fire_demo, limit)
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))
    assert all(len(page["items"]) <= limit for page in pages)
    # And backwards from the end of each page reproduces the page before it.
    for earlier, later in itertools.pairwise(pages):
        response = await fire_demo.get("/v1/items", params={"limit": limit, "cursor": later["prev_cursor"]})
        assert [item["id"] for item in response.json()["items"]] == [item["id"] for item in earlier["items"]]


async def test_newest_first_and_last_page_has_null_cursor(demo: ServiceClient) -> None:
    ids = await add_items(demo, [0, 1, 2])
    response = await demo.get("/v1/items", params={"limit": 500})
    assert response.status_code == 200
    page = response.json()
    assert [item["id"] for item in page["items"]] == list(reversed(ids))
    assert page["next_cursor"] is None
    assert page["prev_cursor"] is None
    assert page["has_more"] is False


async def test_limit_above_maximum_is_served_at_maximum(demo: ServiceClient) -> None:
    await add_items(demo, list(range(105)))
    page = (await demo.get("/v1/items", params={"limit": 500})).json()
    assert len(page["items"]) == 100
    assert page["next_cursor"] is not None
    assert (await demo.get("/v1/items")).json()["items"].__len__() == 20


@pytest.mark.parametrize("limit", [0, -1, "ten", True])
async def test_bad_limit_is_validation_error(demo: ServiceClient, limit: object) -> None:
    response = await demo.get("/v1/items", params={"limit": limit})
    assert response.status_code == 422


async def test_empty_list_is_200(demo: ServiceClient) -> None:
    response = await demo.get("/v1/items")
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None, "prev_cursor": None, "has_more": False}


async def test_prev_without_cursor_starts_at_the_end(fire_demo: ServiceClient) -> None:
    ids = await add_items(fire_demo, [0, 1, 2, 3, 4])
    last = (await fire_demo.get("/v1/items/both-ways", params={"limit": 2, "direction": "prev"})).json()
    assert [item["id"] for item in last["items"]] == [ids[1], ids[0]]
    assert last["next_cursor"] is None
    before = (
        await fire_demo.get("/v1/items/both-ways", params={"limit": 2, "cursor": last["prev_cursor"]})
    ).json()
    assert [item["id"] for item in before["items"]] == [ids[3], ids[2]]
    first = (
        await fire_demo.get("/v1/items/both-ways", params={"limit": 2, "cursor": before["prev_cursor"]})
    ).json()
    assert [item["id"] for item in first["items"]] == [ids[4]]
    assert first["prev_cursor"] is None
    assert first["next_cursor"] is not None


async def test_direction_contradicting_the_cursor_is_400(fire_demo: ServiceClient) -> None:
    await add_items(fire_demo, [0, 1, 2])
    page = (await fire_demo.get("/v1/items/both-ways", params={"limit": 1})).json()
    response = await fire_demo.get(
        "/v1/items/both-ways", params={"cursor": page["next_cursor"], "direction": "prev"}
    )
    assert response.status_code == 400


def valid_cursor(client: ServiceClient, **overrides: Any) -> str:
    from apikit.pagination import filters_digest

    payload = {
        "v": 1,
        "l": "items",
        "f": filters_digest({"category": None}),
        "d": "next",
        "k": [{"dt": BASE_TIME.isoformat()}, {"u": "0" * 32}],
    }
    payload.update(overrides)
    return CursorCodec(TEST_SECRET.encode()).encode(payload)


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "a.b.c",
        "!!!.???",
        "eyJ2IjoxfQ.AAAA",  # a real payload, a forged signature
        "",
    ],
)
async def test_malformed_or_forged_cursor_is_400(demo: ServiceClient, cursor: str) -> None:
    response = await demo.get("/v1/items", params={"cursor": cursor})
    assert response.status_code == 400, response.text
    body = response.json()
    if "errors" in body:
        assert body["errors"][0]["code"] == "VAL_CURSOR"


async def test_tampered_cursor_is_400(fire_demo: ServiceClient) -> None:
    await add_items(fire_demo, [0, 1, 2])
    cursor = (await fire_demo.get("/v1/items", params={"limit": 1})).json()["next_cursor"]
    body, signature = cursor.split(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    response = await fire_demo.get("/v1/items", params={"cursor": f"{flipped}.{signature}"})
    assert response.status_code == 400
    assert response.json()["error_code"] == "FIRE-400"


async def test_cursor_signed_with_another_key_is_400(fire_demo: ServiceClient) -> None:
    foreign = CursorCodec(b"another-service-secret").encode(
        {"v": 1, "l": "items", "f": "", "d": "next", "k": []}
    )
    response = await fire_demo.get("/v1/items", params={"cursor": foreign})
    assert response.status_code == 400


async def test_cursor_of_another_list_is_400(fire_demo: ServiceClient) -> None:
    response = await fire_demo.get("/v1/items", params={"cursor": valid_cursor(fire_demo, l="sessions")})
    assert response.status_code == 400
    assert "another list" in response.json()["message"]


async def test_cursor_reused_with_other_filters_is_400(fire_demo: ServiceClient) -> None:
    await add_items(fire_demo, [0, 1, 2], category="a")
    cursor = (await fire_demo.get("/v1/items", params={"limit": 1, "category": "a"})).json()["next_cursor"]
    response = await fire_demo.get("/v1/items", params={"cursor": cursor, "category": "b"})
    assert response.status_code == 400
    assert "other filters" in response.json()["message"]


@pytest.mark.parametrize("key", [[{"dt": "not a date"}, {"u": "zz"}], [1], "nope", [{"x": 1}, 2]])
async def test_signed_but_nonsensical_key_is_400(fire_demo: ServiceClient, key: object) -> None:
    response = await fire_demo.get("/v1/items", params={"cursor": valid_cursor(fire_demo, k=key)})
    assert response.status_code == 400


JUNK_KEYS = {
    "naive-datetime": [{"dt": "2026-01-01T00:00:00"}, {"u": "0" * 32}],
    "datetime-past-year-1-in-utc": [{"dt": "0001-01-01T00:00:00+14:00"}, {"u": "0" * 32}],
    "datetime-past-year-9999-in-utc": [{"dt": "9999-12-31T23:59:59-14:00"}, {"u": "0" * 32}],
    "text-for-datetime": ["yesterday", {"u": "0" * 32}],
    "number-for-datetime": [1e308, {"u": "0" * 32}],
    "uuid-and-datetime-swapped": [{"u": "0" * 32}, {"dt": BASE_TIME.isoformat()}],
    "text-for-uuid": [{"dt": BASE_TIME.isoformat()}, "0" * 32],
    "boolean-for-uuid": [{"dt": BASE_TIME.isoformat()}, True],
    "date-for-datetime": [{"d": "2026-01-01"}, {"u": "0" * 32}],
    "null-key": [None, None],
}


@pytest.mark.parametrize("key", list(JUNK_KEYS.values()), ids=list(JUNK_KEYS))
async def test_validly_signed_junk_key_is_400_cursor(demo: ServiceClient, key: object) -> None:
    """Signed with the real key, so only the values' types can catch it: they were a 500."""
    cursor = valid_cursor(demo, k=key)
    response = await demo.get("/v1/items/both-ways", params={"cursor": cursor})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body.get("error_code", "FIRE-400") == "FIRE-400"
    assert body.get("errors", [{"code": "VAL_CURSOR"}])[0]["code"] == "VAL_CURSOR"


async def test_overlong_cursor_is_400_cursor(demo: ServiceClient) -> None:
    response = await demo.get("/v1/items", params={"cursor": "A" * 5000})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body.get("error_code", "FIRE-400") == "FIRE-400"
    assert body.get("errors", [{"code": "VAL_CURSOR"}])[0]["code"] == "VAL_CURSOR"


async def test_filter_is_applied_on_every_page(fire_demo: ServiceClient) -> None:
    wanted = await add_items(fire_demo, [0, 1, 2, 3, 4], category="a")
    await add_items(fire_demo, [0, 1, 2, 3, 4], category="b")
    seen, _ = await walk(fire_demo, 2, category="a")
    assert sorted(seen) == sorted(wanted)
