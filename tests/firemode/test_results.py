"""Results through the real app: idempotency, duplicates, conflicts, limits, pulls, concurrency."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from pathlib import Path
from typing import Any

import pytest
from httpx import Response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firemode.identity.roles import Role
from firemode.main import create_firemode_app
from firemode.sync.engine import Change, fold, pointer
from firemode.sync.models import IdempotencyKey
from tests.conftest import ServiceClient, asgi_client, settings_for
from tests.firemode.conftest import Account, account
from tests.kit.dead_claims import claim_and_die, freeze_idempotency_clock


def change(
    path: str, value: Any, actor: str = "device-7f3a", counter: int = 1, op: str = "set"
) -> dict[str, Any]:
    body: dict[str, Any] = {"op": op, "path": path, "actor": actor, "counter": counter}
    if op == "set":
        body["value"] = value
    return body


async def submit(
    client: ServiceClient,
    who: Account,
    session_id: str,
    changes: list[dict[str, Any]],
    key: str | None = None,
) -> Response:
    headers = {**who.headers, "Idempotency-Key": key or str(uuid.uuid4())}
    return await client.post(
        f"/v1/tests/sessions/{session_id}/results", json={"changes": changes}, headers=headers
    )


async def detail(client: ServiceClient, who: Account, session_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/tests/sessions/{session_id}", headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


# --- the merge through HTTP -----------------------------------------------------------------------


async def test_results_merge_and_the_session_starts(firemode: ServiceClient, technician: Account) -> None:
    session_id = str(uuid.uuid4())
    response = await submit(
        firemode,
        technician,
        session_id,
        [
            change("/assets/EXT-001/result", "pass", counter=12),
            change("/assets/EXT-001/pressure_kpa", 1200, counter=13),
        ],
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "processed"
    assert (body["applied"], body["duplicates"], body["checkpoint"]) == (2, 0, 2)
    assert body["vector_clock"] == {f"user-{technician.user_id}": 1, "device-7f3a": 13}
    session = await detail(firemode, technician, session_id)
    assert session["results"] == {"assets": {"EXT-001": {"result": "pass", "pressure_kpa": 1200}}}
    assert session["status"] == "in_progress"  # created by the results, as offline devices do
    assert session["building_id"] is None


async def test_later_create_fills_in_the_building(
    firemode: ServiceClient, technician: Account, supervisor: Account
) -> None:
    session_id = str(uuid.uuid4())
    await submit(firemode, technician, session_id, [change("/a", 1)])
    building = (
        await firemode.post(
            "/v1/buildings", json={"name": "B", "address": "1 St"}, headers=supervisor.headers
        )
    ).json()["building_id"]
    created = await firemode.post(
        "/v1/tests/sessions",
        json={"building_id": building, "session_id": session_id},
        headers=technician.headers,
    )
    assert created.status_code == 200
    assert created.json()["building_id"] == building
    assert created.json()["status"] == "in_progress"


async def test_order_of_arrival_does_not_matter(firemode: ServiceClient, technician: Account) -> None:
    session_id = str(uuid.uuid4())
    await submit(firemode, technician, session_id, [change("/r", "late", actor="b", counter=5)])
    # An earlier change arrives afterwards: the document is rebuilt, the later one still wins.
    await submit(
        firemode,
        technician,
        session_id,
        [change("/r", "early", actor="a", counter=3), change("/s", 1, actor="a", counter=4)],
    )
    assert (await detail(firemode, technician, session_id))["results"] == {"r": "late", "s": 1}


async def test_unstamped_changes_are_stamped_by_the_server(
    firemode: ServiceClient, technician: Account
) -> None:
    session_id = str(uuid.uuid4())
    await submit(firemode, technician, session_id, [change("/x", 1, actor="device-1", counter=7)])
    response = await submit(
        firemode,
        technician,
        session_id,
        [{"op": "set", "path": "/y", "value": 2}, {"op": "delete", "path": "/x"}],
    )
    assert response.json()["vector_clock"] == {f"user-{technician.user_id}": 9, "device-1": 7}
    pulled = (
        await firemode.get(f"/v1/tests/sessions/{session_id}/changes", headers=technician.headers)
    ).json()
    assert [(c["actor"], c["counter"]) for c in pulled["data"]] == [
        ("device-1", 7),
        (f"user-{technician.user_id}", 8),
        (f"user-{technician.user_id}", 9),
    ]
    assert (await detail(firemode, technician, session_id))["results"] == {"y": 2}


async def test_duplicates_change_nothing(firemode: ServiceClient, technician: Account) -> None:
    session_id = str(uuid.uuid4())
    batch = [change("/a", 1, counter=1), change("/b", {"k": [1, 2]}, counter=2)]
    await submit(firemode, technician, session_id, batch)
    response = await submit(firemode, technician, session_id, [*batch, batch[0], change("/c", 3, counter=3)])
    body = response.json()
    assert (body["applied"], body["duplicates"], body["checkpoint"]) == (1, 3, 3)


async def test_a_clashing_duplicate_rejects_the_whole_batch(
    firemode: ServiceClient, technician: Account
) -> None:
    session_id = str(uuid.uuid4())
    await submit(firemode, technician, session_id, [change("/a", "pass", counter=1)])
    response = await submit(
        firemode, technician, session_id, [change("/b", "new", counter=2), change("/a", "fail", counter=1)]
    )
    assert response.status_code == 409
    error = response.json()
    assert error["error_code"] == "FIRE-409"
    assert error["details"]["actor"] == "device-7f3a"
    assert error["details"]["counter"] == 1
    assert error["details"]["accepted"]["value"] == "pass"
    session = await detail(firemode, technician, session_id)
    assert session["results"] == {"a": "pass"}  # /b was not applied: all or nothing
    assert session["change_count"] == 1


async def test_a_clash_inside_one_batch_is_409(firemode: ServiceClient, technician: Account) -> None:
    response = await submit(
        firemode, technician, str(uuid.uuid4()), [change("/a", 1, counter=1), change("/a", 2, counter=1)]
    )
    assert response.status_code == 409


async def test_closed_sessions_take_duplicates_only(firemode: ServiceClient, technician: Account) -> None:
    session_id = str(uuid.uuid4())
    batch = [change("/a", 1, counter=1)]
    await submit(firemode, technician, session_id, batch)
    url = f"/v1/tests/sessions/{session_id}"
    assert (
        await firemode.patch(url, json={"status": "completed"}, headers=technician.headers)
    ).status_code == 200
    retry = await submit(firemode, technician, session_id, batch)
    assert retry.status_code == 200
    assert (retry.json()["applied"], retry.json()["duplicates"]) == (0, 1)
    late = await submit(firemode, technician, session_id, [change("/b", 2, counter=2)])
    assert late.status_code == 409
    assert late.json()["details"]["status"] == "completed"


async def test_another_technicians_session_is_404(
    firemode: ServiceClient, technician: Account, other_technician: Account
) -> None:
    session_id = str(uuid.uuid4())
    await submit(firemode, technician, session_id, [change("/a", 1)])
    response = await submit(firemode, other_technician, session_id, [change("/a", 2, counter=2)])
    assert response.status_code == 404
    pulled = await firemode.get(f"/v1/tests/sessions/{session_id}/changes", headers=other_technician.headers)
    assert pulled.status_code == 404


# --- validation and limits -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ([{"op": "set", "path": "no-slash", "value": 1}], 422),
        ([{"op": "set", "path": "/a~2", "value": 1}], 422),
        ([{"op": "set", "path": "/" + "/".join("x" * 33), "value": 1}], 422),
        ([{"op": "set", "path": "/a"}], 422),  # a set needs a value
        ([{"op": "merge", "path": "/a", "value": 1}], 422),
        ([{"op": "set", "path": "/a", "value": 1, "actor": "d"}], 422),  # actor without counter
        ([{"op": "set", "path": "/a", "value": 1, "actor": "d", "counter": True}], 422),
        ([{"op": "set", "path": "/a", "value": 1, "actor": "d", "counter": 0}], 422),
        ([{"op": "set", "path": "/a", "value": "x" * (64 * 1024)}], 413),
        ([{"op": "delete", "path": f"/k{number}"} for number in range(1001)], 413),
    ],
    ids=[
        "not-a-pointer",
        "bad-escape",
        "too-deep",
        "set-without-value",
        "unknown-op",
        "actor-alone",
        "bool-counter",
        "zero-counter",
        "value-too-big",
        "batch-too-big",
    ],
)
async def test_bad_batches(
    firemode: ServiceClient, technician: Account, changes: list[Any], status: int
) -> None:
    session_id = str(uuid.uuid4())
    response = await submit(firemode, technician, session_id, changes)
    assert response.status_code == status, response.text
    assert response.json()["error_code"] == f"FIRE-{status}"
    assert (
        await firemode.get(f"/v1/tests/sessions/{session_id}", headers=technician.headers)
    ).status_code in {404, 200}


async def test_integers_beyond_64_bits_are_kept_exactly(firemode: ServiceClient, technician: Account) -> None:
    """JSON numbers have no size limit; a value is stored and read back as sent, and sending the
    same change again is a duplicate, not a clash."""
    session_id = str(uuid.uuid4())
    big = {"serial": 2**64 + 1, "negative": -(2**70), "exact": 2**63 - 1}
    batch = [change("/gauge", big, counter=1)]
    assert (await submit(firemode, technician, session_id, batch)).status_code == 200
    assert (await detail(firemode, technician, session_id))["results"] == {"gauge": big}
    again = await submit(firemode, technician, session_id, batch)
    assert (again.status_code, again.json()["duplicates"]) == (200, 1)
    pulled = await firemode.get(f"/v1/tests/sessions/{session_id}/changes", headers=technician.headers)
    assert pulled.json()["data"][0]["value"] == big


@pytest.mark.parametrize(
    "change",
    [
        {"op": "set", "path": "/a", "value": "gauge\u0000"},
        {"op": "set", "path": "/a", "value": {"readings": [{"k\u0000": 1}]}},
        {"op": "set", "path": "/a\u0000b", "value": 1},
        {"op": "delete", "path": "/a", "actor": "device\u0000", "counter": 1},
        {"op": "set", "path": "/a", "value": "half a pair \ud83d"},
    ],
    ids=["nul-in-a-value", "nul-in-a-nested-key", "nul-in-a-path", "nul-in-an-actor", "lone-surrogate"],
)
async def test_text_postgresql_cannot_store_is_refused(
    firemode: ServiceClient, technician: Account, change: dict[str, Any]
) -> None:
    """JSON may carry U+0000 and lone surrogates; PostgreSQL stores neither in text or jsonb. A 422
    on both databases, never a 500 on one and a stored document on the other."""
    body = json.dumps({"changes": [change]})  # ASCII, a lone surrogate escaped as JSON allows
    headers = {**technician.headers, "Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"}
    response = await firemode.post(
        f"/v1/tests/sessions/{uuid.uuid4()}/results", content=body, headers=headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["error_code"] == "FIRE-422"


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
async def test_numbers_json_does_not_have_are_refused(
    firemode: ServiceClient, technician: Account, number: str
) -> None:
    """Python's JSON parser takes NaN and Infinity; a value holding one is a 422, not a 500 from
    PostgreSQL or a document nobody can read back."""
    session_id = str(uuid.uuid4())
    body = '{"changes": [{"op": "set", "path": "/a", "value": {"kpa": [1, NUMBER]}}]}'.replace(
        "NUMBER", number
    )
    headers = {**technician.headers, "Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"}
    response = await firemode.post(f"/v1/tests/sessions/{session_id}/results", content=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["error_code"] == "FIRE-422"
    assert (
        await firemode.get(f"/v1/tests/sessions/{session_id}", headers=technician.headers)
    ).status_code == 404


async def test_the_document_size_is_capped(tmp_path: Path, database_url_for: Any) -> None:
    app = create_firemode_app(
        settings_for("firemode", tmp_path, database_url_for("firemode"), sync_max_document_bytes=2048)
    )
    async with asgi_client(app) as client:
        tech = await account(client, "t@firemode.example.com", Role.TECHNICIAN)
        session_id = str(uuid.uuid4())
        ok = await submit(client, tech, session_id, [change("/a", "x" * 1000, counter=1)])
        assert ok.status_code == 200
        too_big = await submit(client, tech, session_id, [change("/b", "y" * 1500, counter=2)])
        assert too_big.status_code == 413
        assert too_big.json()["details"]["max_document_bytes"] == 2048
        assert (await detail(client, tech, session_id))["results"] == {"a": "x" * 1000}
    await app.state.database.dispose()


async def test_paths_deeper_than_32_merge_out_of_order_when_allowed(
    tmp_path: Path, database_url_for: Any
) -> None:
    """The depth cap is the request's: stored paths are read back whatever their depth, so an
    early batch at depth 40 folds with the deep history it is related to."""
    app = create_firemode_app(
        settings_for("firemode", tmp_path, database_url_for("firemode"), sync_max_depth=40)
    )
    deep = "/" + "/".join(f"n{depth}" for depth in range(39))
    async with asgi_client(app) as client:
        tech = await account(client, "t@firemode.example.com", Role.TECHNICIAN)
        session_id = str(uuid.uuid4())
        late = [change(f"{deep}/result", "pass", counter=5), change(f"{deep}/kpa", 1200, counter=6)]
        assert (await submit(client, tech, session_id, late)).status_code == 200
        early = [change(f"{deep}/result", "fail", counter=2), change(f"{deep}/note", "ok", counter=3)]
        response = await submit(client, tech, session_id, early)
        assert response.status_code == 200, response.text
        assert response.json()["applied"] == 2
        held = late + early
        expected = fold(Change("device-7f3a", c["counter"], "set", c["path"], c["value"]) for c in held)
        assert (await detail(client, tech, session_id))["results"] == expected
        too_deep = await submit(client, tech, session_id, [change(f"{deep}/x/y", 1, counter=7)])
        assert too_deep.status_code == 422
        assert too_deep.json()["error_code"] == "FIRE-422"
    await app.state.database.dispose()


async def test_counters_stay_within_what_json_readers_keep_exactly(
    firemode: ServiceClient, technician: Account
) -> None:
    """2^53 − 1 is the largest counter a device may send and the largest the server stamps: a
    batch the server would have to stamp past it is refused whole, with nothing stamped."""
    top = 2**53 - 1
    session_id = str(uuid.uuid4())
    too_big = await submit(firemode, technician, session_id, [change("/a", 1, counter=top + 1)])
    assert too_big.status_code == 422
    assert too_big.json()["error_code"] == "FIRE-422"
    near_top = await submit(firemode, technician, session_id, [change("/a", 1, counter=top - 1)])
    assert near_top.status_code == 200
    unstamped = [{"op": "set", "path": "/b", "value": 1}, {"op": "set", "path": "/c", "value": 2}]
    refused = await submit(firemode, technician, session_id, unstamped)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error_code"] == "FIRE-422"
    assert refused.json()["details"] == {"index": 1, "max_counter": top}
    assert (await detail(firemode, technician, session_id))["results"] == {"a": 1}
    last = await submit(firemode, technician, session_id, unstamped[:1])
    assert last.status_code == 200
    assert last.json()["vector_clock"][f"user-{technician.user_id}"] == top
    full = await submit(firemode, technician, session_id, unstamped[1:])
    assert full.status_code == 422
    assert full.json()["details"] == {"index": 0, "max_counter": top}


# --- idempotency -----------------------------------------------------------------------------------


async def test_same_key_same_body_replays(firemode: ServiceClient, technician: Account) -> None:
    session_id, key = str(uuid.uuid4()), str(uuid.uuid4())
    batch = [change("/a", 1)]
    first = await submit(firemode, technician, session_id, batch, key)
    second = await submit(firemode, technician, session_id, batch, key)
    assert second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert second.json() == first.json()  # the first answer, not "0 applied, 1 duplicate"


async def test_same_key_other_body_is_409(firemode: ServiceClient, technician: Account) -> None:
    session_id, key = str(uuid.uuid4()), str(uuid.uuid4())
    await submit(firemode, technician, session_id, [change("/a", 1)], key)
    response = await submit(firemode, technician, session_id, [change("/a", 2, counter=2)], key)
    assert response.status_code == 409
    assert response.json()["retryable"] is False


async def test_same_key_same_body_for_another_session_is_409(
    firemode: ServiceClient, technician: Account
) -> None:
    """The key names one request, and a request includes its target: the first session's answer
    is never replayed as the second's (and the second's changes are not silently dropped)."""
    first_session, second_session, key = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    batch = [change("/a", 1)]
    assert (await submit(firemode, technician, first_session, batch, key)).status_code == 200
    response = await submit(firemode, technician, second_session, batch, key)
    assert response.status_code == 409, response.text
    assert response.json()["retryable"] is False
    second = await firemode.get(f"/v1/tests/sessions/{second_session}", headers=technician.headers)
    assert second.status_code == 404  # nothing was created for it


async def test_keys_belong_to_their_caller(
    firemode: ServiceClient, technician: Account, supervisor: Account
) -> None:
    key = str(uuid.uuid4())
    await submit(firemode, technician, str(uuid.uuid4()), [change("/a", 1)], key)
    other = await submit(firemode, supervisor, str(uuid.uuid4()), [change("/a", 1)], key)
    assert other.status_code == 200
    assert "Idempotent-Replayed" not in other.headers


async def test_a_failed_request_does_not_use_up_its_key(firemode: ServiceClient, technician: Account) -> None:
    session_id, key = str(uuid.uuid4()), str(uuid.uuid4())
    bad = await firemode.post(
        f"/v1/tests/sessions/{session_id}/results",
        json={"changes": [{"op": "set", "path": "oops", "value": 1}]},
        headers={**technician.headers, "Idempotency-Key": key},
    )
    assert bad.status_code == 422
    fixed = await firemode.post(
        f"/v1/tests/sessions/{session_id}/results",
        json={"changes": [{"op": "set", "path": "/ok", "value": 1}]},
        headers={**technician.headers, "Idempotency-Key": key},
    )
    assert fixed.status_code == 200
    assert fixed.json()["applied"] == 1


async def test_key_in_the_query_and_missing_key(firemode: ServiceClient, technician: Account) -> None:
    session_id = str(uuid.uuid4())
    url = f"/v1/tests/sessions/{session_id}/results"
    body = {"changes": [change("/a", 1)]}
    assert (await firemode.post(url, json=body, headers=technician.headers)).status_code == 400
    assert (
        await firemode.post(url + "?idempotency_key=k-1", json=body, headers=technician.headers)
    ).status_code == 200
    replay = await firemode.post(url + "?idempotency_key=k-1", json=body, headers=technician.headers)
    assert replay.headers["Idempotent-Replayed"] == "true"
    bad_key = await firemode.post(
        url, json=body, headers={**technician.headers, "Idempotency-Key": "has space"}
    )
    assert bad_key.status_code == 400


async def test_a_crashed_batchs_key_is_held_for_its_lease_then_taken_over(
    database_url_for: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 409 for a key still claimed says how long the claim may last (its lease), and once the
    lease is over the same key runs the batch: a device is never told "1 second" for minutes."""
    lease = 45
    app = create_firemode_app(
        settings_for("firemode", tmp_path, database_url_for("firemode"), idempotency_lease_seconds=lease)
    )
    clock = freeze_idempotency_clock(monkeypatch)
    async with asgi_client(app) as client:
        tech = await account(client, "t@firemode.example.com", Role.TECHNICIAN)
        session_id, key = str(uuid.uuid4()), str(uuid.uuid4())
        body = {"changes": [change("/a", 1)]}
        route = f"/v1/tests/sessions/{session_id}/results"
        await claim_and_die(app.state.database, IdempotencyKey, tech.user_id, key, route, body, lease)

        clock.advance(4.5)
        held = await submit(client, tech, session_id, body["changes"], key)
        assert held.status_code == 409
        assert held.json()["retryable"] is True
        assert held.headers["Retry-After"] == "41"  # 40.5 seconds left, rounded up

        clock.advance(40.5)
        taken = await submit(client, tech, session_id, body["changes"], key)
        assert taken.status_code == 200, taken.text
        assert taken.json()["applied"] == 1
        replay = await submit(client, tech, session_id, body["changes"], key)
        assert replay.headers["Idempotent-Replayed"] == "true"
    await app.state.database.dispose()


