"""The defect list and detail on the fast read path: the same answers as the response models make
of the ORM's rows, and bad input a 4xx."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from firemode.defects.models import Defect
from firemode.defects.schemas import DefectResponse, DefectSummary
from tests.conftest import ServiceClient
from tests.firemode.conftest import Account
from tests.firemode.defects.conftest import Site, open_defect
from tests.firemode.evidence.test_api import JPEG, upload


async def test_the_fast_reads_answer_what_the_models_write(
    firemode: ServiceClient, technician: Account, supervisor: Account, site: Site
) -> None:
    """Every field, the evidence ids compared as JSON, the transitions in order, an unclassified
    defect's nulls; fields in the models' order."""
    evidence = (await upload(firemode, technician, JPEG)).json()["evidence_id"]
    moved = await open_defect(
        firemode, technician, asset_id=site.extinguisher, condition="discharged", evidence_ids=[evidence]
    )
    for step, note in (("acknowledged", None), ("repair_scheduled", 'Ünïcode "quoted" ✓')):
        response = await firemode.post(
            f"/v1/defects/{moved['defect_id']}/transitions",
            json={"to": step, "note": note},
            headers=supervisor.headers,
        )
        assert response.status_code == 200, response.text
    unclassified = await open_defect(firemode, technician, asset_id=site.door, severity="non_conformance")
    async with firemode.app.state.database.transactional() as session:  # as completion leaves one
        await session.execute(
            update(Defect).where(Defect.id == uuid.UUID(unclassified["defect_id"])).values(severity=None)
        )

    async with firemode.app.state.database.read_sessions() as orm:
        rows = list(
            await orm.scalars(
                select(Defect)
                .options(selectinload(Defect.transitions))
                .order_by(Defect.created_at.desc(), Defect.id.desc())
            )
        )
        details = [DefectResponse.model_validate(row).model_dump(mode="json") for row in rows]
        summaries = [DefectSummary.model_validate(row).model_dump(mode="json") for row in rows]
    assert [len(detail["transitions"]) for detail in details] == [0, 2]
    assert details[0]["severity"] is None
    assert details[1]["evidence_ids"] == [evidence]

    listed = await firemode.get("/v1/defects", headers=technician.headers)
    assert listed.status_code == 200
    assert listed.json() == {"data": summaries, "next_cursor": None}
    assert [list(defect) for defect in listed.json()["data"]] == [list(summary) for summary in summaries]
    for expected in details:
        detail = await firemode.get(f"/v1/defects/{expected['defect_id']}", headers=technician.headers)
        assert detail.status_code == 200
        assert detail.json() == expected
        assert list(detail.json()) == list(expected)
    only_unclassified = await firemode.get("/v1/defects?severity=unclassified", headers=technician.headers)
    assert only_unclassified.json() == {"data": [summaries[0]], "next_cursor": None}
    either = await firemode.get(
        f"/v1/defects?severity=unclassified&severity=critical&building_id={site.building_id}&overdue=false",
        headers=technician.headers,
    )
    assert either.json() == {"data": summaries, "next_cursor": None}


@pytest.mark.parametrize("cursor", ["junk", "a.b", "e30.AAAA", "A" * 3000])
async def test_a_bad_cursor_is_400(firemode: ServiceClient, technician: Account, cursor: str) -> None:
    response = await firemode.get("/v1/defects", params={"cursor": cursor}, headers=technician.headers)
    assert response.status_code == 400
    assert response.json()["error_code"] == "FIRE-400"


async def test_another_lists_cursor_is_400(firemode: ServiceClient, technician: Account, site: Site) -> None:
    """A building's register cursor (validly signed, the site has two assets) is not a defect list's."""
    register = await firemode.get(
        f"/v1/buildings/{site.building_id}/assets", params={"limit": 1}, headers=technician.headers
    )
    cursor: Any = register.json()["next_cursor"]
    assert cursor is not None
    response = await firemode.get("/v1/defects", params={"cursor": cursor}, headers=technician.headers)
    assert response.status_code == 400


@pytest.mark.parametrize("defect_id", ["not-an-id", "1234"])
async def test_a_malformed_defect_id_is_422(
    firemode: ServiceClient, technician: Account, defect_id: str
) -> None:
    assert (await firemode.get(f"/v1/defects/{defect_id}", headers=technician.headers)).status_code == 422
