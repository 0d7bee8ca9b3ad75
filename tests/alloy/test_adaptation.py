"""POST /v1/sessions/{id}/adapt through the real app: each of the spec's rules, preview and accept,
the 409s, and nobody else's sessions."""

from __future__ import annotations

from typing import Any

import pytest

from alloy.catalogue.regions import regions_loaded
from alloy.catalogue.seed_data import load_catalogue
from tests.alloy.conftest import Member, data_of, error_code, member
from tests.alloy.test_programs import GYM, create
from tests.conftest import ServiceClient

CATALOGUE = {m.slug: m for m in load_catalogue().movements}
LOW = {"sleep_hours": 4, "energy": 2, "stress": 9, "soreness": {"wrists": 2}}  # 35: low, nothing sore at 3
HIGH = {"sleep_hours": 8, "energy": 9, "stress": 2, "soreness": {}}  # 92
NORMAL = {"sleep_hours": 7, "energy": 6, "stress": 5, "soreness": {}}  # 74


class Lifter:
    """A member with a strength program, its first session, and the catalogue by movement id."""

    def __init__(self, alloy: ServiceClient, who: Member) -> None:
        self.alloy, self.who = alloy, who
        self.slugs: dict[str, str] = {}

    async def start(self, **program: Any) -> dict[str, Any]:
        created = await create(self.alloy, self.who, **program)
        self.session_id = created["schedule"][0]["sessions"][0]["session_id"]
        return await self.session()

    async def session(self) -> dict[str, Any]:
        return data_of(await self.alloy.get(f"/v1/sessions/{self.session_id}", headers=self.who.headers))

    async def readiness(self, day: str, body: dict[str, Any]) -> None:
        data_of(await self.alloy.put(f"/v1/readiness/{day}", json=body, headers=self.who.headers))

    async def adapt(self, status: int = 200, **body: Any) -> Any:
        response = await self.alloy.post(
            f"/v1/sessions/{self.session_id}/adapt", json=body, headers=self.who.headers
        )
        if status != 200:
            return error_code(response, status)
        return data_of(response)

    async def slug(self, movement_id: str) -> str:
        if movement_id not in self.slugs:
            movement = data_of(await self.alloy.get(f"/v1/movements/{movement_id}", headers=self.who.headers))
            self.slugs[movement_id] = movement["slug"]
        return self.slugs[movement_id]

    async def facts(self, exercise: dict[str, Any]) -> Any:
        return CATALOGUE[await self.slug(exercise["movement_id"])]


@pytest.fixture
async def lifter(alloy: ServiceClient, athlete: Member) -> Lifter:
    return Lifter(alloy, athlete)


def by_id(exercises: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["exercise_id"]: e for e in exercises}


async def test_no_readiness_is_a_409_unless_minutes_alone_are_given(lifter: Lifter) -> None:
    planned = await lifter.start()
    assert await lifter.adapt(409) == "BR_READINESS_MISSING"
    assert await lifter.adapt(409, date="2026-03-09") == "BR_READINESS_MISSING"
    trimmed = await lifter.adapt(minutes_available=25)
    assert trimmed["readiness"] is None
    assert trimmed["planned_minutes"] == planned["estimated_minutes"] > 25
    assert trimmed["estimated_minutes"] <= 25
    assert trimmed["changes"]
    assert {c["rule"] for c in trimmed["changes"]} == {"time_available"}
    assert all(c["reason"].startswith("25 minutes available") for c in trimmed["changes"])
    assert sum(e["estimated_seconds"] for e in trimmed["exercises"]) <= 25 * 60
    # A preview: nothing stored.
    assert await lifter.session() == planned


async def test_a_low_day_takes_a_set_off_caps_effort_and_swaps_heavy_lifts(lifter: Lifter) -> None:
    planned = await lifter.start()
    await lifter.readiness(planned["scheduled_date"], LOW)
    adapted = await lifter.adapt()
    assert adapted["readiness"] == {"date": planned["scheduled_date"], "score": 35, "band": "low"}
    assert adapted["accepted"] is False
    before = by_id(planned["exercises"])
    changes = adapted["changes"]
    assert changes
    assert all(c["rule"] == "low_readiness" and c["reason"] for c in changes)
    swapped = {c["exercise_id"] for c in changes if c["change"] == "movement"}
    heavy = [e for e in planned["exercises"] if e["block"] != "warmup" and e["block"] != "cooldown"]
    heavy = [e for e in heavy if e["movement_id"] and (await lifter.facts(e)).cns_load >= 4]
    assert heavy, "a strength session starts with a heavy lift"
    for exercise in adapted["exercises"]:
        old = before[exercise["exercise_id"]]
        if exercise["block"] in ("main", "accessory"):
            assert exercise["sets"] == max(1, old["sets"] - 1)
            assert exercise["target_rpe"] <= 7
        else:
            assert exercise["sets"] == old["sets"]
        if exercise["exercise_id"] in swapped:
            new, was = await lifter.facts(exercise), await lifter.facts(old)
            assert new.cns_load < was.cns_load
            assert new.pattern == was.pattern
            assert new.substitution_group == was.substitution_group
            assert set(new.equipment) <= {*GYM, "bodyweight"}
    assert {e["exercise_id"] for e in heavy} <= swapped  # the full gym has a lighter variant of each
    # Deterministic: the same day gives the same adaptation.
    assert await lifter.adapt() == adapted
    assert await lifter.session() == planned


