"""The lifecycle: one step forward at a time, verify and close by supervisors and admins, every move
kept (who, when, note) and audited; a refused move changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from firemode.defects.vocabulary import NEXT_STATUS, STAFF, STAFF_ONLY, DefectStatus
from firemode.identity.models import SecurityEvent
from firemode.identity.roles import Role
from tests.conftest import ServiceClient
from tests.firemode.conftest import Account
from tests.firemode.defects.conftest import Site, open_defect

LIFECYCLE = ["acknowledged", "repair_scheduled", "repaired", "verified", "closed"]


async def move(client: ServiceClient, who: Account, defect_id: str, to: str, note: str | None = None) -> Any:
    body = {"to": to} if note is None else {"to": to, "note": note}
    return await client.post(f"/v1/defects/{defect_id}/transitions", json=body, headers=who.headers)


async def security_events(client: ServiceClient, event: str) -> list[SecurityEvent]:
    async with client.app.state.database.read_sessions() as session:
        rows = await session.execute(select(SecurityEvent).where(SecurityEvent.event == event))
        return list(rows.scalars())


async def test_the_whole_lifecycle_is_kept_and_audited(
    firemode: ServiceClient, technician: Account, supervisor: Account, site: Site
) -> None:
    defect = await open_defect(firemode, technician, asset_id=site.extinguisher, severity="critical")
    for step in LIFECYCLE:
        who = supervisor if step in ("verified", "closed") else technician
        moved = await move(firemode, who, defect["defect_id"], step, note=f"now {step}")
        assert moved.status_code == 200, moved.text
        assert moved.json()["status"] == step
    read = (await firemode.get(f"/v1/defects/{defect['defect_id']}", headers=technician.headers)).json()
    assert read["status"] == "closed"
    history = read["transitions"]
    assert [(t["from_status"], t["to_status"]) for t in history] == list(
        zip(["open", *LIFECYCLE[:-1]], LIFECYCLE, strict=True)
    )
    assert [t["note"] for t in history] == [f"now {step}" for step in LIFECYCLE]
    assert [t["transitioned_by"] for t in history] == [str(technician.user_id)] * 3 + [
        str(supervisor.user_id)
    ] * 2
    assert [t["created_at"] for t in history] == sorted(t["created_at"] for t in history)

    audited = await security_events(firemode, "defect_transition")
    assert [(e.details["from_status"], e.details["to_status"]) for e in audited] == [
        (t["from_status"], t["to_status"]) for t in history
    ]
    assert {e.details["defect_id"] for e in audited} == {defect["defect_id"]}
    assert [e.actor_id for e in audited] == [technician.user_id] * 3 + [supervisor.user_id] * 2


async def test_a_technician_neither_verifies_nor_closes(
    firemode: ServiceClient, technician: Account, admin: Account, site: Site
) -> None:
    defect = await open_defect(firemode, technician, asset_id=site.extinguisher, severity="critical")
    for step in LIFECYCLE[:3]:
        assert (await move(firemode, technician, defect["defect_id"], step)).status_code == 200
    refused = await move(firemode, technician, defect["defect_id"], "verified")
    assert refused.status_code == 403
    assert refused.json()["error_code"] == "FIRE-403"
    assert (await move(firemode, admin, defect["defect_id"], "verified")).status_code == 200
    assert (await move(firemode, technician, defect["defect_id"], "closed")).status_code == 403
    assert (await move(firemode, admin, defect["defect_id"], "closed")).status_code == 200


async def test_a_move_off_the_lifecycle_is_409_naming_the_allowed_one(
    firemode: ServiceClient, technician: Account, site: Site
) -> None:
    defect = await open_defect(firemode, technician, asset_id=site.extinguisher, severity="critical")
    skipped = await move(firemode, technician, defect["defect_id"], "repaired")
    assert skipped.status_code == 409
    assert skipped.json()["error_code"] == "FIRE-409"
    assert skipped.json()["details"] == {
        "status": "open",
        "requested": "repaired",
        "allowed": ["acknowledged"],
    }
    assert (await move(firemode, technician, defect["defect_id"], "open")).status_code == 409


async def test_transition_bad_input_and_unknown_defects(
    firemode: ServiceClient, technician: Account, site: Site
) -> None:
    defect = await open_defect(firemode, technician, asset_id=site.extinguisher, severity="critical")
    for body in (
        {"to": "fixed"},
        {},
        {"to": "acknowledged", "note": ""},
        {"to": "acknowledged", "note": "x" * 2001},
    ):
        response = await firemode.post(
            f"/v1/defects/{defect['defect_id']}/transitions", json=body, headers=technician.headers
        )
        assert response.status_code == 422, body
    missing = await move(firemode, technician, str(uuid.uuid4()), "acknowledged")
    assert missing.status_code == 404
    assert (
        await firemode.post(f"/v1/defects/{defect['defect_id']}/transitions", json={"to": "acknowledged"})
    ).status_code == 401


def reachable(start: DefectStatus, moves: list[tuple[Role, DefectStatus]]) -> DefectStatus:
    """The model: where a defect ends after ``moves``, each applied when the graph and role allow."""
    state = start
    for role, to in moves:
        if to in NEXT_STATUS[state] and (to not in STAFF_ONLY or role in STAFF):
            state = to
    return state


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    moves=st.lists(
        st.tuples(st.sampled_from([Role.TECHNICIAN, Role.SUPERVISOR]), st.sampled_from(list(DefectStatus))),
        max_size=12,
    )
)
async def test_any_sequence_of_requests_follows_the_graph_and_refusals_change_nothing(
    firemode: ServiceClient,
    technician: Account,
    supervisor: Account,
    site: Site,
    moves: list[tuple[Role, DefectStatus]],
) -> None:
    defect = await open_defect(firemode, technician, asset_id=site.extinguisher, severity="non_critical")
    url = f"/v1/defects/{defect['defect_id']}"
    accounts = {Role.TECHNICIAN: technician, Role.SUPERVISOR: supervisor}
    state, accepted = DefectStatus.OPEN, 0
    for role, to in moves:
        before = (await firemode.get(url, headers=technician.headers)).json()
        answer = await move(firemode, accounts[role], defect["defect_id"], to)
        after = (await firemode.get(url, headers=technician.headers)).json()
        expected = reachable(state, [(role, to)])
        if expected != state:
            assert answer.status_code == 200
            assert after["status"] == expected
            assert after["transitions"][-1]["to_status"] == to
            accepted += 1
        else:
            assert answer.status_code in (403, 409)
            assert after == before  # the status, the log and the timestamps: nothing moved
        state = expected
    assert state == reachable(DefectStatus.OPEN, moves)
    assert (
        len(after_all := (await firemode.get(url, headers=technician.headers)).json()["transitions"])
        == accepted
    )
    assert after_all == [] or after_all[-1]["to_status"] == state
    async with firemode.app.state.database.read_sessions() as session:
        audited = await session.scalar(
            select(func.count())
            .select_from(SecurityEvent)
            .where(
                SecurityEvent.event == "defect_transition",
                SecurityEvent.details["defect_id"].as_string() == defect["defect_id"],
            )
        )
    assert audited == accepted
