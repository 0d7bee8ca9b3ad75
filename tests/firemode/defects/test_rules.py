"""Classification rules: versioned, shipped with defaults for every asset type, changed by admins
as a new version that classifies future defects and leaves past ones alone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from firemode.assets.asset_types import AssetType
from firemode.defects.shipped_rules import shipped_rules
from firemode.defects.vocabulary import Severity
from tests.conftest import ServiceClient
from tests.firemode.conftest import Account
from tests.firemode.defects.conftest import Site, open_defect


async def current_rules(client: ServiceClient, who: Account) -> dict[str, Any]:
    response = await client.get("/v1/rules", headers=who.headers)
    assert response.status_code == 200, response.text
    rules: dict[str, Any] = response.json()
    return rules


def test_the_shipped_rules_cover_every_asset_type_and_name_their_source() -> None:
    rules = shipped_rules()
    assert {rule.asset_type for rule in rules} == set(AssetType)
    for kind in AssetType:
        severities = {rule.severity for rule in rules if rule.asset_type == kind}
        assert Severity.CRITICAL in severities, kind  # each type's failure to perform is classified
    for rule in rules:
        assert rule.source is not None
        assert rule.source.startswith(("AS 1851-2012, definition of", "Common contractor practice")), rule


async def test_everyone_reads_the_shipped_version(firemode: ServiceClient, technician: Account) -> None:
    rules = await current_rules(firemode, technician)
    assert rules["version"] == 1
    assert rules["created_by"] is None
    assert len(rules["rules"]) == len(shipped_rules())
    versions = await firemode.get("/v1/rules/versions", headers=technician.headers)
    assert [v["version"] for v in versions.json()] == [1]
    classified = await firemode.post(
        "/v1/rules/classify",
        json={"asset_type": "portable_extinguisher", "condition": "discharged"},
        headers=technician.headers,
    )
    assert classified.json() == {"severity": "critical", "rule_version": 1}


async def test_a_new_version_classifies_future_defects_not_past_ones(
    firemode: ServiceClient, admin: Account, technician: Account, site: Site
) -> None:
    before = await open_defect(firemode, technician, asset_id=site.door, condition="seal_damaged")
    assert (before["severity"], before["rule_version"]) == ("non_critical", 1)

    document = await current_rules(firemode, admin)
    for rule in document["rules"]:
        if (rule["asset_type"], rule["condition"]) == ("fire_door", "seal_damaged"):
            rule["severity"] = "critical"
    document["rules"].append(
        {"asset_type": "fire_door", "condition": "paint_on_hinges", "severity": "non_conformance"}
    )
    document["note"] = "Seals are critical on this contract"
    put = await firemode.put(
        "/v1/rules", json=document, headers=admin.headers
    )  # a GET's document, written back
    assert put.status_code == 201, put.text
    assert (put.json()["version"], put.json()["created_by"]) == (2, str(admin.user_id))
    assert put.json()["note"] == "Seals are critical on this contract"

    after = await open_defect(firemode, technician, asset_id=site.door, condition="seal_damaged")
    assert (after["severity"], after["rule_version"]) == ("critical", 2)
    assert hours_due(after) == 24
    new = await open_defect(firemode, technician, asset_id=site.door, condition="paint_on_hinges")
    assert (new["severity"], new["rule_version"], new["due_at"]) == ("non_conformance", 2, None)
    past = (await firemode.get(f"/v1/defects/{before['defect_id']}", headers=technician.headers)).json()
    assert (past["severity"], past["rule_version"], past["due_at"]) == ("non_critical", 1, before["due_at"])

    versions = (await firemode.get("/v1/rules/versions", headers=technician.headers)).json()
    assert [v["version"] for v in versions] == [2, 1]
    assert (await current_rules(firemode, technician))["version"] == 2


def hours_due(defect: dict[str, Any]) -> float:
    due = datetime.fromisoformat(defect["due_at"]) - datetime.fromisoformat(defect["created_at"])
    return due.total_seconds() / 3600


async def test_only_admins_put_rules(
    firemode: ServiceClient, technician: Account, supervisor: Account
) -> None:
    document = {"rules": [{"asset_type": "fire_door", "condition": "ajar", "severity": "critical"}]}
    for who in (technician, supervisor):
        refused = await firemode.put("/v1/rules", json=document, headers=who.headers)
        assert refused.status_code == 403
        assert refused.json()["error_code"] == "FIRE-403"
    assert (await firemode.put("/v1/rules", json=document)).status_code == 401
    assert (await current_rules(firemode, technician))["version"] == 1
    for method, path in [("GET", "/v1/rules"), ("GET", "/v1/rules/versions"), ("POST", "/v1/rules/classify")]:
        assert (await firemode.request(method, path)).status_code == 401


@pytest.mark.parametrize(
    "rules",
    [
        [],
        [{"asset_type": "fire_truck", "condition": "flat_tyre", "severity": "critical"}],
        [{"asset_type": "fire_door", "condition": "ajar", "severity": "urgent"}],
        [{"asset_type": "fire_door", "condition": "Ajar Door", "severity": "critical"}],
        [{"asset_type": "fire_door", "condition": "ajar", "severity": "critical", "colour": "red"}],
        [
            {"asset_type": "fire_door", "condition": "ajar", "severity": "critical"},
            {"asset_type": "fire_door", "condition": "ajar", "severity": "non_critical"},
        ],
    ],
)
async def test_rules_are_validated(
    firemode: ServiceClient, admin: Account, technician: Account, rules: list[dict[str, Any]]
) -> None:
    refused = await firemode.put("/v1/rules", json={"rules": rules}, headers=admin.headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error_code"] == "FIRE-422"
    assert (await current_rules(firemode, technician))["version"] == 1


async def test_duplicates_are_named(firemode: ServiceClient, admin: Account) -> None:
    rule = {"asset_type": "fire_door", "condition": "ajar", "severity": "critical"}
    refused = await firemode.put(
        "/v1/rules", json={"rules": [rule, rule | {"severity": "non_critical"}]}, headers=admin.headers
    )
    assert refused.json()["details"] == {
        "field": "rules",
        "duplicates": [{"asset_type": "fire_door", "condition": "ajar"}],
    }


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"asset_type": "fire_door", "condition": "discharged"}, 404),
        ({"asset_type": "fire_truck", "condition": "discharged"}, 422),
        ({"asset_type": "fire_door"}, 422),
        ({"asset_type": "fire_door", "condition": ""}, 422),
    ],
)
async def test_classify_without_a_rule(
    firemode: ServiceClient, technician: Account, body: dict[str, str], status: int
) -> None:
    response = await firemode.post("/v1/rules/classify", json=body, headers=technician.headers)
    assert response.status_code == status, response.text
