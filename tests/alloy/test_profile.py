"""The training profile on /v1/users/me, and new programs that keep load off the avoided regions."""

from __future__ import annotations

from typing import Any

import pytest

from alloy.catalogue.regions import regions_loaded
from alloy.catalogue.seed_data import load_catalogue
from alloy.catalogue.vocabulary import BodyRegion
from tests.alloy.conftest import Member, data_of, error_code
from tests.alloy.test_catalogue_api import movement_by_slug
from tests.alloy.test_programs import create, program_body
from tests.conftest import ServiceClient

REGIONS_BY_SLUG = {m.slug: regions_loaded(m) for m in load_catalogue().movements}


async def test_profile_fields_are_set_shown_and_cleared(alloy: ServiceClient, athlete: Member) -> None:
    me = data_of(await alloy.get("/v1/users/me", headers=athlete.headers))
    assert (me["bodyweight_kg"], me["experience"], me["avoid_regions"]) == (None, None, [])
    body = {
        "bodyweight_kg": 82.5,
        "experience": "intermediate",
        "avoid_regions": ["knees", "lower_back", "knees"],
    }
    me = data_of(await alloy.patch("/v1/users/me", json=body, headers=athlete.headers))
    assert (me["bodyweight_kg"], me["experience"], me["avoid_regions"]) == (
        82.5,
        "intermediate",
        ["knees", "lower_back"],
    )
    # An integer is a number of kilograms too; [] clears the regions; the rest is kept.
    me = data_of(
        await alloy.patch(
            "/v1/users/me", json={"bodyweight_kg": 90, "avoid_regions": []}, headers=athlete.headers
        )
    )
    assert (me["bodyweight_kg"], me["experience"], me["avoid_regions"]) == (90, "intermediate", [])
    assert data_of(await alloy.get("/v1/users/me", headers=athlete.headers)) == me


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"bodyweight_kg": 19.9}, "VAL_BODYWEIGHT_KG"),
        ({"bodyweight_kg": 400.5}, "VAL_BODYWEIGHT_KG"),
        ({"bodyweight_kg": "80"}, "VAL_BODYWEIGHT_KG"),
        ({"bodyweight_kg": True}, "VAL_BODYWEIGHT_KG"),
        ({"bodyweight_kg": 1e308}, "VAL_BODYWEIGHT_KG"),
        ({"experience": "elite"}, "VAL_EXPERIENCE"),
        ({"experience": 2}, "VAL_EXPERIENCE"),
        ({"avoid_regions": ["tail"]}, "VAL_AVOID_REGIONS"),
        ({"avoid_regions": "knees"}, "VAL_AVOID_REGIONS"),
        ({"avoid_regions": [1]}, "VAL_AVOID_REGIONS"),
        ({"avoid_regions": ["knees"] * (len(BodyRegion) + 1)}, "VAL_AVOID_REGIONS"),
    ],
)
async def test_bad_profile_values_are_refused(
    alloy: ServiceClient, athlete: Member, body: dict[str, Any], code: str
) -> None:
    response = await alloy.patch("/v1/users/me", json=body, headers=athlete.headers)
    assert error_code(response, 422) == code


async def avoid(alloy: ServiceClient, who: Member, *regions: str) -> None:
    body = {"avoid_regions": list(regions)}
    assert data_of(await alloy.patch("/v1/users/me", json=body, headers=who.headers))[
        "avoid_regions"
    ] == sorted(regions)


async def test_a_new_program_keeps_load_off_the_avoided_regions(
    alloy: ServiceClient, athlete: Member
) -> None:
    await avoid(alloy, athlete, "knees", "shoulders")
    program = await create(alloy, athlete, duration_weeks=8)
    assert program["avoid_regions"] == ["knees", "shoulders"]
    relaxed = 0
    for week in program["schedule"][:2]:
        for summary in week["sessions"]:
            session = data_of(
                await alloy.get(f"/v1/sessions/{summary['session_id']}", headers=athlete.headers)
            )
            assert session["explanation"]["avoided_regions"] == ["knees", "shoulders"]
            relaxed += len(session["explanation"]["relaxations"])
            for exercise in session["exercises"]:
                if exercise["movement_id"] is None:
                    continue
                movement = data_of(
                    await alloy.get(f"/v1/movements/{exercise['movement_id']}", headers=athlete.headers)
                )
                assert not REGIONS_BY_SLUG[movement["slug"]] & {"knees", "shoulders"}, movement["slug"]
    assert relaxed  # squat and press slots could not be filled as planned, and the sessions say so


async def test_programs_built_before_a_profile_change_keep_what_they_had(
    alloy: ServiceClient, athlete: Member
) -> None:
    before = await create(alloy, athlete)
    await avoid(alloy, athlete, "knees")
    assert before["avoid_regions"] == []
    again = data_of(await alloy.get(f"/v1/programs/{before['program_id']}", headers=athlete.headers))
    assert again["avoid_regions"] == []


async def test_a_hard_yes_movement_loading_an_avoided_region_is_refused(
    alloy: ServiceClient, athlete: Member
) -> None:
    await avoid(alloy, athlete, "knees")
    squat = await movement_by_slug(alloy, athlete, "back_squat")
    rules = [{"movement_id": squat["movement_id"], "rule": "hard_yes"}]
    response = await alloy.post(
        "/v1/programs", json=program_body(movement_rules=rules), headers=athlete.headers
    )
    assert error_code(response, 400) == "VAL_MOVEMENT_RULES"
    assert response.json()["errors"][0]["details"]["avoided_regions"] == ["knees"]


async def test_avoiding_every_region_is_a_409_not_an_empty_program(
    alloy: ServiceClient, athlete: Member
) -> None:
    await avoid(alloy, athlete, *[str(region) for region in BodyRegion])
    response = await alloy.post("/v1/programs", json=program_body(), headers=athlete.headers)
    assert error_code(response, 409) == "BR_NO_ELIGIBLE_MOVEMENTS"
    programs = data_of(await alloy.get("/v1/programs", headers=athlete.headers))
    assert programs["items"] == []
