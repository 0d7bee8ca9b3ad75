"""Personal records through the real app: after any sequence of creates, replacements and deletes,
every log reports exactly the records a brute-force pass over the remaining logs finds."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alloy.training.e1rm import Formula
from tests.alloy.conftest import Member, data_of
from tests.alloy.test_catalogue_api import movement_by_slug
from tests.alloy.test_e1rm import spec_e1rm
from tests.conftest import ServiceClient

DAYS = [f"2026-01-0{day}T10:00:00+00:00" for day in (1, 2, 2, 3, 4)]  # one day twice: ties by id
SETS = st.fixed_dictionaries(
    {
        "reps": st.integers(0, 6),
        "load": st.sampled_from([0, 60, 80, 100]),
        "rpe": st.sampled_from([None, 8, 10]),
        "completed": st.sampled_from([True, True, True, False]),
    }
)
ENTRIES = st.lists(
    st.tuples(st.integers(0, 1), st.lists(SETS, min_size=1, max_size=3)), min_size=1, max_size=2
)
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(0, 4), st.sampled_from(DAYS), ENTRIES),
        st.tuples(st.just("replace"), st.integers(0, 4), st.sampled_from(DAYS), ENTRIES),
        st.tuples(st.just("delete"), st.integers(0, 4), st.just(""), st.just([])),
    ),
    min_size=1,
    max_size=7,
)


def counts(item: dict[str, Any]) -> bool:
    return bool(item["completed"] and item["load"] > 0 and item["reps"] >= 1)


def e1rm(item: dict[str, Any]) -> float | None:
    if not 1 <= item["reps"] <= 12:
        return None
    return spec_e1rm(Formula.EPLEY, item["load"], item["reps"], item["rpe"], None)


def brute_force(logs: list[dict[str, Any]]) -> dict[str, set[tuple[Any, ...]]]:
    """Each log's records, from the definitions, comparing with every earlier log one by one."""
    ordered = sorted(logs, key=lambda log: (log["performed_at"], log["log_id"]))
    flat = [
        [(e["movement_id"], s) for e in log["entries"] for s in e["sets"] if counts(s)] for log in ordered
    ]
    expected: dict[str, set[tuple[Any, ...]]] = {}
    for index, log in enumerate(ordered):
        found: set[tuple[Any, ...]] = set()
        for movement in {m for m, _ in flat[index]}:
            own = [s for m, s in flat[index] if m == movement]
            prior = [s for earlier in flat[:index] for m, s in earlier if m == movement]
            rated = [s for s in own if e1rm(s) is not None]
            prior_e1rm = [e1rm(s) for s in prior if e1rm(s) is not None]
            if rated:
                best = max(rated, key=lambda s: e1rm(s) or 0)
                if not prior_e1rm or (e1rm(best) or 0) > max(v or 0 for v in prior_e1rm):
                    found.add((movement, "best_e1rm", best["load"], best["reps"], e1rm(best)))
            heaviest = max(own, key=lambda s: (s["load"], s["reps"]))
            if not prior or heaviest["load"] > max(s["load"] for s in prior):
                found.add((movement, "heaviest_load", heaviest["load"], heaviest["reps"], e1rm(heaviest)))
            pairs_seen: set[tuple[Any, Any]] = set()
            for s in own:  # a pair is reported once, by the first set that made it
                pair = (s["load"], s["reps"])
                beaten_here = any(
                    o["load"] >= s["load"] and o["reps"] >= s["reps"] and (o["load"], o["reps"]) != pair
                    for o in own
                )
                beaten_before = any(p["load"] >= s["load"] and p["reps"] >= s["reps"] for p in prior)
                if not beaten_here and not beaten_before and pair not in pairs_seen:
                    found.add((movement, "best_reps_at_load", s["load"], s["reps"], e1rm(s)))
                pairs_seen.add(pair)
        expected[log["log_id"]] = found
    return expected


def reported(log: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {(r["movement_id"], r["record"], r["load"], r["reps"], r["e1rm"]) for r in log["personal_records"]}


async def all_logs(alloy: ServiceClient, who: Member) -> list[dict[str, Any]]:
    page = data_of(await alloy.get("/v1/workout-logs", params={"limit": 100}, headers=who.headers))
    assert page["next_cursor"] is None
    return page["items"]  # type: ignore[no-any-return]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
async def test_records_equal_a_brute_force_recomputation(
    alloy: ServiceClient, athlete: Member, operations: list[tuple[str, int, str, Any]]
) -> None:
    movements = [
        (await movement_by_slug(alloy, athlete, slug))["movement_id"]
        for slug in ("back_squat", "bench_press")
    ]
    for log in await all_logs(alloy, athlete):  # each example starts from no logs
        await alloy.delete(f"/v1/workout-logs/{log['log_id']}", headers=athlete.headers)
    ids: list[str] = []
    for kind, index, day, entries in operations:
        body = {
            "performed_at": day,
            "entries": [{"movement_id": movements[m], "sets": sets} for m, sets in entries],
        }
        if kind == "create":
            created = data_of(await alloy.post("/v1/workout-logs", json=body, headers=athlete.headers), 201)
            ids.append(created["log_id"])
            # The answer's records (from the kept bests, or the history for a backdated log) agree too.
            assert reported(created) == brute_force(await all_logs(alloy, athlete))[created["log_id"]]
        elif ids and kind == "replace":
            url = f"/v1/workout-logs/{ids[index % len(ids)]}"
            data_of(await alloy.put(url, json=body, headers=athlete.headers))
        elif ids:
            url = f"/v1/workout-logs/{ids.pop(index % len(ids))}"
            assert (await alloy.delete(url, headers=athlete.headers)).status_code == 204
    logs = await all_logs(alloy, athlete)
    assert sorted(log["log_id"] for log in logs) == sorted(ids)
    expected = brute_force(logs)
    for log in logs:
        assert reported(log) == expected[log["log_id"]], log["log_id"]
        # A single read agrees with the list.
        one = data_of(await alloy.get(f"/v1/workout-logs/{log['log_id']}", headers=athlete.headers))
        assert reported(one) == expected[log["log_id"]]
    for movement in movements:  # progress's all-time records agree with the same definitions
        lifted = [
            s for log in logs for e in log["entries"] if e["movement_id"] == movement for s in e["sets"]
        ]
        lifted = [s for s in lifted if counts(s)]
        records = data_of(await alloy.get(f"/v1/progress/movements/{movement}", headers=athlete.headers))[
            "records"
        ]
        rated = [value for s in lifted if (value := e1rm(s)) is not None]
        assert (records["best_e1rm"] or {}).get("value") == (max(rated) if rated else None)
        assert (records["heaviest_load"] or {}).get("value") == (
            max(s["load"] for s in lifted) if lifted else None
        )
        frontier = {
            (s["load"], s["reps"])
            for s in lifted
            if not any(
                o["load"] >= s["load"]
                and o["reps"] >= s["reps"]
                and o is not s
                and (o["load"], o["reps"]) != (s["load"], s["reps"])
                for o in lifted
            )
        }
        assert {(r["load"], r["reps"]) for r in records["best_reps_at_load"]} == frontier