# --- pulling changes ---------------------------------------------------------------------------------


async def test_devices_pull_what_they_missed(firemode: ServiceClient, technician: Account) -> None:
    session_id = str(uuid.uuid4())
    await submit(firemode, technician, session_id, [change(f"/k{n}", n, counter=n) for n in range(1, 6)])
    url = f"/v1/tests/sessions/{session_id}/changes"
    first = (await firemode.get(url, params={"since": 0, "limit": 3}, headers=technician.headers)).json()
    assert [c["seq"] for c in first["data"]] == [1, 2, 3]
    assert (first["checkpoint"], first["has_more"]) == (3, True)
    rest = (await firemode.get(url, params={"since": 3}, headers=technician.headers)).json()
    assert [c["path"] for c in rest["data"]] == ["/k4", "/k5"]
    assert (rest["checkpoint"], rest["has_more"]) == (5, False)
    nothing = (await firemode.get(url, params={"since": 5}, headers=technician.headers)).json()
    assert (nothing["data"], nothing["checkpoint"], nothing["has_more"]) == ([], 5, False)


async def test_a_pull_serves_at_most_a_thousand_changes(firemode: ServiceClient, technician: Account) -> None:
    """A larger ``limit`` is served at the maximum, as list pages are, not refused."""
    session_id = str(uuid.uuid4())
    for first in (1, 1001):
        batch = [change(f"/k{n}", n, counter=n) for n in range(first, first + 1000)]
        assert (await submit(firemode, technician, session_id, batch)).status_code == 200
    url = f"/v1/tests/sessions/{session_id}/changes"
    page = await firemode.get(url, params={"since": 0, "limit": 5000}, headers=technician.headers)
    assert page.status_code == 200, page.text
    body = page.json()
    assert [c["seq"] for c in body["data"]] == list(range(1, 1001))
    assert (body["checkpoint"], body["has_more"]) == (1000, True)
    assert (await firemode.get(url, params={"limit": 0}, headers=technician.headers)).status_code == 422


