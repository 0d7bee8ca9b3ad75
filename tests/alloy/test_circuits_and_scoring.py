"""Circuits for everyone, their curation and the scoring configuration for admins only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.alloy.conftest import Member
from tests.alloy.test_catalogue_api import data_of, error_code, movement_by_slug
from tests.conftest import ServiceClient, asgi_client, settings_for


async def a_circuit(alloy: ServiceClient, who: Member, slug: str) -> dict[str, Any]:
    page = data_of(await alloy.get("/v1/circuits", params={"limit": 100}, headers=who.headers))
    return next(item for item in page["items"] if item["slug"] == slug)


async def test_shipped_circuits(alloy: ServiceClient, athlete: Member) -> None:
    page = data_of(await alloy.get("/v1/circuits", params={"limit": 100}, headers=athlete.headers))
    assert len(page["items"]) >= 20
    names = [item["name"] for item in page["items"]]
    assert names == sorted(names)
    amraps = data_of(await alloy.get("/v1/circuits", params={"type": "amrap"}, headers=athlete.headers))
    assert amraps["items"]
    assert {item["circuit_type"] for item in amraps["items"]} == {"amrap"}
    assert all(item["duration_minutes"] for item in amraps["items"])


async def test_circuit_detail_with_etag(alloy: ServiceClient, athlete: Member) -> None:
    circuit = (data_of(await alloy.get("/v1/circuits", headers=athlete.headers)))["items"][0]
    path = f"/v1/circuits/{circuit['circuit_id']}"
    response = await alloy.get(path, headers=athlete.headers)
    assert data_of(response) == circuit
    cached = await alloy.get(path, headers={**athlete.headers, "If-None-Match": response.headers["ETag"]})
    assert cached.status_code == 304


def new_circuit(movement_ids: list[str]) -> dict[str, Any]:
    return {
        "name": "Garage Grinder",
        "circuit_type": "rounds_for_time",
        "rounds": 5,
        "time_cap_minutes": 25,
        "movements": [
            {"movement_id": movement_ids[0], "reps": 10, "load": {"male_kg": 24, "female_kg": 16}},
            {"movement_id": movement_ids[1], "distance_m": 200},
        ],
        "difficulty": 3,
        "tags": ["kettlebell", "garage"],
        "description": "Five rounds of swings and a short run.",
    }


async def test_admins_curate_circuits(alloy: ServiceClient, admin: Member, athlete: Member) -> None:
    swing = await movement_by_slug(alloy, admin, "kettlebell_swing")
    run = await movement_by_slug(alloy, admin, "run")
    body = new_circuit([swing["movement_id"], run["movement_id"]])
    created = data_of(await alloy.post("/v1/circuits/admin", json=body, headers=admin.headers), 201)
    assert created["slug"] == "garage_grinder"
    path = f"/v1/circuits/admin/{created['circuit_id']}"
    assert data_of(await alloy.get(path, headers=admin.headers)) == created
    replaced = data_of(await alloy.put(path, json=body | {"rounds": 7}, headers=admin.headers))
    assert replaced["rounds"] == 7
    public = data_of(await alloy.get(f"/v1/circuits/{created['circuit_id']}", headers=athlete.headers))
    assert public["rounds"] == 7  # the cache was invalidated by the write
    assert (
        error_code(await alloy.post("/v1/circuits/admin", json=body, headers=admin.headers), 409)
        == "CF_DUPLICATE_CIRCUIT"
    )
    assert (await alloy.delete(path, headers=admin.headers)).status_code == 204
    assert (
        error_code(await alloy.get(f"/v1/circuits/{created['circuit_id']}", headers=athlete.headers), 404)
        == "NF_CIRCUIT"
    )
    assert error_code(await alloy.delete(path, headers=admin.headers), 404) == "NF_CIRCUIT"


async def test_plain_users_cannot_curate(alloy: ServiceClient, athlete: Member) -> None:
    circuit = (data_of(await alloy.get("/v1/circuits", headers=athlete.headers)))["items"][0]
    path = f"/v1/circuits/admin/{circuit['circuit_id']}"
    for response in (
        await alloy.get(path, headers=athlete.headers),
        await alloy.delete(path, headers=athlete.headers),
        await alloy.post("/v1/circuits/admin", json={}, headers=athlete.headers),
        await alloy.get("/v1/scoring/config", headers=athlete.headers),
        await alloy.put(
            "/v1/scoring/config", json={"weights": {"pattern_alignment": 1}}, headers=athlete.headers
        ),
    ):
        assert error_code(response, 403) == "AUTH_FORBIDDEN"


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"circuit_type": "amrap", "rounds": None}, 422, "VAL_REQUEST"),  # an AMRAP needs its duration
        (
            {"movements": [{"movement_id": "01890a5d-ac96-774b-bcce-b302099a8057", "reps": 5}]},
            422,
            "NF_MOVEMENT",
        ),
        ({"difficulty": 9}, 422, "VAL_DIFFICULTY"),
        ({"circuit_type": "marathon"}, 422, "VAL_CIRCUIT_TYPE"),
    ],
)
async def test_bad_circuits(
    alloy: ServiceClient, admin: Member, change: dict[str, Any], status: int, code: str
) -> None:
    swing = await movement_by_slug(alloy, admin, "kettlebell_swing")
    body = new_circuit([swing["movement_id"], swing["movement_id"]]) | change
    assert (
        error_code(await alloy.post("/v1/circuits/admin", json=body, headers=admin.headers), status) == code
    )


async def test_two_measures_for_one_movement_is_422(alloy: ServiceClient, admin: Member) -> None:
    swing = await movement_by_slug(alloy, admin, "kettlebell_swing")
    body = new_circuit([swing["movement_id"], swing["movement_id"]])
    body["movements"][0]["seconds"] = 30
    response = await alloy.post("/v1/circuits/admin", json=body, headers=admin.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["details"] == {"field": "movements.0"}


# --- scoring ---------------------------------------------------------------------------------------


async def test_scoring_starts_at_the_shipped_defaults(alloy: ServiceClient, admin: Member) -> None:
    config = data_of(await alloy.get("/v1/scoring/config", headers=admin.headers))
    assert config["version"] == 1
    assert config["weights"] == {
        "pattern_alignment": 1.0,
        "muscle_coverage": 0.8,
        "discipline_preference": 0.7,
        "compound_bonus": 0.6,
        "specialization": 0.5,
        "goal_alignment": 0.4,
        "time_utilization": 0.3,
    }
    assert config["qualifying_score"] == 0.5
    assert sum(config["normalised_weights"].values()) == pytest.approx(1.0)


WEIGHTS = {
    "pattern_alignment": 1.0,
    "muscle_coverage": 1.0,
    "discipline_preference": 0.2,
    "compound_bonus": 0.6,
    "specialization": 0.5,
    "goal_alignment": 0.9,
    "time_utilization": 0,
}


async def test_a_new_version(alloy: ServiceClient, admin: Member) -> None:
    created = data_of(
        await alloy.put(
            "/v1/scoring/config", json={"weights": WEIGHTS, "note": "more goal"}, headers=admin.headers
        ),
        201,
    )
    assert (created["version"], created["note"]) == (2, "more goal")
    assert created["created_by"] == str(admin.user_id)
    assert data_of(await alloy.get("/v1/scoring/config", headers=admin.headers))["version"] == 2
    versions = data_of(await alloy.get("/v1/scoring/config/versions", headers=admin.headers))
    assert [v["version"] for v in versions] == [2, 1]


@pytest.mark.parametrize(
    ("weights", "problem"),
    [
        (WEIGHTS | {"vibes": 1}, "unknown dimension 'vibes'"),
        ({k: v for k, v in WEIGHTS.items() if k != "goal_alignment"}, "missing dimension 'goal_alignment'"),
        (WEIGHTS | {"compound_bonus": -1}, "compound_bonus must be ≥ 0"),
        (dict.fromkeys(WEIGHTS, 0), "at least one weight must be above 0"),
    ],
)
async def test_invalid_weights(
    alloy: ServiceClient, admin: Member, weights: dict[str, float], problem: str
) -> None:
    dry = data_of(
        await alloy.post("/v1/scoring/config/validate", json={"weights": weights}, headers=admin.headers)
    )
    assert dry["valid"] is False
    assert problem in dry["problems"]
    response = await alloy.put("/v1/scoring/config", json={"weights": weights}, headers=admin.headers)
    assert error_code(response, 400) == "VAL_SCORING_WEIGHTS"
    assert problem in response.json()["errors"][0]["details"]["problems"]
    assert data_of(await alloy.get("/v1/scoring/config", headers=admin.headers))["version"] == 1


async def test_validate_is_a_dry_run(alloy: ServiceClient, admin: Member) -> None:
    dry = data_of(
        await alloy.post("/v1/scoring/config/validate", json={"weights": WEIGHTS}, headers=admin.headers)
    )
    assert dry["valid"] is True
    assert sum(dry["normalised_weights"].values()) == pytest.approx(1.0)
    assert data_of(await alloy.get("/v1/scoring/config", headers=admin.headers))["version"] == 1


async def test_deprecated_admin_token_on_catalogue_routes(tmp_path: Path, database_url_for: Any) -> None:
    from alloy.main import create_alloy_app

    token = "legacy-" + "k" * 30
    app = create_alloy_app(settings_for("alloy", tmp_path, database_url_for("alloy"), admin_token=token))
    async with asgi_client(app) as client:
        response = await client.get("/v1/scoring/config", headers={"X-Admin-Token": token})
        assert response.status_code == 200
        assert response.headers["Deprecation"] == "true"
        assert response.json()["meta"]["warnings"]
        refused = await client.get("/v1/scoring/config", headers={"X-Admin-Token": "wrong"})
        assert refused.status_code == 401
    await app.state.database.dispose()


# --- round trips: what a GET answers, a PUT or POST takes back ---------------------------------------


async def test_a_scoring_config_read_can_be_put_back(alloy: ServiceClient, admin: Member) -> None:
    config = data_of(await alloy.get("/v1/scoring/config", headers=admin.headers))
    dry = data_of(await alloy.post("/v1/scoring/config/validate", json=config, headers=admin.headers))
    assert (dry["valid"], dry["normalised_weights"]) == (True, config["normalised_weights"])
    stale = config | {"normalised_weights": {"pattern_alignment": 1.0}, "version": 9}  # derived: ignored
    again = data_of(await alloy.put("/v1/scoring/config", json=stale, headers=admin.headers), 201)
    assert (again["version"], again["weights"]) == (2, config["weights"])
    assert again["normalised_weights"] == config["normalised_weights"]
    assert again["created_by"] == str(admin.user_id)


async def test_circuits_expose_their_type(alloy: ServiceClient, admin: Member, athlete: Member) -> None:
    amraps = data_of(await alloy.get("/v1/circuits", params={"type": "amrap"}, headers=athlete.headers))
    assert {item["type"] for item in amraps["items"]} == {"amrap"}
    assert all(item["circuit_type"] == item["type"] for item in amraps["items"])  # the old name stays
    swing = await movement_by_slug(alloy, admin, "kettlebell_swing")
    body = new_circuit([swing["movement_id"], swing["movement_id"]])
    body["type"] = body.pop("circuit_type")
    created = data_of(await alloy.post("/v1/circuits/admin", json=body, headers=admin.headers), 201)
    assert (created["type"], created["circuit_type"]) == ("rounds_for_time", "rounds_for_time")
    bad = await alloy.post("/v1/circuits/admin", json=body | {"type": "marathon"}, headers=admin.headers)
    assert error_code(bad, 422) == "VAL_TYPE"


async def test_a_circuit_read_can_be_written_back(alloy: ServiceClient, admin: Member) -> None:
    swing = await movement_by_slug(alloy, admin, "kettlebell_swing")
    run = await movement_by_slug(alloy, admin, "run")
    body = new_circuit([swing["movement_id"], run["movement_id"]])
    created = data_of(await alloy.post("/v1/circuits/admin", json=body, headers=admin.headers), 201)
    path = f"/v1/circuits/admin/{created['circuit_id']}"
    read = data_of(await alloy.get(path, headers=admin.headers))
    edited = read | {"type": "chipper", "rounds": 3}  # the client edits the new name only
    replaced = data_of(await alloy.put(path, json=edited, headers=admin.headers))
    assert (replaced["slug"], replaced["type"], replaced["rounds"]) == ("garage_grinder", "chipper", 3)
    assert replaced["created_at"] == created["created_at"]
    # A copy under a new name: the slug it echoes is the original's, so a new one is derived.
    copy = data_of(
        await alloy.post(
            "/v1/circuits/admin", json=read | {"name": "Garage Grinder II"}, headers=admin.headers
        ),
        201,
    )
    assert copy["slug"] == "garage_grinder_ii"
    assert copy["circuit_id"] != created["circuit_id"]


async def test_a_derived_slug_that_is_taken_is_made_unique(alloy: ServiceClient, admin: Member) -> None:
    swing = await movement_by_slug(alloy, admin, "kettlebell_swing")
    body = new_circuit([swing["movement_id"], swing["movement_id"]])
    first = data_of(await alloy.post("/v1/circuits/admin", json=body, headers=admin.headers), 201)
    twin = data_of(
        await alloy.post("/v1/circuits/admin", json=body | {"name": "Garage-Grinder"}, headers=admin.headers),
        201,
    )
    assert (first["slug"], twin["slug"]) == ("garage_grinder", "garage_grinder_2")
    # A slug the client chose is theirs: taken, it is a conflict, not silently changed.
    chosen = body | {"name": "Another Grinder", "slug": "garage_grinder"}
    response = await alloy.post("/v1/circuits/admin", json=chosen, headers=admin.headers)
    assert error_code(response, 409) == "CF_DUPLICATE_CIRCUIT"
    # So is a slug edited in a document read back: it is no longer the one the server gave.
    read = data_of(await alloy.get(f"/v1/circuits/admin/{twin['circuit_id']}", headers=admin.headers))
    response = await alloy.put(
        f"/v1/circuits/admin/{twin['circuit_id']}",
        json=read | {"slug": "garage_grinder"},
        headers=admin.headers,
    )
    assert error_code(response, 409) == "CF_DUPLICATE_CIRCUIT"
