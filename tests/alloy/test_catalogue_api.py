"""The catalogue through the real app: browse, look up, substitute, query, curate."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apikit.pagination import filters_digest
from tests.alloy.conftest import Member, data_of, error_code, member
from tests.conftest import ServiceClient


async def movement_by_slug(alloy: ServiceClient, who: Member, slug: str) -> dict[str, Any]:
    body = {"filters": [{"field": "slug", "operator": "eq", "value": slug}]}
    items = data_of(await alloy.post("/v1/movements/query", json=body, headers=who.headers))["items"]
    assert len(items) == 1, slug
    return items[0]  # type: ignore[no-any-return]


# --- browsing -------------------------------------------------------------------------------------


async def test_the_catalogue_is_there_and_pages_by_name(alloy: ServiceClient, athlete: Member) -> None:
    names: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = data_of(await alloy.get("/v1/movements", params=params, headers=athlete.headers))
        names += [item["name"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(names) >= 150
    assert names == sorted(names)
    assert len(names) == len(set(names))


async def test_filters(alloy: ServiceClient, athlete: Member) -> None:
    squats = data_of(
        await alloy.get("/v1/movements", params={"pattern": "squat", "limit": 100}, headers=athlete.headers)
    )
    assert squats["items"]
    assert {item["pattern"] for item in squats["items"]} == {"squat"}
    kettlebell = data_of(
        await alloy.get(
            "/v1/movements", params={"equipment": "kettlebell", "limit": 100}, headers=athlete.headers
        )
    )
    assert kettlebell["items"]
    assert all("kettlebell" in item["equipment"] for item in kettlebell["items"])
    named = data_of(await alloy.get("/v1/movements", params={"q": "SQUAT"}, headers=athlete.headers))
    assert all("squat" in item["name"].lower() for item in named["items"])
    nothing = data_of(await alloy.get("/v1/movements", params={"q": "100%_"}, headers=athlete.headers))
    assert nothing["items"] == []  # % and _ are text, not wildcards
    nul = await alloy.get("/v1/movements", params={"q": "squat\x00"}, headers=athlete.headers)
    assert nul.status_code == 400  # PostgreSQL answered a 500: it stores U+0000 in no text
    bad = await alloy.get("/v1/movements", params={"pattern": "dance"}, headers=athlete.headers)
    assert error_code(bad, 422) == "VAL_PATTERN"


async def test_detail_with_etag(alloy: ServiceClient, athlete: Member) -> None:
    squat = await movement_by_slug(alloy, athlete, "back_squat")
    response = await alloy.get(f"/v1/movements/{squat['movement_id']}", headers=athlete.headers)
    assert data_of(response) == squat
    etag = response.headers["ETag"]
    again = await alloy.get(
        f"/v1/movements/{squat['movement_id']}", headers={**athlete.headers, "If-None-Match": etag}
    )
    assert again.status_code == 304
    assert again.headers["ETag"] == etag
    missing = await alloy.get("/v1/movements/01890a5d-ac96-774b-bcce-b302099a8057", headers=athlete.headers)
    assert error_code(missing, 404) == "NF_MOVEMENT"


async def test_substitutes_follow_the_callers_equipment(alloy: ServiceClient, athlete: Member) -> None:
    squat = await movement_by_slug(alloy, athlete, "back_squat")
    everything = data_of(
        await alloy.get(f"/v1/movements/{squat['movement_id']}/substitutes", headers=athlete.headers)
    )
    assert everything
    assert all(item["pattern"] == squat["pattern"] for item in everything)
    assert all(item["substitution_group"] == squat["substitution_group"] for item in everything)
    await alloy.patch("/v1/users/me", json={"equipment": ["dumbbell"]}, headers=athlete.headers)
    home = data_of(
        await alloy.get(f"/v1/movements/{squat['movement_id']}/substitutes", headers=athlete.headers)
    )
    assert all(set(item["equipment"]) <= {"dumbbell", "bodyweight"} for item in home)
    assert len(home) < len(everything)


# --- private movements and curation ----------------------------------------------------------------

CUSTOM = {
    "name": "Sandbag zercher march",
    "pattern": "carry",
    "primary_muscle": "upper_back",
    "secondary_muscles": ["abs", "quadriceps"],
    "equipment": ["sandbag"],
    "compound": True,
    "metric_type": "distance",
    "substitution_group": "loaded_carry",
}


async def test_private_movements_are_private(alloy: ServiceClient, athlete: Member) -> None:
    created = data_of(await alloy.post("/v1/movements", json=CUSTOM, headers=athlete.headers), 201)
    assert created["custom"] is True
    assert created["disciplines"] == ["general"]
    other = await member(alloy, "other@alloy.example.com")
    path = f"/v1/movements/{created['movement_id']}"
    assert data_of(await alloy.get(path, headers=athlete.headers))["name"] == CUSTOM["name"]
    assert error_code(await alloy.get(path, headers=other.headers), 404) == "NF_MOVEMENT"
    listed = data_of(await alloy.get("/v1/movements", params={"q": "zercher march"}, headers=other.headers))
    assert listed["items"] == []
    assert (
        error_code(await alloy.patch(path, json={"name": "Mine now"}, headers=other.headers), 404)
        == "NF_MOVEMENT"
    )
    renamed = data_of(await alloy.patch(path, json={"cns_load": 3}, headers=athlete.headers))
    assert renamed["cns_load"] == 3
    twin = await alloy.post(
        "/v1/movements", json=CUSTOM | {"name": "SANDBAG ZERCHER MARCH"}, headers=athlete.headers
    )
    assert error_code(twin, 409) == "CF_DUPLICATE_MOVEMENT"


async def test_only_admins_edit_the_shared_catalogue(
    alloy: ServiceClient, athlete: Member, admin: Member
) -> None:
    squat = await movement_by_slug(alloy, athlete, "back_squat")
    path = f"/v1/movements/{squat['movement_id']}"
    assert (
        error_code(await alloy.patch(path, json={"cns_load": 1}, headers=athlete.headers), 403)
        == "AUTH_FORBIDDEN"
    )
    edited = data_of(
        await alloy.patch(path, json={"cns_load": 4, "equipment": ["barbell"]}, headers=admin.headers)
    )
    assert (edited["cns_load"], edited["equipment"]) == (4, ["barbell"])
    # The cached copy was invalidated: everyone sees the edit at once.
    assert data_of(await alloy.get(path, headers=athlete.headers))["cns_load"] == 4


async def test_movements_carry_their_coaching_facts(alloy: ServiceClient, athlete: Member) -> None:
    bench = await movement_by_slug(alloy, athlete, "bench_press")
    assert (bench["tier"], bench["rep_min"], bench["rep_max"]) == ("primary", 1, 12)
    assert (bench["plate_increment_kg"], bench["plate_increment_lb"]) == (2.5, 5)
    detail = data_of(await alloy.get(f"/v1/movements/{bench['movement_id']}", headers=athlete.headers))
    assert detail["tier"] == "primary"
    listed = data_of(
        await alloy.get("/v1/movements", params={"tier": "primary", "limit": 100}, headers=athlete.headers)
    )
    assert {item["tier"] for item in listed["items"]} == {"primary"}
    assert "bench_press" in {item["slug"] for item in listed["items"]}
    body = {
        "filters": [
            {"field": "tier", "operator": "eq", "value": "accessory"},
            {"field": "rep_max", "operator": "gte", "value": 20},
        ],
        "sort_by": "rep_min",
        "limit": 100,
    }
    queried = data_of(await alloy.post("/v1/movements/query", json=body, headers=athlete.headers))
    assert queried["items"]
    assert all(item["tier"] == "accessory" and item["rep_max"] >= 20 for item in queried["items"])
    bad = {"filters": [{"field": "tier", "operator": "eq", "value": "main"}]}
    assert error_code(await alloy.post("/v1/movements/query", json=bad, headers=athlete.headers), 400)


async def test_a_custom_movement_gets_derived_facts_unless_given(
    alloy: ServiceClient, athlete: Member
) -> None:
    carry = data_of(await alloy.post("/v1/movements", json=CUSTOM, headers=athlete.headers), 201)
    assert (carry["tier"], carry["rep_min"], carry["rep_max"]) == ("accessory", None, None)
    assert (carry["plate_increment_kg"], carry["plate_increment_lb"]) == (5, 10)
    press = CUSTOM | {
        "name": "Viking press",
        "pattern": "vertical_push",
        "equipment": ["landmine", "barbell"],
        "metric_type": "reps",
    }
    derived = data_of(await alloy.post("/v1/movements", json=press, headers=athlete.headers), 201)
    assert (derived["tier"], derived["rep_min"], derived["rep_max"]) == ("secondary", 5, 12)
    given_facts = press | {
        "name": "Viking push press",
        "rep_min": 3,
        "rep_max": 6,
        "plate_increment_kg": 1.25,
    }
    chosen = data_of(await alloy.post("/v1/movements", json=given_facts, headers=athlete.headers), 201)
    assert (chosen["rep_min"], chosen["rep_max"], chosen["plate_increment_kg"]) == (3, 6, 1.25)
    jump = press | {"name": "Med ball jump", "pattern": "plyometric", "rep_min": 3, "rep_max": 10}
    refused = await alloy.post("/v1/movements", json=jump, headers=athlete.headers)
    assert error_code(refused, 422) == "VAL_COACHING_FACTS"


async def test_admins_edit_the_coaching_facts_within_the_rules(
    alloy: ServiceClient, athlete: Member, admin: Member
) -> None:
    row = await movement_by_slug(alloy, athlete, "front_squat")
    path = f"/v1/movements/{row['movement_id']}"
    assert error_code(await alloy.patch(path, json={"rep_max": 6}, headers=athlete.headers), 403)
    edited = data_of(await alloy.patch(path, json={"rep_min": 2, "rep_max": 6}, headers=admin.headers))
    assert (edited["rep_min"], edited["rep_max"]) == (2, 6)
    upside_down = await alloy.patch(path, json={"rep_min": 8}, headers=admin.headers)
    assert error_code(upside_down, 422) == "VAL_COACHING_FACTS"
    assert (
        error_code(await alloy.patch(path, json={"rep_max": 101}, headers=admin.headers), 422)
        == "VAL_REP_MAX"
    )
    assert (
        error_code(await alloy.patch(path, json={"tier": "main"}, headers=admin.headers), 422) == "VAL_TIER"
    )
    curl = await movement_by_slug(alloy, athlete, "barbell_curl")
    promoted = await alloy.patch(
        f"/v1/movements/{curl['movement_id']}", json={"tier": "primary"}, headers=admin.headers
    )
    assert error_code(promoted, 422) == "VAL_COACHING_FACTS"
    clean = await movement_by_slug(alloy, athlete, "power_clean")
    too_many = await alloy.patch(
        f"/v1/movements/{clean['movement_id']}", json={"rep_max": 8}, headers=admin.headers
    )
    assert error_code(too_many, 422) == "VAL_COACHING_FACTS"
    assert data_of(await alloy.get(path, headers=athlete.headers))["rep_max"] == 6


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (CUSTOM | {"pattern": "dance"}, "VAL_PATTERN"),
        (CUSTOM | {"rep_min": 0, "metric_type": "reps"}, "VAL_REP_MIN"),
        (CUSTOM | {"plate_increment_kg": -1}, "VAL_PLATE_INCREMENT_KG"),
        (CUSTOM | {"equipment": []}, "VAL_EQUIPMENT"),
        (CUSTOM | {"skill_level": 6}, "VAL_SKILL_LEVEL"),
        (CUSTOM | {"compound": "yes"}, "VAL_COMPOUND"),
        (CUSTOM | {"substitution_group": "Not A Slug"}, "VAL_SUBSTITUTION_GROUP"),
    ],
)
async def test_bad_movements_are_422(
    alloy: ServiceClient, athlete: Member, body: dict[str, Any], code: str
) -> None:
    assert error_code(await alloy.post("/v1/movements", json=body, headers=athlete.headers), 422) == code


# --- the structured query -----------------------------------------------------------------------


async def test_query_filters_sorts_and_pages(alloy: ServiceClient, athlete: Member) -> None:
    body = {
        "filters": [
            {"field": "pattern", "operator": "in", "value": ["squat", "hinge"]},
            {"field": "skill_level", "operator": "lte", "value": 3},
            {"field": "equipment", "operator": "eq", "value": "barbell"},
        ],
        "sort_by": "cns_load",
        "sort_order": "desc",
        "limit": 5,
        "offset": 0,
    }
    page = data_of(await alloy.post("/v1/movements/query", json=body, headers=athlete.headers))
    assert page["total"] >= len(page["items"]) > 0
    assert all(item["pattern"] in {"squat", "hinge"} and item["skill_level"] <= 3 for item in page["items"])
    assert all("barbell" in item["equipment"] for item in page["items"])
    loads = [item["cns_load"] for item in page["items"]]
    assert loads == sorted(loads, reverse=True)
    assert page["limit"] == 5
    assert page["current_page"] == 1
    assert page["has_prev"] is False
    assert page["has_next"] is (page["total"] > 5)
    assert page["filters_applied"]["sort_by"] == "cns_load"


async def test_like_matches_text_literally(alloy: ServiceClient, athlete: Member) -> None:
    body = {"filters": [{"field": "name", "operator": "like", "value": "%"}]}
    assert data_of(await alloy.post("/v1/movements/query", json=body, headers=athlete.headers))["total"] == 0
    body = {"filters": [{"field": "name", "operator": "like", "value": "DEADLIFT"}]}
    page = data_of(await alloy.post("/v1/movements/query", json=body, headers=athlete.headers))
    assert page["total"] > 0
    assert all("deadlift" in item["name"].lower() for item in page["items"])


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"filters": [{"field": "password_hash", "operator": "eq", "value": "x"}]}, "VAL_FILTER_FIELD"),
        ({"filters": [{"field": "compound", "operator": "gt", "value": True}]}, "VAL_FILTER_OPERATOR"),
        ({"filters": [{"field": "skill_level", "operator": "like", "value": "3"}]}, "VAL_FILTER_OPERATOR"),
        ({"filters": [{"field": "skill_level", "operator": "eq", "value": "3"}]}, "VAL_FILTER_VALUE"),
        ({"filters": [{"field": "skill_level", "operator": "eq", "value": True}]}, "VAL_FILTER_VALUE"),
        ({"filters": [{"field": "pattern", "operator": "eq", "value": "dance"}]}, "VAL_FILTER_VALUE"),
        ({"filters": [{"field": "pattern", "operator": "in", "value": []}]}, "VAL_FILTER_VALUE"),
        ({"filters": [{"field": "created_at", "operator": "gt", "value": "yesterday"}]}, "VAL_FILTER_VALUE"),
        (
            {"filters": [{"field": "created_at", "operator": "gt", "value": "0001-01-01T00:00:00+14:00"}]},
            "VAL_FILTER_VALUE",
        ),
        (
            {"filters": [{"field": "created_at", "operator": "lt", "value": "9999-12-31T23:59:59-14:00"}]},
            "VAL_FILTER_VALUE",
        ),
        ({"sort_by": "description"}, "VAL_SORT_FIELD"),
    ],
)
async def test_bad_queries_are_400_with_details(
    alloy: ServiceClient, athlete: Member, body: dict[str, Any], code: str
) -> None:
    response = await alloy.post("/v1/movements/query", json=body, headers=athlete.headers)
    assert error_code(response, 400) == code
    assert response.json()["errors"][0]["details"]


@pytest.mark.parametrize(
    "name",
    ["Back\x00 squat", "\ud800", 5, None, {"dt": "2026-01-01T00:00:00Z"}],
    ids=["nul", "surrogate", "number", "null", "datetime"],
)
async def test_validly_signed_cursor_with_junk_name_is_400(
    alloy: ServiceClient, athlete: Member, name: object
) -> None:
    """The name is the list's first key column: text PostgreSQL cannot store, or no text, was its 500."""
    payload = {
        "v": 1,
        "l": "movements",
        "f": filters_digest({"pattern": None, "equipment": None, "discipline": None, "q": None}),
        "d": "next",
        "k": [name, {"u": uuid.UUID(int=0).hex}],
    }
    cursor = alloy.app.state.cursor_codec.encode(payload)
    response = await alloy.get("/v1/movements", params={"cursor": cursor}, headers=athlete.headers)
    assert error_code(response, 400) == "VAL_CURSOR"


