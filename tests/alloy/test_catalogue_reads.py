"""The catalogue's hot reads on the fast read path: the answers the response models make of the
ORM's rows, and the shared cache, which never gives one user's private movement to another."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from alloy.catalogue.models import Circuit, Movement
from alloy.catalogue.schemas import CircuitOut, MovementOut
from tests.alloy.conftest import Member, data_of, error_code, member
from tests.conftest import ServiceClient

# Sorts first by name, and is a substitute of the back squat (same pattern and group).
PRIVATE = {
    "name": "Aaa private box squat",
    "pattern": "squat",
    "primary_muscle": "quadriceps",
    "secondary_muscles": ["glutes"],
    "equipment": ["barbell", "plyo_box"],
    "disciplines": ["powerlifting", "general"],
    "compound": True,
    "substitution_group": "knee_dominant_bilateral",
}


async def models_of(alloy: ServiceClient, ids: list[str]) -> list[dict[str, Any]]:
    """What ``MovementOut`` makes of the ORM's rows for ``ids``, in that order."""
    async with alloy.app.state.database.read_sessions() as orm:
        found = await orm.scalars(
            select(Movement)
            .options(selectinload(Movement.equipment_rows), selectinload(Movement.discipline_rows))
            .where(Movement.id.in_([uuid.UUID(each) for each in ids]))
        )
        by_id = {
            str(movement.id): MovementOut.model_validate(movement).model_dump(mode="json")
            for movement in found
        }
    return [by_id[each] for each in ids]


async def back_squat(alloy: ServiceClient, who: Member) -> str:
    body = {"filters": [{"field": "slug", "operator": "eq", "value": "back_squat"}]}
    (item,) = data_of(await alloy.post("/v1/movements/query", json=body, headers=who.headers))["items"]
    return str(item["movement_id"])


async def test_the_fast_reads_answer_what_the_models_write(alloy: ServiceClient, athlete: Member) -> None:
    """List, query, detail and substitutes, for a caller with a private movement (their own
    answers) and one without (everyone's): the same JSON as the response model's, field order
    included."""
    created = data_of(await alloy.post("/v1/movements", json=PRIVATE, headers=athlete.headers), 201)
    plain = await member(alloy, "plain@alloy.example.com")
    squat = await back_squat(alloy, athlete)
    for who in (athlete, plain):
        for params in ({"limit": 7}, {"pattern": "squat", "equipment": "barbell", "q": "SQU", "limit": 100}):
            page = data_of(await alloy.get("/v1/movements", params=params, headers=who.headers))
            assert page["items"] == await models_of(alloy, [item["movement_id"] for item in page["items"]])
            assert [list(item) for item in page["items"]] == [list(MovementOut.model_fields)] * len(
                page["items"]
            )
        query = {
            "filters": [
                {"field": "pattern", "operator": "in", "value": ["squat", "hinge"]},
                {"field": "skill_level", "operator": "lte", "value": 3},
                {"field": "equipment", "operator": "eq", "value": "barbell"},
                {"field": "name", "operator": "like", "value": "squat"},
            ],
            "sort_by": "skill_level",
            "sort_order": "desc",
            "limit": 5,
            "offset": 1,
        }
        answer = data_of(await alloy.post("/v1/movements/query", json=query, headers=who.headers))
        assert answer["items"] == await models_of(alloy, [item["movement_id"] for item in answer["items"]])
        assert answer["filters_applied"] == {
            "filters": query["filters"],
            "sort_by": "skill_level",
            "sort_order": "desc",
        }
        assert (answer["limit"], answer["offset"], answer["has_prev"], answer["current_page"]) == (
            5,
            1,
            True,
            1,
        )
        detail = data_of(await alloy.get(f"/v1/movements/{squat}", headers=who.headers))
        assert detail == (await models_of(alloy, [squat]))[0]
        substitutes = data_of(await alloy.get(f"/v1/movements/{squat}/substitutes", headers=who.headers))
        assert substitutes == await models_of(alloy, [item["movement_id"] for item in substitutes])
        assert (created["movement_id"] in [item["movement_id"] for item in substitutes]) is (who is athlete)
    own = data_of(await alloy.get(f"/v1/movements/{created['movement_id']}", headers=athlete.headers))
    assert own == (await models_of(alloy, [created["movement_id"]]))[0] == created


async def test_past_the_last_page_the_query_still_counts(alloy: ServiceClient, athlete: Member) -> None:
    body = {"filters": [{"field": "pattern", "operator": "eq", "value": "squat"}], "limit": 100}
    first = data_of(await alloy.post("/v1/movements/query", json=body, headers=athlete.headers))
    beyond = data_of(
        await alloy.post("/v1/movements/query", json=body | {"offset": 5000}, headers=athlete.headers)
    )
    assert first["total"] == len(first["items"]) > 0
    assert (beyond["items"], beyond["total"], beyond["has_next"], beyond["has_prev"]) == (
        [],
        first["total"],
        False,
        True,
    )
    none = {"filters": [{"field": "slug", "operator": "eq", "value": "no_such_movement"}]}
    empty = data_of(await alloy.post("/v1/movements/query", json=none, headers=athlete.headers))
    assert (empty["items"], empty["total"], empty["total_pages"]) == ([], 0, 1)


