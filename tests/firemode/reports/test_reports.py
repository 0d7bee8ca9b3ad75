"""Compliance reports through the real app: what a report says of a season of work, its verdict,
the PDF read back against the JSON, finalising (signed, hashed, immutable, audited), the list,
who may do what, and bad input."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from apikit.ids import utcnow
from firemode.assets.models import Asset
from firemode.defects.models import Defect, DefectTransition
from firemode.identity.models import SecurityEvent
from firemode.records.models import ServiceRecord
from tests.conftest import ServiceClient
from tests.firemode.conftest import Account
from tests.firemode.defects.conftest import open_defect
from tests.firemode.defects.test_transitions import move
from tests.firemode.evidence.test_api import JPEG, upload
from tests.firemode.reports.conftest import (
    backdate_assets,
    make_report,
    new_id,
    pdf_text,
    recomputed_sha256,
    routine_lines,
    visit,
)
from tests.firemode.schedule.conftest import add_assets, decommission, start_session


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def set_times(client: ServiceClient, defect_id: str, opened: datetime, moved: datetime | None) -> None:
    """A defect opened at ``opened`` and every move of it made at ``moved``."""
    async with client.app.state.database.transactional() as session:
        await session.execute(
            update(Defect)
            .where(Defect.id == uuid.UUID(defect_id))
            .values(created_at=opened, updated_at=moved or opened)
        )
        if moved is not None:
            await session.execute(
                update(DefectTransition)
                .where(DefectTransition.defect_id == uuid.UUID(defect_id))
                .values(created_at=moved)
            )


async def close(client: ServiceClient, technician: Account, supervisor: Account, defect_id: str) -> None:
    for to in ("acknowledged", "repair_scheduled", "repaired"):
        assert (await move(client, technician, defect_id, to)).status_code == 200
    for to in ("verified", "closed"):
        assert (await move(client, supervisor, defect_id, to)).status_code == 200


@pytest.fixture
async def season(
    firemode: ServiceClient,
    technician: Account,
    other_technician: Account,
    supervisor: Account,
    building: str,
    routines: int,
    clock: list[datetime],
) -> dict[str, Any]:
    """Half a year of work on a register started on 1 January 2025 (see the test for what it holds)."""
    ids = await add_assets(
        firemode,
        building,
        supervisor,
        [
            ("EXT-001", "portable_extinguisher"),
            ("EXT-002", "portable_extinguisher"),
            ("BLK-001", "fire_blanket"),
            ("FD/1", "fire_door"),
            ("OLD-001", "fire_blanket"),
        ],
    )
    await decommission(firemode, supervisor, ids["OLD-001"])  # today: after the period began
    await backdate_assets(firemode, at("2025-01-01T00:00:00"))
    first = await visit(
        firemode,
        clock,
        technician,
        building,
        at("2026-02-10T01:00:00"),
        {
            "EXT-001": {"result": "pass", "routine": "six_monthly"},
            "EXT-002": {
                "result": "fail",
                "routine": "six_monthly",
                "defect": {"condition": "discharged", "description": "Found discharged on its bracket"},
            },
            "BLK-001": {"result": "no_access", "routine": "six_monthly"},
        },
    )
    await visit(
        firemode,
        clock,
        other_technician,
        building,
        at("2026-03-05T01:00:00"),
        {"EXT-001": {"result": "pass", "routine": "yearly"}},
    )
    await visit(
        firemode,
        clock,
        other_technician,
        building,
        at("2026-03-06T01:00:00"),
        {"EXT-001": {"result": "pass", "routine": "six_monthly"}},
    )
    clock[0] = at("2026-07-02T00:00:00")
    photo = await upload(firemode, technician, JPEG, session_id=first, evidence_type="photo")
    assert photo.status_code == 201, photo.text
    unrelated = await upload(firemode, supervisor, JPEG[:-1] + b"\x00", filename="elsewhere.jpg")
    door_photo = await upload(firemode, supervisor, JPEG[:-2] + b"\x00\x01", filename="door.jpg")

    async with firemode.app.state.database.reading() as session:
        [critical] = (await session.execute(select(Defect.id))).scalars().all()
    critical_id = str(critical)
    # Acknowledged today, after the period: on its last day it was still open.
    assert (await move(firemode, technician, critical_id, "acknowledged")).status_code == 200
    closed = await open_defect(
        firemode,
        supervisor,  # the photo is the supervisor's own
        asset_id=ids["FD/1"],
        severity="non_critical",
        description="Closer arm loose",
        evidence_ids=[door_photo.json()["evidence_id"]],
    )
    await close(firemode, technician, supervisor, closed["defect_id"])
    await set_times(firemode, closed["defect_id"], at("2026-01-15T00:00:00"), at("2026-03-01T00:00:00"))
    older = await open_defect(
        firemode, technician, asset_id=ids["FD/1"], severity="non_conformance", description="No label"
    )
    await set_times(firemode, older["defect_id"], at("2025-06-01T00:00:00"), None)
    gone = await open_defect(firemode, technician, asset_id=ids["BLK-001"], severity="non_critical")
    await close(firemode, technician, supervisor, gone["defect_id"])
    await set_times(firemode, gone["defect_id"], at("2025-03-01T00:00:00"), at("2025-04-01T00:00:00"))
    await open_defect(firemode, technician, asset_id=ids["BLK-001"], severity="critical")  # after the period
    return {
        "ids": ids,
        "first_session": first,
        "critical": critical_id,
        "closed": closed["defect_id"],
        "older": older["defect_id"],
        "photo": photo.json(),
        "door_photo": door_photo.json(),
        "unrelated": unrelated.json(),
    }


async def test_a_report_says_what_the_period_holds(
    firemode: ServiceClient,
    supervisor: Account,
    technician: Account,
    other_technician: Account,
    building: str,
    season: dict[str, Any],
) -> None:
    report = await make_report(firemode, supervisor, building, "2026-01-01", "2026-06-30")
    assert report["status"] == "draft"
    assert (report["period_start"], report["period_end"], report["as_of"]) == (
        "2026-01-01",
        "2026-06-30",
        "2026-06-30",
    )
    assert report["building"]["name"] == "Harbour Tower"
    assert report["finalisation"] is None
    assert report["content_sha256"] is None

    lines = routine_lines(report)
    expected = {
        # (tag, routine): (latest outcome in the period, last pass or fail, state on 30 June)
        ("EXT-001", "six_monthly"): ("pass", "2026-03-06", "not_due"),
        ("EXT-001", "yearly"): ("pass", "2026-03-05", "not_due"),
        ("EXT-001", "five_yearly"): (None, None, "never_done"),  # a cycle since registration: 2030
        ("EXT-002", "six_monthly"): ("fail", "2026-02-10", "not_due"),  # a fail is the test done
        ("EXT-002", "yearly"): (None, None, "overdue"),  # registered 2025-01-01, due by 2026-01-31
        ("EXT-002", "five_yearly"): (None, None, "never_done"),
        ("BLK-001", "six_monthly"): ("no_access", None, "overdue"),  # no access does not do it
        ("FD/1", "six_monthly"): (None, None, "overdue"),
        ("OLD-001", "six_monthly"): (None, None, None),  # decommissioned: shown, nothing owed
    }
    assert {
        key: (line["outcome"], line["last_done"], line["state"]) for key, line in lines.items()
    } == expected
    assert lines["EXT-001", "six_monthly"]["performed_at"] == "2026-03-06T01:00:00Z"
    assert lines["EXT-001", "six_monthly"]["next_due"] == "2026-09-06"
    assert lines["EXT-002", "yearly"]["next_due"] == "2026-01-01"
    assert [asset["tag"] for asset in report["assets"]] == [
        "BLK-001",
        "EXT-001",
        "EXT-002",
        "FD/1",
        "OLD-001",
    ]
    assert {asset["tag"]: asset["status"] for asset in report["assets"]}["OLD-001"] == "decommissioned"

    summary = report["summary"]
    assert summary["compliant"] is False
    assert summary["reasons"] == ["3 routine(s) overdue", "1 critical defect(s) not rectified"]
    assert (summary["assets"], summary["routines"], summary["recorded_in_period"]) == (5, 9, 4)
    assert summary["outcomes"] == {"pass": 2, "fail": 1, "not_tested": 0, "no_access": 1}
    assert (summary["not_due"], summary["due"], summary["overdue"], summary["never_done"]) == (3, 0, 3, 2)
    assert summary["critical_defects_unrectified"] == 1

    defects = report["defects"]
    none = {"critical": 0, "non_critical": 0, "non_conformance": 0, "unclassified": 0}
    assert defects["opened"] == {**none, "critical": 1, "non_critical": 1}
    assert defects["closed"] == {**none, "non_critical": 1}
    assert defects["outstanding"] == {**none, "critical": 1, "non_conformance": 1}
    items = {item["defect_id"]: item for item in defects["items"]}
    assert set(items) == {season["critical"], season["closed"], season["older"]}
    critical = items[season["critical"]]
    assert (critical["tag"], critical["severity"], critical["condition"]) == (
        "EXT-002",
        "critical",
        "discharged",
    )
    assert critical["status"] == "open"  # acknowledged only after the period
    assert critical["opened_at"] == "2026-02-10T01:00:00Z"
    assert critical["overdue"] is True  # written notice was due within 24 hours
    closed = items[season["closed"]]
    assert (closed["status"], closed["closed_at"], closed["overdue"]) == (
        "closed",
        "2026-03-01T00:00:00Z",
        False,
    )
    assert items[season["older"]]["status"] == "open"
    assert items[season["older"]]["due_at"] is None

    evidence = {item["evidence_id"]: item for item in report["evidence"]}
    # The session's photo and the one a defect links; not the unrelated upload.
    assert set(evidence) == {season["photo"]["evidence_id"], season["door_photo"]["evidence_id"]}
    assert evidence[season["photo"]["evidence_id"]]["sha256"] == season["photo"]["sha256"]
    assert evidence[season["photo"]["evidence_id"]]["session_id"] == season["first_session"]
    assert summary["evidence"] == 2

    technicians = {item["email"]: item["records"] for item in report["technicians"]}
    assert technicians == {technician.email: 3, other_technician.email: 2}

    # The same report read again is the same report (worked out afresh, same data).
    again = await firemode.get(f"/v1/reports/{report['report_id']}", headers=supervisor.headers)
    assert again.status_code == 200
    assert {**again.json(), "generated_at": None} == {**report, "generated_at": None}


async def test_the_pdf_says_what_the_json_says(
    firemode: ServiceClient, supervisor: Account, building: str, season: dict[str, Any]
) -> None:
    report = await make_report(firemode, supervisor, building, "2026-01-01", "2026-06-30")
    response = await firemode.get(f"/v1/reports/{report['report_id']}/pdf", headers=supervisor.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert response.headers["content-disposition"] == (
        'attachment; filename="compliance-report-harbour-tower-2026-01-01-to-2026-06-30.pdf"'
    )
    text = pdf_text(response.content)
    assert "Compliance report" in text
    assert "Harbour Tower" in text
    assert "2026-01-01 to 2026-06-30" in text
    assert "NOT COMPLIANT" in text
    assert "3 routine(s) overdue; 1 critical defect(s) not rectified" in text
    assert "DRAFT" in text
    for asset in report["assets"]:
        assert asset["tag"] in text
    for item in report["defects"]["items"]:
        assert item["description"] in text
    for item in report["evidence"]:
        assert item["sha256"] in text
    for person in report["technicians"]:
        assert person["email"] in text
    assert f"Assets in the register for the period {report['summary']['assets']}" in text
    assert f"Overdue {report['summary']['overdue']}" in text


async def test_finalising_freezes_signs_and_hashes_the_report(
    firemode: ServiceClient,
    supervisor: Account,
    technician: Account,
    building: str,
    season: dict[str, Any],
    clock: list[datetime],
) -> None:
    report = await make_report(firemode, supervisor, building, "2026-01-01", "2026-06-30")
    url = f"/v1/reports/{report['report_id']}"
    clock[0] = at("2026-07-03T04:05:06")
    response = await firemode.post(
        f"{url}/finalise",
        json={"signed_by_name": "Alex Chen, Fire Safety Manager"},
        headers=supervisor.headers,
    )
    assert response.status_code == 200, response.text
    final = response.json()
    assert final["status"] == "final"
    assert final["finalisation"] == {
        "signed_by_name": "Alex Chen, Fire Safety Manager",
        "finalised_by": str(supervisor.user_id),
        "finalised_at": "2026-07-03T04:05:06Z",
    }
    assert final["content_sha256"] == recomputed_sha256(final)
    assert {**final, "generated_at": None, "status": None, "finalisation": None, "content_sha256": None} == {
        **report,
        "generated_at": None,
        "status": None,
    }

    # Later work in the period changes nothing of it.
    late = await open_defect(firemode, technician, asset_id=season["ids"]["EXT-001"], severity="critical")
    await set_times(firemode, late["defect_id"], at("2026-05-01T00:00:00"), None)
    clock[0] = at("2026-08-01T00:00:00")
    read = await firemode.get(url, headers=supervisor.headers)
    assert read.json() == final
    assert read.headers["ETag"]
    unchanged = await firemode.get(url, headers={**supervisor.headers, "If-None-Match": read.headers["ETag"]})
    assert unchanged.status_code == 304
    # ... while a new draft of the same period sees it.
    fresh = await make_report(firemode, supervisor, building, "2026-01-01", "2026-06-30")
    assert fresh["summary"]["critical_defects_unrectified"] == 2

    again = await firemode.post(
        f"{url}/finalise", json={"signed_by_name": "Someone Else"}, headers=supervisor.headers
    )
    assert again.status_code == 409
    assert again.json()["details"]["signed_by_name"] == "Alex Chen, Fire Safety Manager"
    assert (await firemode.get(url, headers=supervisor.headers)).json() == final

    first_pdf = await firemode.get(f"{url}/pdf", headers=supervisor.headers)
    second_pdf = await firemode.get(f"{url}/pdf", headers=supervisor.headers)
    assert first_pdf.content == second_pdf.content  # a final report's PDF is the same file each time
    text = pdf_text(first_pdf.content)
    assert "Alex Chen, Fire Safety Manager" in text
    assert final["content_sha256"] in text
    assert "DRAFT" not in text

    async with firemode.app.state.database.reading() as session:
        events = (
            (await session.execute(select(SecurityEvent).where(SecurityEvent.event == "report_finalised")))
            .scalars()
            .all()
        )
    assert [
        (event.actor_id, event.details["report_id"], event.details["content_sha256"]) for event in events
    ] == [(supervisor.user_id, final["report_id"], final["content_sha256"])]


async def test_compliant_when_nothing_is_overdue_and_no_critical_defect_is_unrectified(
    firemode: ServiceClient,
    technician: Account,
    supervisor: Account,
    building: str,
    routines: int,
) -> None:
    ids = await add_assets(firemode, building, supervisor, [("EXT-001", "portable_extinguisher")])
    today = utcnow().date()
    start, end = (today - timedelta(days=30)).isoformat(), (today + timedelta(days=30)).isoformat()
    report = await make_report(firemode, supervisor, building, start, end)
    assert report["as_of"] == today.isoformat()  # the period has not ended: states as of today
    assert report["summary"]["compliant"] is True
    assert report["summary"]["reasons"] == []
    assert report["summary"]["never_done"] == 3  # registered today: nothing owed yet

    defect = await open_defect(firemode, technician, asset_id=ids["EXT-001"], severity="critical")
    report = await make_report(firemode, supervisor, building, start, end)
    assert report["summary"]["compliant"] is False
    assert report["summary"]["reasons"] == ["1 critical defect(s) not rectified"]
    for to in ("acknowledged", "repair_scheduled", "repaired"):
        assert (await move(firemode, technician, defect["defect_id"], to)).status_code == 200
    report = await make_report(firemode, supervisor, building, start, end)
    assert report["summary"]["compliant"] is True  # repaired: rectified, awaiting verification
    assert report["defects"]["outstanding"]["critical"] == 1  # still listed until closed

    pdf = await firemode.get(f"/v1/reports/{report['report_id']}/pdf", headers=supervisor.headers)
    assert "COMPLIANT" in pdf_text(pdf.content)
    assert "NOT COMPLIANT" not in pdf_text(pdf.content)


async def test_a_buildings_reports_newest_first(
    firemode: ServiceClient, supervisor: Account, admin: Account, building: str, routines: int
) -> None:
    made = [
        await make_report(firemode, supervisor, building, f"2026-0{month}-01", f"2026-0{month}-28")
        for month in (1, 2, 3)
    ]
    finalised = await firemode.post(
        f"/v1/reports/{made[1]['report_id']}/finalise",
        json={"signed_by_name": "A. Owner"},
        headers=admin.headers,
    )
    assert finalised.status_code == 200
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = await firemode.get(
            f"/v1/buildings/{building}/reports", params=params, headers=supervisor.headers
        )
        assert page.status_code == 200, page.text
        seen.extend(page.json()["data"])
        if page.json()["next_cursor"] is None:
            break
        params["cursor"] = page.json()["next_cursor"]
    assert [item["report_id"] for item in seen] == [report["report_id"] for report in reversed(made)]
    middle = seen[1]
    assert (middle["status"], middle["signed_by_name"]) == ("final", "A. Owner")
    assert middle["content_sha256"] == finalised.json()["content_sha256"]
    assert (seen[0]["status"], seen[0]["content_sha256"]) == ("draft", None)
    assert set(seen[0]) == {
        "report_id", "building_id", "period_start", "period_end", "status", "created_by",
        "created_at", "signed_by_name", "finalised_at", "content_sha256",
    }  # fmt: skip


async def test_who_may_do_what(
    firemode: ServiceClient,
    technician: Account,
    supervisor: Account,
    admin: Account,
    building: str,
    routines: int,
) -> None:
    report = await make_report(firemode, admin, building, "2026-01-01", "2026-01-31")
    url = f"/v1/reports/{report['report_id']}"
    calls = [
        (
            "POST",
            f"/v1/buildings/{building}/reports",
            {"period_start": "2026-01-01", "period_end": "2026-01-31"},
        ),
        ("GET", f"/v1/buildings/{building}/reports", None),
        ("GET", url, None),
        ("GET", f"{url}/pdf", None),
        ("POST", f"{url}/finalise", {"signed_by_name": "Tech"}),
    ]
    for method, path, body in calls:
        anonymous = await firemode.request(method, path, json=body)
        assert anonymous.status_code == 401, (method, path)
        refused = await firemode.request(method, path, json=body, headers=technician.headers)
        assert refused.status_code == 403, (method, path)
    assert (await firemode.get(url, headers=technician.headers)).json()["error_code"] == "FIRE-403"

    unknown_building = f"/v1/buildings/{new_id()}/reports"
    missing = await firemode.post(
        unknown_building,
        json={"period_start": "2026-01-01", "period_end": "2026-01-31"},
        headers=supervisor.headers,
    )
    assert missing.status_code == 404
    assert (await firemode.get(unknown_building, headers=supervisor.headers)).status_code == 404
    unknown = f"/v1/reports/{new_id()}"
    assert (await firemode.get(unknown, headers=supervisor.headers)).status_code == 404
    assert (await firemode.get(f"{unknown}/pdf", headers=supervisor.headers)).status_code == 404
    finalise_unknown = await firemode.post(
        f"{unknown}/finalise", json={"signed_by_name": "X"}, headers=supervisor.headers
    )
    assert finalise_unknown.status_code == 404
    # Nothing the refused calls tried happened.
    assert (await firemode.get(url, headers=supervisor.headers)).json()["status"] == "draft"


@pytest.mark.parametrize(
    "body",
    [
        {"period_start": "2026-02-01", "period_end": "2026-01-31"},  # ends before it starts
        {"period_start": "2999-01-01", "period_end": "2999-12-31"},  # not begun
        {"period_start": "2015-01-01", "period_end": "2025-12-31"},  # more than five years
        {"period_start": "2026-02-30", "period_end": "2026-03-31"},  # no such day
        {"period_start": "2026-01-01"},
        {"period_start": 20260101, "period_end": "2026-03-31"},
        {"period_start": "2026-01-01", "period_end": "2026-03-31", "extra": True},
        {"period_start": None, "period_end": "2026-03-31"},
        [],
    ],
)
async def test_a_bad_period_is_422(
    firemode: ServiceClient, supervisor: Account, building: str, body: Any
) -> None:
    response = await firemode.post(f"/v1/buildings/{building}/reports", json=body, headers=supervisor.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error_code"] == "FIRE-422"
    listed = await firemode.get(f"/v1/buildings/{building}/reports", headers=supervisor.headers)
    assert listed.json()["data"] == []


async def test_bad_finalise_input_and_ids(
    firemode: ServiceClient, supervisor: Account, building: str, routines: int
) -> None:
    report = await make_report(firemode, supervisor, building, "2026-01-01", "2026-01-31")
    url = f"/v1/reports/{report['report_id']}/finalise"
    for body in (
        {},
        {"signed_by_name": ""},
        {"signed_by_name": "x" * 201},
        {"signed_by_name": 5},
        {"signed_by_name": "a\u0000b"},
    ):
        response = await firemode.post(url, json=body, headers=supervisor.headers)
        assert response.status_code == 422, body
    for path in ("/v1/reports/not-an-id", "/v1/reports/not-an-id/pdf", "/v1/buildings/nope/reports"):
        assert (await firemode.get(path, headers=supervisor.headers)).status_code == 422, path
    assert (
        await firemode.get(f"/v1/buildings/{building}/reports?cursor=garbage", headers=supervisor.headers)
    ).status_code == 400
    assert (await firemode.get(f"/v1/reports/{report['report_id']}", headers=supervisor.headers)).json()[
        "status"
    ] == "draft"


async def test_a_unicode_building_prints(firemode: ServiceClient, supervisor: Account, routines: int) -> None:
    body = {"name": "Tōkyō Tower — 東京 Ħall", "address": "1 Ünïcode Lane, Zürich"}
    created = await firemode.post("/v1/buildings", json=body, headers=supervisor.headers)
    building = created.json()["building_id"]
    await add_assets(firemode, building, supervisor, [("ÉXT-ü", "portable_extinguisher")])
    today = utcnow().date().isoformat()
    report = await make_report(firemode, supervisor, building, "2026-01-01", today)
    response = await firemode.get(f"/v1/reports/{report['report_id']}/pdf", headers=supervisor.headers)
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Ünïcode Lane, Zürich" in text
    assert "ÉXT-ü" in text
    disposition = response.headers["content-disposition"]
    assert disposition == f'attachment; filename="compliance-report-t-ky-tower-all-2026-01-01-to-{today}.pdf"'


async def test_a_report_of_a_thousand_assets_and_two_hundred_defects(
    firemode: ServiceClient,
    technician: Account,
    supervisor: Account,
    building: str,
    routines: int,
) -> None:
    """The register, records and defects written to the tables (the endpoints that write them are
    other domains', tested there); the report read through the API, JSON and PDF."""
    session_id = await start_session(firemode, technician, building)
    registered, done = at("2025-01-01T00:00:00"), at("2026-03-01T02:00:00")
    async with firemode.app.state.database.transactional() as session:
        assets = [
            Asset(
                building_id=uuid.UUID(building),
                tag=f"EXT-{number:04d}",
                asset_type="portable_extinguisher",
                location=f"Level {number % 40}",
                created_by=supervisor.user_id,
                tag_key=f"ext-{number:04d}",
                location_key=f"level {number % 40}",
                created_at=registered,
                updated_at=registered,
            )
            for number in range(1000)
        ]
        session.add_all(assets)
        await session.flush()
        session.add_all(
            ServiceRecord(
                asset_id=asset.id,
                building_id=asset.building_id,
                session_id=uuid.UUID(session_id),
                routine=routine,
                routine_version=routines,
                outcome="fail" if number % 10 == 0 else "pass",
                technicians=[str(technician.user_id)],
                performed_at=done,
            )
            for number, asset in enumerate(assets)
            for routine in ("six_monthly", "yearly")
        )
        session.add_all(
            Defect(
                asset_id=assets[number * 5].id,
                building_id=assets[number * 5].building_id,
                severity=("critical", "non_critical", "non_conformance", None)[number % 4],
                description=f"Defect number {number}",
                status="open",
                opened_by=technician.user_id,
                created_at=done,
                updated_at=done,
            )
            for number in range(200)
        )
    report = await make_report(firemode, supervisor, building, "2026-01-01", "2026-06-30")
    summary = report["summary"]
    assert (summary["assets"], summary["routines"], summary["recorded_in_period"]) == (1000, 3000, 2000)
    assert summary["outcomes"] == {"pass": 1800, "fail": 200, "not_tested": 0, "no_access": 0}
    assert (summary["not_due"], summary["never_done"], summary["overdue"]) == (2000, 1000, 0)
    assert summary["critical_defects_unrectified"] == 50
    assert report["defects"]["outstanding"] == {
        "critical": 50,
        "non_critical": 50,
        "non_conformance": 50,
        "unclassified": 50,
    }
    assert len(report["defects"]["items"]) == 200
    assert report["technicians"] == [
        {"user_id": str(technician.user_id), "name": None, "email": technician.email, "records": 2000}
    ]

    response = await firemode.get(f"/v1/reports/{report['report_id']}/pdf", headers=supervisor.headers)
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "EXT-0000" in text
    assert "EXT-0999" in text
    assert "Defect number 199" in text
    assert f"Routines (asset × routine service) {summary['routines']}" in text