async def test_the_fast_pull_answers_what_the_model_writes(
    firemode: ServiceClient, technician: Account, other_technician: Account, supervisor: Account
) -> None:
    """The pull is read on the driver and written by orjson: the same JSON as ``ChangesPage`` makes
    of the ORM's rows (values and the vector clock compared as JSON: PostgreSQL's JSONB keeps its
    own key order and spacing), fields in its order, for a participant and for a supervisor."""
    from sqlalchemy import select

    from firemode.sessions.models import TestSession
    from firemode.sync.models import SessionChange
    from firemode.sync.schemas import ChangeOut, ChangesPage

    session_id = str(uuid.uuid4())
    values = [{"kpa": [1, 2.5, None], "note": 'Ünïcode "quoted" ✓'}, 2**64 + 1, "pass", None, 1.5e300, True]
    batch = [change(f"/asset/{n}", value, counter=n + 1) for n, value in enumerate(values)]
    batch.append(change("/asset/2", None, actor="device-b", counter=1, op="delete"))
    assert (await submit(firemode, technician, session_id, batch)).status_code == 200
    url = f"/v1/tests/sessions/{session_id}/changes"

    async with firemode.app.state.database.read_sessions() as orm:
        row = await orm.get(TestSession, uuid.UUID(session_id))
        logged = list(
            await orm.scalars(
                select(SessionChange).where(SessionChange.session_id == row.id).order_by(SessionChange.seq)
            )
        )
    assert len(logged) == len(batch)
    for since, limit in ((0, 500), (2, 3), (len(batch), 10), (len(batch) + 5, 10)):
        taken = logged[since : since + limit]
        expected = ChangesPage(
            data=[ChangeOut.model_validate(found) for found in taken],
            checkpoint=taken[-1].seq if taken else min(since, row.checkpoint),
            vector_clock=row.vector_clock,
            has_more=len(logged) > since + limit,
        ).model_dump(mode="json")
        for who in (technician, supervisor):
            pulled = await firemode.get(url, params={"since": since, "limit": limit}, headers=who.headers)
            assert pulled.status_code == 200
            assert pulled.json() == expected
            assert list(pulled.json()) == list(expected)
            assert [list(found) for found in pulled.json()["data"]] == [
                list(found) for found in expected["data"]
            ]
    assert (await firemode.get(url, headers=other_technician.headers)).status_code == 404
    assert (
        await firemode.get(f"/v1/tests/sessions/{uuid.uuid4()}/changes", headers=supervisor.headers)
    ).status_code == 404