async def test_circuits_answer_what_the_model_writes(alloy: ServiceClient, athlete: Member) -> None:
    page = data_of(await alloy.get("/v1/circuits", params={"limit": 100}, headers=athlete.headers))
    async with alloy.app.state.database.read_sessions() as orm:
        circuits = {
            str(c.id): CircuitOut.model_validate(c).model_dump(mode="json")
            for c in await orm.scalars(select(Circuit))
        }
    assert page["items"] == [circuits[item["circuit_id"]] for item in page["items"]]
    assert len(page["items"]) == len(circuits) > 0
    typed = data_of(await alloy.get("/v1/circuits", params={"type": "amrap"}, headers=athlete.headers))
    assert typed["items"]
    assert all(item["type"] == "amrap" for item in typed["items"])
    first = page["items"][0]
    assert data_of(await alloy.get(f"/v1/circuits/{first['circuit_id']}", headers=athlete.headers)) == first
    missing = await alloy.get(f"/v1/circuits/{uuid.UUID(int=1)}", headers=athlete.headers)
    assert error_code(missing, 404) == "NF_CIRCUIT"


@pytest.mark.parametrize("owner_first", [True, False], ids=["owner-reads-first", "other-reads-first"])
async def test_a_private_movement_never_reaches_another_user_through_the_cache(
    alloy: ServiceClient, athlete: Member, owner_first: bool
) -> None:
    """Two users, one with a private movement: every catalogue read, the cache warmed by either
    first, and again once warm. The owner sees it everywhere it belongs; the other nowhere."""
    other = await member(alloy, "other@alloy.example.com")
    created = data_of(await alloy.post("/v1/movements", json=PRIVATE, headers=athlete.headers), 201)
    private_id = created["movement_id"]
    squat = await back_squat(alloy, athlete)
    query = {"filters": [{"field": "pattern", "operator": "eq", "value": "squat"}], "limit": 100}

    async def ids_seen(who: Member) -> dict[str, list[str]]:
        listed = data_of(await alloy.get("/v1/movements", params={"limit": 100}, headers=who.headers))
        squats = data_of(
            await alloy.get("/v1/movements", params={"pattern": "squat", "limit": 100}, headers=who.headers)
        )
        queried = data_of(await alloy.post("/v1/movements/query", json=query, headers=who.headers))
        substitutes = data_of(await alloy.get(f"/v1/movements/{squat}/substitutes", headers=who.headers))
        return {
            "list": [item["movement_id"] for item in listed["items"]],
            "squats": [item["movement_id"] for item in squats["items"]],
            "query": [item["movement_id"] for item in queried["items"]],
            "substitutes": [item["movement_id"] for item in substitutes],
        }

    readers = [athlete, other] if owner_first else [other, athlete]
    for _ in range(2):  # cold, then warm
        for who in readers:
            seen = await ids_seen(who)
            for route, ids in seen.items():
                assert (private_id in ids) is (who is athlete), (route, who.email)
            detail = await alloy.get(f"/v1/movements/{private_id}", headers=who.headers)
            if who is athlete:
                assert data_of(detail)["movement_id"] == private_id
            else:
                assert error_code(detail, 404) == "NF_MOVEMENT"
            substitutes_of_private = await alloy.get(
                f"/v1/movements/{private_id}/substitutes", headers=who.headers
            )
            if who is athlete:
                assert squat in [item["movement_id"] for item in data_of(substitutes_of_private)]
            else:
                assert error_code(substitutes_of_private, 404) == "NF_MOVEMENT"


async def test_a_new_private_movement_shows_at_once_and_only_to_its_owner(
    alloy: ServiceClient, athlete: Member
) -> None:
    """The shared answers were cached before the athlete had a movement of their own: creating
    one gives them their own answers from the next request on."""
    other = await member(alloy, "other@alloy.example.com")
    params = {"q": "private box", "limit": 3}
    before = data_of(await alloy.get("/v1/movements", params=params, headers=athlete.headers))
    assert before == data_of(await alloy.get("/v1/movements", params=params, headers=other.headers))
    assert before["items"] == []
    created = data_of(await alloy.post("/v1/movements", json=PRIVATE, headers=athlete.headers), 201)
    mine = data_of(await alloy.get("/v1/movements", params=params, headers=athlete.headers))
    assert [item["movement_id"] for item in mine["items"]] == [created["movement_id"]]
    assert data_of(await alloy.get("/v1/movements", params=params, headers=other.headers))["items"] == []


async def test_bad_input_to_the_reads_is_a_4xx(alloy: ServiceClient, athlete: Member) -> None:
    assert (
        await alloy.get("/v1/movements/not-an-id/substitutes", headers=athlete.headers)
    ).status_code == 404
    missing = await alloy.get(f"/v1/movements/{uuid.UUID(int=2)}/substitutes", headers=athlete.headers)
    assert error_code(missing, 404) == "NF_MOVEMENT"
    assert (await alloy.get("/v1/movements", params={"limit": 0}, headers=athlete.headers)).status_code == 422
    assert (
        await alloy.get("/v1/circuits", params={"type": "dance"}, headers=athlete.headers)
    ).status_code == 422
    junk = await alloy.get("/v1/circuits", params={"cursor": "junk"}, headers=athlete.headers)
    assert error_code(junk, 400) == "VAL_CURSOR"
    huge = {"filters": [{"field": "skill_level", "operator": "in", "value": [2**53, -(2**53)]}]}
    answer = data_of(await alloy.post("/v1/movements/query", json=huge, headers=athlete.headers))
    assert answer["items"] == []
    assert (await alloy.get("/v1/movements")).status_code == 401