async def test_a_high_day_adds_a_set_to_the_main_lifts_only(lifter: Lifter) -> None:
    planned = await lifter.start()
    await lifter.readiness(planned["scheduled_date"], HIGH)
    adapted = await lifter.adapt()
    before = by_id(planned["exercises"])
    mains = [e for e in adapted["exercises"] if e["block"] == "main"]
    assert mains
    for exercise in adapted["exercises"]:
        extra = 1 if exercise["block"] == "main" else 0
        assert exercise["sets"] == before[exercise["exercise_id"]]["sets"] + extra
    assert [c["change"] for c in adapted["changes"]] == ["sets"] * len(mains)
    assert all(c["rule"] == "high_readiness" for c in adapted["changes"])


async def test_a_normal_day_changes_nothing(lifter: Lifter) -> None:
    planned = await lifter.start()
    await lifter.readiness(planned["scheduled_date"], NORMAL)
    adapted = await lifter.adapt()
    assert adapted["changes"] == []
    assert [(e["exercise_id"], e["sets"], e["movement_id"]) for e in adapted["exercises"]] == [
        (e["exercise_id"], e["sets"], e["movement_id"]) for e in planned["exercises"]
    ]


async def test_sore_knees_take_every_knee_loading_exercise_out(lifter: Lifter) -> None:
    planned = await lifter.start()
    knees = [
        e
        for e in planned["exercises"]
        if e["movement_id"] and "knees" in regions_loaded(await lifter.facts(e))
    ]
    assert knees
    await lifter.readiness(planned["scheduled_date"], {**NORMAL, "soreness": {"knees": 4, "shoulders": 2}})
    adapted = await lifter.adapt()
    for exercise in adapted["exercises"]:
        if exercise["movement_id"]:
            assert "knees" not in regions_loaded(await lifter.facts(exercise))
    touched = {c["exercise_id"] for c in adapted["changes"]}
    assert {e["exercise_id"] for e in knees} <= touched
    for change in adapted["changes"]:
        assert change["rule"] == "sore_region"
        assert change["change"] in ("movement", "dropped")
        assert change["reason"].startswith("knees sore (4/5)")
    kept = {e["exercise_id"] for e in adapted["exercises"]}
    dropped = {c["exercise_id"] for c in adapted["changes"] if c["change"] == "dropped"}
    assert kept.isdisjoint(dropped)
    assert [e["position"] for e in adapted["exercises"]] == list(range(1, len(kept) + 1))


async def test_avoided_regions_on_the_profile_are_honoured_in_older_programs(
    alloy: ServiceClient, lifter: Lifter
) -> None:
    planned = await lifter.start()
    await lifter.readiness(planned["scheduled_date"], NORMAL)
    body = {"avoid_regions": ["lower_back"]}
    data_of(await alloy.patch("/v1/users/me", json=body, headers=lifter.who.headers))
    adapted = await lifter.adapt()
    assert adapted["changes"]
    assert {c["rule"] for c in adapted["changes"]} == {"avoided_region"}
    for exercise in adapted["exercises"]:
        if exercise["movement_id"]:
            assert "lower_back" not in regions_loaded(await lifter.facts(exercise))