@pytest.mark.parametrize(
    "query", ["since=-1", "since=x", f"since={2**62 + 1}", "limit=0", "limit=x", "limit=1e3"]
)
async def test_a_bad_pull_is_422(firemode: ServiceClient, technician: Account, query: str) -> None:
    session_id = str(uuid.uuid4())
    assert (await submit(firemode, technician, session_id, [change("/a", 1)])).status_code == 200
    response = await firemode.get(
        f"/v1/tests/sessions/{session_id}/changes?{query}", headers=technician.headers
    )
    assert response.status_code == 422
    assert response.json()["error_code"] == "FIRE-422"


# --- concurrency ----------------------------------------------------------------------------------


async def test_concurrent_batches_lose_nothing(firemode: ServiceClient, technician: Account) -> None:
    """Twelve devices post interleaved batches at once; the result is the fold of everything."""
    session_id = str(uuid.uuid4())
    rng = random.Random(7)
    batches = []
    every: list[Change] = []
    for device in range(12):
        actor = f"device-{device}"
        batch = []
        for counter in range(1, 9):
            path = f"/assets/EXT-{rng.randint(1, 5)}/result"
            value = rng.choice(["pass", "fail", "n/a"])
            batch.append(change(path, value, actor=actor, counter=counter))
            every.append(Change(actor, counter, "set", path, value))
        batches.append(batch)
    responses = await asyncio.gather(*(submit(firemode, technician, session_id, batch) for batch in batches))
    assert [response.status_code for response in responses] == [200] * 12
    session = await detail(firemode, technician, session_id)
    assert session["change_count"] == 96
    assert session["results"] == fold(every)
    assert sorted(r.json()["checkpoint"] for r in responses) == list(range(8, 97, 8))


