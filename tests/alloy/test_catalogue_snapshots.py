"""The catalogue as program creation reads it, kept between creations: reused while the catalogue
is unchanged, read again after any edit made through the API, with each caller's own movements."""

from __future__ import annotations

import uuid

from alloy.generator import CatalogueSnapshot
from alloy.programs.repository import CatalogueSnapshots, load_snapshot
from tests.alloy.conftest import Member, data_of, error_code, member
from tests.alloy.test_catalogue_api import CUSTOM, movement_by_slug
from tests.alloy.test_circuits_and_scoring import new_circuit
from tests.alloy.test_programs import program_body
from tests.conftest import ServiceClient


async def loaded(alloy: ServiceClient, snapshots: CatalogueSnapshots, who: Member) -> CatalogueSnapshot:
    async with alloy.app.state.database.transactional() as session:
        return await snapshots.load(session, who.user_id)


async def read_afresh(alloy: ServiceClient, who: Member) -> CatalogueSnapshot:
    async with alloy.app.state.database.transactional() as session:
        return await load_snapshot(session, who.user_id)


def assert_same_catalogue(kept: CatalogueSnapshot, fresh: CatalogueSnapshot) -> None:
    assert sorted(kept.movements, key=lambda m: m.id) == sorted(fresh.movements, key=lambda m: m.id)
    assert sorted(kept.circuits, key=lambda c: c.id) == sorted(fresh.circuits, key=lambda c: c.id)


async def test_the_snapshot_is_reused_until_an_admin_edits_the_catalogue(
    alloy: ServiceClient, admin: Member, athlete: Member
) -> None:
    snapshots = CatalogueSnapshots()
    first = await loaded(alloy, snapshots, athlete)
    assert_same_catalogue(first, await read_afresh(alloy, athlete))
    assert len(first.movements) > 200
    assert first.circuits
    assert await loaded(alloy, snapshots, athlete) is first  # unchanged: not read again

    squat = await movement_by_slug(alloy, admin, "back_squat")
    path = f"/v1/movements/{squat['movement_id']}"
    data_of(await alloy.patch(path, json={"equipment": ["barbell", "sled"]}, headers=admin.headers))
    edited = await loaded(alloy, snapshots, athlete)
    assert edited is not first
    assert edited.by_id()[uuid.UUID(squat["movement_id"])].equipment == {"barbell", "sled"}
    assert_same_catalogue(edited, await read_afresh(alloy, athlete))

    swing = await movement_by_slug(alloy, admin, "kettlebell_swing")
    run = await movement_by_slug(alloy, admin, "run")
    body = new_circuit([swing["movement_id"], run["movement_id"]])
    created = data_of(await alloy.post("/v1/circuits/admin", json=body, headers=admin.headers), 201)
    with_circuit = await loaded(alloy, snapshots, athlete)
    assert uuid.UUID(created["circuit_id"]) in {c.id for c in with_circuit.circuits}

    circuit_path = f"/v1/circuits/admin/{created['circuit_id']}"
    data_of(await alloy.put(circuit_path, json=body | {"time_cap_minutes": 9}, headers=admin.headers))
    replaced = await loaded(alloy, snapshots, athlete)
    assert {c.id: c.minutes for c in replaced.circuits}[uuid.UUID(created["circuit_id"])] == 9

    assert (await alloy.delete(circuit_path, headers=admin.headers)).status_code == 204
    without = await loaded(alloy, snapshots, athlete)
    assert uuid.UUID(created["circuit_id"]) not in {c.id for c in without.circuits}
    assert_same_catalogue(without, await read_afresh(alloy, athlete))


async def test_each_caller_gets_their_own_movements_and_nobody_elses(
    alloy: ServiceClient, athlete: Member
) -> None:
    other = await member(alloy, "other@alloy.example.com")
    snapshots = CatalogueSnapshots()
    shared = await loaded(alloy, snapshots, athlete)
    custom = data_of(await alloy.post("/v1/movements", json=CUSTOM, headers=athlete.headers), 201)
    custom_id = uuid.UUID(custom["movement_id"])

    mine = await loaded(alloy, snapshots, athlete)
    assert custom_id in mine.by_id()
    assert mine.by_id()[custom_id].equipment == {"sandbag"}
    assert_same_catalogue(mine, await read_afresh(alloy, athlete))
    theirs = await loaded(alloy, snapshots, other)
    assert theirs is shared  # the shared catalogue did not change: still the one read first
    assert custom_id not in theirs.by_id()


async def test_program_creation_sees_an_edit_made_after_the_last_program(
    alloy: ServiceClient, admin: Member, athlete: Member
) -> None:
    # A program first, so the catalogue is kept in the app.
    data_of(await alloy.post("/v1/programs", json=program_body(), headers=athlete.headers), 201)
    custom = data_of(await alloy.post("/v1/movements", json=CUSTOM, headers=athlete.headers), 201)
    rules = [{"movement_id": custom["movement_id"], "rule": "preferred"}]
    data_of(
        await alloy.post("/v1/programs", json=program_body(movement_rules=rules), headers=athlete.headers),
        201,
    )

    # The admin moves the curl onto equipment the program does not have: a hard_yes is refused.
    curl = await movement_by_slug(alloy, admin, "barbell_curl")
    hard_yes = [{"movement_id": curl["movement_id"], "rule": "hard_yes"}]
    data_of(
        await alloy.post("/v1/programs", json=program_body(movement_rules=hard_yes), headers=athlete.headers),
        201,
    )
    path = f"/v1/movements/{curl['movement_id']}"
    data_of(await alloy.patch(path, json={"equipment": ["ez_bar"]}, headers=admin.headers))
    refused = await alloy.post(
        "/v1/programs", json=program_body(movement_rules=hard_yes), headers=athlete.headers
    )
    assert error_code(refused, 400) == "VAL_MOVEMENT_RULES"
    assert refused.json()["errors"][0]["details"]["missing"] == ["ez_bar"]
