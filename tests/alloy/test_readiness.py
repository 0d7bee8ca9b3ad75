"""Readiness per day through the real app: the spec's score and bands, one check-in a day, and
nobody else's days."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from alloy.readiness.scoring import band_of, readiness_score
from apikit.ids import utcnow
from tests.alloy.conftest import Member, data_of, error_code, member
from tests.conftest import ServiceClient

CHECK_IN = {"sleep_hours": 7, "energy": 6, "stress": 5, "soreness": {"knees": 2}}


@pytest.mark.parametrize(
    ("sleep", "energy", "stress", "soreness", "score"),
    [
        (7, 6, 5, {"knees": 2}, 64),  # (87.5 + 60 + 50 + 60) / 4 = 64.375
        (8, 5, 10, {}, 63),  # 62.5 rounds half up (round() would say 62)
        (6.4, 7, 4, {}, 78),  # 77.5
        (10, 10, 1, {}, 98),  # sleep counts up to 8 hours: (100 + 100 + 90 + 100) / 4 = 97.5
        (0, 1, 10, {"lower_back": 5, "knees": 1}, 3),  # (0 + 10 + 0 + 0) / 4 = 2.5
        (0, 10, 4, {"hips": 5}, 40),  # the lowest normal score
        (7.3, 8, 3, {"shoulders": 3, "knees": 1}, 70),  # (91.25 + 80 + 70 + 40) / 4 = 70.3125
    ],
)
def test_the_score_is_the_specs_mean_rounded_half_up(
    sleep: float, energy: int, stress: int, soreness: dict[str, int], score: int
) -> None:
    assert readiness_score(sleep, energy, stress, soreness) == score


@pytest.mark.parametrize(
    ("score", "band"), [(0, "low"), (39, "low"), (40, "normal"), (75, "normal"), (76, "high")]
)
def test_bands(score: int, band: str) -> None:
    assert band_of(score) == band


async def put(alloy: ServiceClient, who: Member, day: str, body: dict[str, Any], status: int = 200) -> Any:
    return data_of(await alloy.put(f"/v1/readiness/{day}", json=body, headers=who.headers), status)


async def test_put_scores_the_day_and_a_second_put_replaces_it(alloy: ServiceClient, athlete: Member) -> None:
    first = await put(alloy, athlete, "2026-03-02", {**CHECK_IN, "minutes_available": 45})
    assert (first["date"], first["score"], first["band"]) == ("2026-03-02", 64, "normal")
    assert first["soreness"] == {"knees": 2}
    assert first["minutes_available"] == 45
    again = await put(
        alloy,
        athlete,
        "2026-03-02",
        {"sleep_hours": 4, "energy": 2, "stress": 9, "soreness": {"lower_back": 4}},
    )
    # (50 + 20 + 10 + 20) / 4 = 25: low; the soreness and minutes of the first are gone
    assert (again["score"], again["band"], again["soreness"], again["minutes_available"]) == (
        25,
        "low",
        {"lower_back": 4},
        None,
    )
    assert again["created_at"] == first["created_at"]
    assert data_of(await alloy.get("/v1/readiness/2026-03-02", headers=athlete.headers)) == again
    listed = data_of(await alloy.get("/v1/readiness", headers=athlete.headers))["items"]
    assert [item["date"] for item in listed] == ["2026-03-02"]


async def test_a_high_day(alloy: ServiceClient, athlete: Member) -> None:
    high = await put(
        alloy, athlete, "2026-03-03", {"sleep_hours": 8.5, "energy": 9, "stress": 2, "soreness": {}}
    )
    assert (high["score"], high["band"]) == (93, "high")  # (100 + 90 + 80 + 100) / 4 = 92.5


async def test_the_list_is_newest_first_between_dates_and_pages(
    alloy: ServiceClient, athlete: Member
) -> None:
    start = date(2026, 2, 1)
    for offset in range(7):
        await put(alloy, athlete, (start + timedelta(days=offset)).isoformat(), CHECK_IN)
    url = "/v1/readiness?from=2026-02-02&to=2026-02-06&limit=2"
    seen: list[str] = []
    cursor = None
    while True:
        page = data_of(
            await alloy.get(url + (f"&cursor={cursor}" if cursor else ""), headers=athlete.headers)
        )
        seen += [item["date"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["2026-02-06", "2026-02-05", "2026-02-04", "2026-02-03", "2026-02-02"]
    # A cursor is bound to its filters.
    first = data_of(await alloy.get(url, headers=athlete.headers))
    other = f"/v1/readiness?from=2026-02-01&cursor={first['next_cursor']}"
    assert error_code(await alloy.get(other, headers=athlete.headers), 400) == "VAL_CURSOR"
    bad_range = await alloy.get("/v1/readiness?from=2026-02-06&to=2026-02-02", headers=athlete.headers)
    assert error_code(bad_range, 400) == "VAL_INVALID_DATE_RANGE"


async def test_another_users_readiness_does_not_exist(alloy: ServiceClient, athlete: Member) -> None:
    await put(alloy, athlete, "2026-03-02", CHECK_IN)
    rival = await member(alloy, "rival@alloy.example.com")
    assert (
        error_code(await alloy.get("/v1/readiness/2026-03-02", headers=rival.headers), 404) == "NF_READINESS"
    )
    assert data_of(await alloy.get("/v1/readiness", headers=rival.headers))["items"] == []
    # Their own day is theirs: writing it leaves the athlete's alone.
    await put(alloy, rival, "2026-03-02", {**CHECK_IN, "energy": 1})
    assert data_of(await alloy.get("/v1/readiness/2026-03-02", headers=athlete.headers))["energy"] == 6


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "/v1/readiness/2026-03-02"), ("GET", "/v1/readiness"), ("GET", "/v1/readiness/2026-03-02")],
)
async def test_anonymous_callers_are_refused(alloy: ServiceClient, method: str, path: str) -> None:
    response = await alloy.request(method, path, json=CHECK_IN if method == "PUT" else None)
    assert error_code(response, 401) == "AUTH_MISSING_TOKEN"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"sleep_hours": 14.5}, "VAL_SLEEP_HOURS"),
        ({"sleep_hours": -1}, "VAL_SLEEP_HOURS"),
        ({"sleep_hours": "7"}, "VAL_SLEEP_HOURS"),
        ({"sleep_hours": None}, "VAL_SLEEP_HOURS"),
        ({"energy": 0}, "VAL_ENERGY"),
        ({"energy": 11}, "VAL_ENERGY"),
        ({"energy": 5.5}, "VAL_ENERGY"),
        ({"energy": True}, "VAL_ENERGY"),
        ({"stress": 99999999999999999999}, "VAL_STRESS"),
        ({"soreness": {"tail": 3}}, "VAL_SORENESS"),
        ({"soreness": {"knees": 6}}, "VAL_SORENESS"),
        ({"soreness": {"knees": -1}}, "VAL_SORENESS"),
        ({"soreness": {"knees": "3"}}, "VAL_SORENESS"),
        ({"soreness": ["knees"]}, "VAL_SORENESS"),
        ({"minutes_available": 4}, "VAL_MINUTES_AVAILABLE"),
        ({"minutes_available": 301}, "VAL_MINUTES_AVAILABLE"),
        ({"mood": "great"}, "VAL_MOOD"),
    ],
)
async def test_bad_check_ins_are_refused(
    alloy: ServiceClient, athlete: Member, change: dict[str, Any], code: str
) -> None:
    response = await alloy.put(
        "/v1/readiness/2026-03-02", json={**CHECK_IN, **change}, headers=athlete.headers
    )
    assert error_code(response, 422) == code


async def test_missing_fields_and_bad_days(alloy: ServiceClient, athlete: Member) -> None:
    response = await alloy.put("/v1/readiness/2026-03-02", json={"energy": 5}, headers=athlete.headers)
    assert {e["code"] for e in response.json()["errors"]} == {"VAL_SLEEP_HOURS", "VAL_STRESS"}
    for day in ("2026-13-01", "2026-02-30", "tomorrow", "0000-01-01", "20260302"):
        response = await alloy.put(f"/v1/readiness/{day}", json=CHECK_IN, headers=athlete.headers)
        assert error_code(response, 422) == "VAL_DATE", day
        assert error_code(await alloy.get(f"/v1/readiness/{day}", headers=athlete.headers), 422) == "VAL_DATE"
    ahead = (utcnow().date() + timedelta(days=2)).isoformat()
    response = await alloy.put(f"/v1/readiness/{ahead}", json=CHECK_IN, headers=athlete.headers)
    assert error_code(response, 422) == "VAL_DATE"
    tomorrow = (utcnow().date() + timedelta(days=1)).isoformat()
    assert (await put(alloy, athlete, tomorrow, CHECK_IN))["date"] == tomorrow
    bad_query = await alloy.get("/v1/readiness?from=yesterday", headers=athlete.headers)
    assert error_code(bad_query, 422) == "VAL_FROM"
    assert data_of(await alloy.get("/v1/readiness", headers=athlete.headers))["items"][0]["date"] == tomorrow