# Text without U+0000, which the API refuses (see test_text_postgresql_cannot_store_is_refused).
TEXT = st.text(st.characters(exclude_characters="\x00"), max_size=2)
VALUES = st.integers(0, 3) | TEXT | st.dictionaries(st.sampled_from(["x", "y"]), st.integers(0, 3))


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[Change], list[list[Change]]]:
    """A change set, and how it arrives: shuffled, duplicated, cut into batches."""
    identities = draw(
        st.lists(st.tuples(st.integers(1, 9), st.sampled_from(["a", "b", "c"])), max_size=14, unique=True)
    )
    changes = []
    for counter, actor in identities:
        # Nested paths (one a prefix of another), and a token that must be escaped ("~1").
        path = pointer(draw(st.lists(st.sampled_from(["x", "y", "z/0"]), min_size=1, max_size=3)))
        if draw(st.booleans()):
            changes.append(Change(actor, counter, "set", path, draw(VALUES)))
        else:
            changes.append(Change(actor, counter, "delete", path))
    arrivals = draw(
        st.permutations(changes + draw(st.lists(st.sampled_from(changes), max_size=4)) if changes else [])
    )
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(arrivals) - 1)), max_size=4)))
    batches = [
        list(arrivals[i:j]) for i, j in zip([0, *cuts], [*cuts, len(arrivals)], strict=True) if arrivals[i:j]
    ]
    return changes, batches


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=deliveries())
async def test_any_delivery_over_http_converges(
    firemode: ServiceClient, technician: Account, case: tuple[list[Change], list[list[Change]]]
) -> None:
    changes, batches = case
    session_id = str(uuid.uuid4())
    for batch in batches:
        body = [change(c.path, c.value, actor=c.actor, counter=c.counter, op=c.op) for c in batch]
        assert (await submit(firemode, technician, session_id, body)).status_code == 200
    if batches:
        session = await detail(firemode, technician, session_id)
        assert session["results"] == fold(changes)
        assert session["change_count"] == len(changes)
