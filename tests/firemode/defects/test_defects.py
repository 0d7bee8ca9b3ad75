"""Opening defects: severity given or classified by the rules, due dates by severity, what may be
linked (asset, session, evidence) and who sees what; the list and its filters."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from apikit.ids import utcnow
from firemode.defects.models import Defect
from tests.conftest import ServiceClient
from tests.firemode.conftest import Account
from tests.firemode.defects.conftest import Site, asset, building, open_defect
from tests.firemode.evidence.test_api import JPEG, upload


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_a_given_severity_is_kept_and_sets_the_due_date(
    firemode: ServiceClient, technician: Account, site: Site
) -> None:
    before = utcnow()
    critical = await open_defect(firemode, technician, asset_id=site.extinguisher, severity="critical")
    assert critical["severity"] == "critical"
    assert critical["status"] == "open"
    assert critical["rule_version"] is None
    assert critical["building_id"] == site.building_id
    assert critical["opened_by"] == str(technician.user_id)
    assert critical["transitions"] == []
    assert moment(critical["due_at"]) - moment(critical["created_at"]) == timedelta(hours=24)
    assert moment(critical["created_at"]) >= before

    minor = await open_defect(firemode, technician, asset_id=site.extinguisher, severity="non_critical")
    assert moment(minor["due_at"]) - moment(minor["created_at"]) == timedelta(days=30)
    recorded = await open_defect(firemode, technician, asset_id=site.door, severity="non_conformance")
    assert recorded["due_at"] is None


async def test_without_a_severity_the_rules_classify_and_their_version_is_kept(
    firemode: ServiceClient, technician: Account, site: Site
) -> None:
    defect = await open_defect(firemode, technician, asset_id=site.extinguisher, condition="discharged")
    assert (defect["severity"], defect["rule_version"], defect["condition"]) == ("critical", 1, "discharged")
    door = await open_defect(firemode, technician, asset_id=site.door, condition="seal_damaged")
    assert (door["severity"], door["rule_version"]) == ("non_critical", 1)
    # A severity given wins over the rules, and then no rule version is recorded.
    given = await open_defect(
        firemode, technician, asset_id=site.extinguisher, condition="discharged", severity="non_conformance"
    )
    assert (given["severity"], given["rule_version"]) == ("non_conformance", None)


async def test_neither_severity_nor_a_classified_condition_is_422(
    firemode: ServiceClient, technician: Account, site: Site
) -> None:
    neither = await firemode.post(
        "/v1/defects", json={"asset_id": site.extinguisher, "description": "?"}, headers=technician.headers
    )
    assert neither.status_code == 422
    assert neither.json()["error_code"] == "FIRE-422"
    assert neither.json()["details"]["fields"] == ["severity", "condition"]
    unknown = await firemode.post(
        "/v1/defects",
        json={"asset_id": site.door, "condition": "discharged", "description": "a door is not discharged"},
        headers=technician.headers,
    )
    assert unknown.status_code == 422
    assert unknown.json()["details"] == {"asset_type": "fire_door", "condition": "discharged"}


async def test_non_critical_days_come_from_the_settings(
    firemode: ServiceClient, technician: Account, site: Site
) -> None:
    firemode.app.state.settings.defect_rectify_days = 14
    defect = await open_defect(firemode, technician, asset_id=site.extinguisher, severity="non_critical")
    assert moment(defect["due_at"]) - moment(defect["created_at"]) == timedelta(days=14)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"severity": "catastrophic"}, "severity"),
        ({"description": ""}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"evidence_ids": [str(uuid.uuid4()) for _ in range(51)]}, "evidence_ids"),
        ({"condition": "Not A Key"}, "condition"),
        ({"asset_id": "not-a-uuid"}, "asset_id"),
        ({"extra": 1}, "extra"),
    ],
)
async def test_bad_input_is_422(
    firemode: ServiceClient, technician: Account, site: Site, change: dict[str, object], field: str
) -> None:
    body = {"asset_id": site.extinguisher, "severity": "critical", "description": "x", **change}
    response = await firemode.post("/v1/defects", json=body, headers=technician.headers)
    assert response.status_code == 422, response.text
    assert field in str(response.json()["details"])


async def test_an_unknown_asset_is_422_naming_it(
    firemode: ServiceClient, technician: Account, site: Site
) -> None:
    missing = str(uuid.uuid4())
    response = await firemode.post(
        "/v1/defects",
        json={"asset_id": missing, "severity": "critical", "description": "x"},
        headers=technician.headers,
    )
    assert response.status_code == 422
    assert response.json()["details"] == {"field": "asset_id", "asset_id": missing}


async def test_a_session_must_be_visible_and_of_the_assets_building(
    firemode: ServiceClient, technician: Account, other_technician: Account, supervisor: Account, site: Site
) -> None:
    theirs = await firemode.post(
        "/v1/tests/sessions", json={"building_id": site.building_id}, headers=other_technician.headers
    )
    body = {"asset_id": site.extinguisher, "severity": "critical", "description": "x"}
    hidden = await firemode.post(
        "/v1/defects", json=body | {"session_id": theirs.json()["session_id"]}, headers=technician.headers
    )
    assert hidden.status_code == 404
    assert hidden.json()["details"] == {"session_id": theirs.json()["session_id"]}

    mine = await firemode.post(
        "/v1/tests/sessions", json={"building_id": site.building_id}, headers=technician.headers
    )
    linked = await open_defect(firemode, technician, **body, session_id=mine.json()["session_id"])
    assert linked["session_id"] == mine.json()["session_id"]

    elsewhere = await building(firemode, supervisor, "Elsewhere")
    other = await firemode.post(
        "/v1/tests/sessions", json={"building_id": elsewhere}, headers=technician.headers
    )
    wrong = await firemode.post(
        "/v1/defects", json=body | {"session_id": other.json()["session_id"]}, headers=technician.headers
    )
    assert wrong.status_code == 422
    assert wrong.json()["details"]["field"] == "session_id"


async def test_evidence_is_linked_only_when_the_caller_sees_it(
    firemode: ServiceClient, technician: Account, other_technician: Account, site: Site
) -> None:
    mine = (await upload(firemode, technician, JPEG)).json()["evidence_id"]
    theirs = (await upload(firemode, other_technician, JPEG + b"2")).json()["evidence_id"]
    body = {"asset_id": site.extinguisher, "severity": "critical", "description": "x"}
    refused = await firemode.post(
        "/v1/defects", json=body | {"evidence_ids": [mine, theirs]}, headers=technician.headers
    )
    assert refused.status_code == 422
    assert refused.json()["details"] == {"field": "evidence_ids", "evidence_ids": [theirs]}
    linked = await open_defect(firemode, technician, **body, evidence_ids=[mine, mine])
    assert linked["evidence_ids"] == [mine]


async def test_unknown_defect_is_404_and_a_token_is_required(
    firemode: ServiceClient, technician: Account, site: Site
) -> None:
    missing = await firemode.get(f"/v1/defects/{uuid.uuid4()}", headers=technician.headers)
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "FIRE-404"
    for method, path in [
        ("GET", "/v1/defects"),
        ("POST", "/v1/defects"),
        ("GET", f"/v1/defects/{uuid.uuid4()}"),
    ]:
        assert (await firemode.request(method, path)).status_code == 401


async def test_everyone_signed_in_sees_a_defect(
    firemode: ServiceClient, technician: Account, other_technician: Account, admin: Account, site: Site
) -> None:
    defect = await open_defect(firemode, technician, asset_id=site.extinguisher, severity="critical")
    for who in (other_technician, admin):
        read = await firemode.get(f"/v1/defects/{defect['defect_id']}", headers=who.headers)
        assert read.status_code == 200
        assert read.json() == defect
    etag = read.headers["ETag"]
    unchanged = await firemode.get(
        f"/v1/defects/{defect['defect_id']}", headers=admin.headers | {"If-None-Match": etag}
    )
    assert unchanged.status_code == 304


async def ids(client: ServiceClient, who: Account, query: str) -> list[str]:
    response = await client.get(f"/v1/defects?{query}", headers=who.headers)
    assert response.status_code == 200, response.text
    return [defect["defect_id"] for defect in response.json()["data"]]


async def test_the_list_filters_by_building_severity_status_and_overdue(
    firemode: ServiceClient, technician: Account, supervisor: Account, site: Site
) -> None:
    elsewhere = await building(firemode, supervisor, "Elsewhere")
    far = await asset(firemode, elsewhere, "fire_pump", "PUMP-1", supervisor.user_id)
    critical = await open_defect(firemode, technician, asset_id=site.extinguisher, severity="critical")
    minor = await open_defect(firemode, technician, asset_id=site.door, condition="gap_excessive")
    noted = await open_defect(firemode, technician, asset_id=far, severity="non_conformance")
    late_but_repaired = await open_defect(firemode, technician, asset_id=far, severity="critical")
    for step in ("acknowledged", "repair_scheduled", "repaired"):
        moved = await firemode.post(
            f"/v1/defects/{late_but_repaired['defect_id']}/transitions",
            json={"to": step},
            headers=technician.headers,
        )
        assert moved.status_code == 200

    newest_first = [late_but_repaired, noted, minor, critical]
    assert await ids(firemode, technician, "") == [d["defect_id"] for d in newest_first]
    assert await ids(firemode, technician, f"building_id={site.building_id}") == [
        minor["defect_id"],
        critical["defect_id"],
    ]
    assert await ids(firemode, technician, "severity=critical") == [
        late_but_repaired["defect_id"],
        critical["defect_id"],
    ]
    assert await ids(firemode, technician, "severity=critical&severity=non_conformance&status=open") == [
        noted["defect_id"],
        critical["defect_id"],
    ]
    assert await ids(firemode, technician, "status=repaired") == [late_but_repaired["defect_id"]]
    assert await ids(firemode, technician, "overdue=true") == []

    # Due dates in the past, through the model: the critical and the minor one are now overdue;
    # the repaired one is not (it is fixed), the non-conformance never has a due date.
    async with firemode.app.state.database.transactional() as session:
        await session.execute(update(Defect).values(due_at=utcnow() - timedelta(minutes=1)))
        await session.execute(update(Defect).where(Defect.severity == "non_conformance").values(due_at=None))
    assert await ids(firemode, technician, "overdue=true") == [minor["defect_id"], critical["defect_id"]]
    assert await ids(firemode, technician, "overdue=false") == [
        late_but_repaired["defect_id"],
        noted["defect_id"],
    ]
    assert await ids(
        firemode, technician, f"overdue=true&building_id={site.building_id}&severity=critical"
    ) == [critical["defect_id"]]


async def test_the_list_pages_with_the_kits_cursor(
    firemode: ServiceClient, technician: Account, site: Site
) -> None:
    opened = [
        (await open_defect(firemode, technician, asset_id=site.extinguisher, severity="critical"))[
            "defect_id"
        ]
        for _ in range(5)
    ]
    seen: list[str] = []
    url = "/v1/defects?limit=2&severity=critical"
    while url:
        page = (await firemode.get(url, headers=technician.headers)).json()
        seen += [defect["defect_id"] for defect in page["data"]]
        url = (
            f"/v1/defects?limit=2&severity=critical&cursor={page['next_cursor']}"
            if page["next_cursor"]
            else ""
        )
    assert seen == opened[::-1]
    first = (await firemode.get("/v1/defects?limit=2&severity=critical", headers=technician.headers)).json()
    other_filters = await firemode.get(
        f"/v1/defects?limit=2&severity=non_critical&cursor={first['next_cursor']}", headers=technician.headers
    )
    assert other_filters.status_code == 400


@pytest.mark.parametrize(
    "query", ["severity=catastrophic", "status=lost", "overdue=perhaps", "building_id=nope", "limit=0"]
)
async def test_bad_list_filters_are_422(firemode: ServiceClient, technician: Account, query: str) -> None:
    response = await firemode.get(f"/v1/defects?{query}", headers=technician.headers)
    assert response.status_code == 422
    assert response.json()["error_code"] == "FIRE-422"