QUERY_FIELDS = st.sampled_from(
    [
        "name",
        "slug",
        "pattern",
        "skill_level",
        "cns_load",
        "compound",
        "equipment",
        "discipline",
        "created_at",
        "nope",
    ]
)
FINITE = st.floats(allow_nan=False, allow_infinity=False)
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | FINITE | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    filters=st.lists(
        st.fixed_dictionaries(
            {
                "field": QUERY_FIELDS,
                "operator": st.sampled_from(["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin", "like"]),
                "value": ANY_JSON,
            }
        ),
        max_size=4,
    ),
    sort_by=st.none() | QUERY_FIELDS,
    sort_order=st.sampled_from(["asc", "desc"]),
    offset=st.integers(0, 300),
)
async def test_random_queries_never_500(
    alloy: ServiceClient,
    athlete: Member,
    filters: list[dict[str, Any]],
    sort_by: str | None,
    sort_order: str,
    offset: int,
) -> None:
    body = {"filters": filters, "sort_by": sort_by, "sort_order": sort_order, "offset": offset, "limit": 20}
    response = await alloy.post("/v1/movements/query", json=body, headers=athlete.headers)
    assert response.status_code in {200, 400, 422}, response.text


async def test_anonymous_callers_are_refused(alloy: ServiceClient) -> None:
    assert error_code(await alloy.get("/v1/movements"), 401) == "AUTH_MISSING_TOKEN"
    assert error_code(await alloy.post("/v1/movements/query", json={}), 401) == "AUTH_MISSING_TOKEN"