async def test_accept_stores_the_adapted_session_once(alloy: ServiceClient, lifter: Lifter) -> None:
    planned = await lifter.start()
    await lifter.readiness(planned["scheduled_date"], {**LOW, "minutes_available": 30})
    preview = await lifter.adapt()
    accepted = await lifter.adapt(accept=True)
    assert accepted["accepted"] is True
    assert {k: v for k, v in accepted.items() if k != "accepted"} == {
        k: v for k, v in preview.items() if k != "accepted"
    }
    stored = await lifter.session()
    assert stored["estimated_minutes"] == accepted["estimated_minutes"] <= 30
    assert [
        (e["exercise_id"], e["movement_id"], e["sets"], e["target_rpe"]) for e in stored["exercises"]
    ] == [(e["exercise_id"], e["movement_id"], e["sets"], e["target_rpe"]) for e in accepted["exercises"]]
    assert stored["adapted_at"] is not None
    record = stored["adaptation"]
    assert record["readiness"] == {"date": planned["scheduled_date"], "score": 35, "band": "low"}
    assert record["minutes_available"] == 30
    assert record["changes"] == accepted["changes"]
    assert {c["rule"] for c in record["changes"]} == {"low_readiness", "time_available"}
    explained = {e["position"]: e["reason"] for e in stored["explanation"]["exercises"]}
    swapped = {c["exercise_id"] for c in accepted["changes"] if c["change"] == "movement"}
    for exercise in stored["exercises"]:
        if exercise["exercise_id"] in swapped:
            assert explained[exercise["position"]].startswith("adapted: readiness low (35)")
    # Once adapted, not again; the program's schedule shows the new estimate.
    assert await lifter.adapt(409, accept=True) == "BR_SESSION_ADAPTED"
    program = data_of(await alloy.get(f"/v1/programs/{stored['program_id']}", headers=lifter.who.headers))
    first = program["schedule"][0]["sessions"][0]
    assert first["estimated_minutes"] == accepted["estimated_minutes"]


async def test_a_completed_session_is_not_adapted(alloy: ServiceClient, lifter: Lifter) -> None:
    planned = await lifter.start()
    await lifter.readiness(planned["scheduled_date"], LOW)
    data_of(await alloy.post(f"/v1/sessions/{lifter.session_id}/complete", headers=lifter.who.headers))
    assert await lifter.adapt(409) == "BR_SESSION_COMPLETE"
    assert await lifter.adapt(409, accept=True) == "BR_SESSION_COMPLETE"


async def test_the_readiness_of_another_day_can_be_named(lifter: Lifter) -> None:
    planned = await lifter.start()
    await lifter.readiness("2026-03-01", HIGH)
    assert await lifter.adapt(409) == "BR_READINESS_MISSING"
    adapted = await lifter.adapt(date="2026-03-01")
    assert adapted["readiness"]["band"] == "high"
    assert planned["scheduled_date"] != "2026-03-01"


async def test_another_users_session_does_not_exist(alloy: ServiceClient, lifter: Lifter) -> None:
    planned = await lifter.start()
    await lifter.readiness(planned["scheduled_date"], LOW)
    rival = await member(alloy, "rival@alloy.example.com")
    await alloy.put(f"/v1/readiness/{planned['scheduled_date']}", json=LOW, headers=rival.headers)
    for body in ({}, {"accept": True}, {"minutes_available": 20}):
        response = await alloy.post(
            f"/v1/sessions/{lifter.session_id}/adapt", json=body, headers=rival.headers
        )
        assert error_code(response, 404) == "NF_SESSION"
    assert await lifter.session() == planned
    response = await alloy.post(f"/v1/sessions/{lifter.session_id}/adapt", json={})
    assert error_code(response, 401) == "AUTH_MISSING_TOKEN"
    unknown = "01a232f0-b096-799d-bb04-1edd4fc04110"
    response = await alloy.post(f"/v1/sessions/{unknown}/adapt", json={}, headers=lifter.who.headers)
    assert error_code(response, 404) == "NF_SESSION"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"minutes_available": 4}, "VAL_MINUTES_AVAILABLE"),
        ({"minutes_available": 301}, "VAL_MINUTES_AVAILABLE"),
        ({"minutes_available": "30"}, "VAL_MINUTES_AVAILABLE"),
        ({"minutes_available": True}, "VAL_MINUTES_AVAILABLE"),
        ({"minutes_available": 30.5}, "VAL_MINUTES_AVAILABLE"),
        ({"date": "yesterday"}, "VAL_DATE"),
        ({"date": 0}, "VAL_DATE"),
        ({"date": "2026-02-30"}, "VAL_DATE"),
        ({"accept": "yes"}, "VAL_ACCEPT"),
        ({"accept": 1}, "VAL_ACCEPT"),
        ({"soreness": {"knees": 3}}, "VAL_SORENESS"),
    ],
)
async def test_bad_adapt_requests_are_refused(lifter: Lifter, body: dict[str, Any], code: str) -> None:
    await lifter.start()
    assert await lifter.adapt(422, **body) == code


async def test_a_body_that_is_not_an_object_is_refused(alloy: ServiceClient, lifter: Lifter) -> None:
    await lifter.start()
    for body in ([], "x", 3):
        response = await alloy.post(
            f"/v1/sessions/{lifter.session_id}/adapt", json=body, headers=lifter.who.headers
        )
        assert response.status_code == 422, response.text
    response = await alloy.post(f"/v1/sessions/{lifter.session_id}/adapt", headers=lifter.who.headers)
    assert error_code(response, 409) == "BR_READINESS_MISSING"  # no body is {}
