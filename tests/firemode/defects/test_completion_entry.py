"""``open_defect``, the entry session completion calls: the rules classify a condition, and a
defect nothing classifies is kept unclassified rather than lost."""

from __future__ import annotations

import uuid

from firemode.assets.models import Asset
from firemode.defects.models import Defect
from firemode.defects.service import DuePolicy, open_defect
from tests.conftest import ServiceClient
from tests.firemode.conftest import Account
from tests.firemode.defects.conftest import Site


async def opened(client: ServiceClient, who: Account, asset_id: str, **fields: object) -> Defect:
    async with client.app.state.database.transactional() as session:
        asset = await session.get(Asset, uuid.UUID(asset_id))
        assert asset is not None
        return await open_defect(
            session,
            asset=asset,
            opened_by=who.user_id,
            description="From the session",
            due=DuePolicy(30),
            **fields,
        )


async def test_completion_classifies_by_the_rules(
    firemode: ServiceClient, technician: Account, site: Site
) -> None:
    defect = await opened(firemode, technician, site.extinguisher, condition="pressure_low")
    assert (defect.severity, defect.rule_version, defect.status) == ("critical", 1, "open")
    read = await firemode.get(f"/v1/defects/{defect.id}", headers=technician.headers)
    assert read.json()["severity"] == "critical"


async def test_completion_keeps_a_defect_no_rule_classifies(
    firemode: ServiceClient, technician: Account, site: Site
) -> None:
    defect = await opened(firemode, technician, site.door, condition="graffiti")
    assert (defect.severity, defect.rule_version, defect.due_at) == (None, None, None)
    listed = await firemode.get("/v1/defects?severity=unclassified", headers=technician.headers)
    assert [row["defect_id"] for row in listed.json()["data"]] == [str(defect.id)]
    assert listed.json()["data"][0]["severity"] is None
