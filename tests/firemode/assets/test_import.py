"""CSV import: every row or none, every bad line named with its number and why."""

from __future__ import annotations

import csv
import io
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from firemode.assets.importing import COLUMNS, column_name
from tests.conftest import ServiceClient
from tests.firemode.assets.conftest import assets_url
from tests.firemode.conftest import Account

HEADER = ["tag", "asset_type", "location", "agent", "capacity_kg", "capacity_l", "length_m", "installed_on"]


def sheet(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def extinguishers(count: int) -> list[list[str]]:
    return [
        [
            f"EXT-{n:05}",
            "portable_extinguisher",
            f"Level {n % 40}",
            "dry_chemical_abe",
            "4.5",
            "",
            "",
            "2024-03-31",
        ]
        for n in range(1, count + 1)
    ]


async def upload(
    client: ServiceClient,
    building: dict[str, Any],
    who: Account,
    content: bytes,
    content_type: str = "text/csv",
) -> Any:
    return await client.post(
        f"{assets_url(building)}/import",
        files={"file": ("assets.csv", content, content_type)},
        headers=who.headers,
    )


async def count(client: ServiceClient, building: dict[str, Any], who: Account) -> int:
    total, cursor = 0, None
    while True:
        params: dict[str, Any] = {"limit": 100} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(assets_url(building), params=params, headers=who.headers)).json()
        total += len(page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            return total


async def test_a_sheet_imports_whole(
    firemode: ServiceClient, building: dict[str, Any], supervisor: Account, technician: Account
) -> None:
    rows = [
        *extinguishers(3),
        ["HR-1", "Fire Hose Reel", "Basement", "", "", "", "36", "01/07/2019"],
        ["WC-1", "portable_extinguisher", "Kitchen", "wet_chemical", "", "7", "", ""],
    ]
    response = await upload(firemode, building, supervisor, sheet(rows))
    assert response.status_code == 201, response.text
    assert response.json() == {"building_id": building["building_id"], "imported": 5}
    listed = (await firemode.get(assets_url(building), headers=technician.headers)).json()["data"]
    by_tag = {asset["tag"]: asset for asset in listed}
    assert by_tag["HR-1"]["asset_type"] == "fire_hose_reel"
    assert by_tag["HR-1"]["details"] == {"length_m": 36.0}
    assert by_tag["HR-1"]["installed_on"] == "2019-07-01"
    assert by_tag["WC-1"]["details"] == {"agent": "wet_chemical", "capacity_l": 7.0}
    assert by_tag["EXT-00001"]["details"] == {"agent": "dry_chemical_abe", "capacity_kg": 4.5}
    assert by_tag["EXT-00001"]["status"] == "active"
    assert by_tag["EXT-00001"]["created_by"] == str(supervisor.user_id)


async def test_one_bad_line_in_five_thousand_imports_nothing(
    firemode: ServiceClient, building: dict[str, Any], admin: Account
) -> None:
    rows = extinguishers(5000)
    rows[3115][4] = "four"  # file line 3,117: the header is line 1
    response = await upload(firemode, building, admin, sheet(rows))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error_code"] == "FIRE-422"
    assert body["details"]["bad_lines"] == 1
    assert body["details"]["errors"] == [
        {"line": 3117, "field": "capacity_kg", "message": body["details"]["errors"][0]["message"]}
    ]
    assert "3117" in body["message"]
    assert await count(firemode, building, admin) == 0
    rows[3115][4] = "4.5"
    fixed = await upload(firemode, building, admin, sheet(rows))
    assert fixed.status_code == 201
    assert fixed.json()["imported"] == 5000
    assert await count(firemode, building, admin) == 5000


async def test_every_bad_line_is_reported(
    firemode: ServiceClient, building: dict[str, Any], supervisor: Account
) -> None:
    registered = await firemode.post(
        assets_url(building),
        json={"tag": "OLD-1", "asset_type": "fire_blanket", "location": "Kitchen"},
        headers=supervisor.headers,
    )
    assert registered.status_code == 201
    rows = [
        ["A-1", "portable_extinguisher", "L1", "water", "", "9", "", ""],  # line 2: fine
        ["A-1", "portable_extinguisher", "L1", "water", "", "9", "", ""],  # 3: the tag again
        ["OLD-1", "fire_blanket", "L1", "", "", "", "", ""],  # 4: already registered
        ["", "fire_blanket", "L1", "", "", "", "", ""],  # 5: no tag
        ["A-5", "garden_hose", "L1", "", "", "", "", ""],  # 6: unknown type
        ["A-6", "fire_blanket", "", "", "", "", "", ""],  # 7: no location
        ["A-7", "fire_blanket", "L1", "", "", "", "5", ""],  # 8: a hose reel's column
        ["A-8", "fire_blanket", "L1", "", "", "", "", "2024-02-30"],  # 9: no such date
        ["A-9", "portable_extinguisher", "L1", "water", "9", "", "", ""],  # 10: water is in litres
        ["x" * 65, "fire_blanket", "L1", "", "", "", "", ""],  # 11: tag too long
        ["A-11", "fire_blanket", "L1", "", "", "", "", "", "stray"],  # 12: a cell past the header
    ]
    response = await upload(firemode, building, supervisor, sheet(rows))
    assert response.status_code == 422
    errors = response.json()["details"]["errors"]
    assert [(e["line"], e["field"]) for e in errors] == [
        (3, "tag"),
        (4, "tag"),
        (5, "tag"),
        (6, "asset_type"),
        (7, "location"),
        (8, "length_m"),
        (9, "installed_on"),
        (10, None),
        (11, "tag"),
        (12, None),
    ]
    assert "line 2" in errors[0]["message"]
    assert "already registered" in errors[1]["message"]
    assert await count(firemode, building, supervisor) == 1


async def test_header_names_are_matched_forgivingly(
    firemode: ServiceClient, building: dict[str, Any], supervisor: Account
) -> None:
    header = ["  TAG ", "Asset Type", "location", "Capacity-KG", "AGENT", "installed_on"]
    content = (
        "\ufeff" + ",".join(header) + "\r\nE-1,portable_extinguisher,L1,2.5,carbon_dioxide,\r\n\r\n,,,,,\r\n"
    )
    response = await upload(firemode, building, supervisor, content.encode())
    assert response.status_code == 201, response.text
    assert response.json()["imported"] == 1


async def test_a_header_that_is_not_the_registers_is_422(
    firemode: ServiceClient, building: dict[str, Any], supervisor: Account
) -> None:
    response = await upload(firemode, building, supervisor, b"Tag,Kind,Where,Colour\nA,b,c,d\n")
    assert response.status_code == 422
    details = response.json()["details"]
    assert details["missing"] == ["asset_type", "location"]
    assert details["unknown"] == ["Colour", "Kind", "Where"]
    repeated = await upload(firemode, building, supervisor, b"tag,asset_type,location,Asset-Type\n")
    assert repeated.status_code == 422
    assert repeated.json()["details"]["repeated"] == ["asset_type"]
    empty = await upload(firemode, building, supervisor, b"")
    assert empty.status_code == 422


async def test_a_file_that_is_not_csv_text_is_refused(
    firemode: ServiceClient, building: dict[str, Any], supervisor: Account
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    latin1 = "tag,asset_type,location\nÉ-1,fire_blanket,Café\n".encode("latin-1")
    utf16 = "tag,asset_type,location\nE-1,fire_blanket,L1\n".encode("utf-16-le")
    for content in (png, latin1, utf16):
        response = await upload(firemode, building, supervisor, content, "application/octet-stream")
        assert response.status_code == 415, content[:20]
        assert response.json()["error_code"] == "FIRE-415"
    assert await count(firemode, building, supervisor) == 0
    missing_file = await firemode.post(
        f"{assets_url(building)}/import", data={"other": "x"}, headers=supervisor.headers
    )
    assert missing_file.status_code == 422


async def test_the_limits_are_settings(
    firemode: ServiceClient, building: dict[str, Any], supervisor: Account
) -> None:
    firemode.app.state.settings.asset_import_max_rows = 10
    too_many = await upload(firemode, building, supervisor, sheet(extinguishers(11)))
    assert too_many.status_code == 413
    assert too_many.json()["details"]["max_rows"] == 10
    assert (await upload(firemode, building, supervisor, sheet(extinguishers(10)))).status_code == 201


@given(
    name=st.sampled_from(sorted(COLUMNS)),
    spelling=st.lists(st.sampled_from([" ", "_", "-", "  "]), min_size=0, max_size=3),
    upper=st.lists(st.booleans(), min_size=40, max_size=40),
    pad=st.tuples(st.text(" \t", max_size=2), st.text(" \t", max_size=2)),
)
def test_any_spelling_of_a_column_names_it(
    name: str, spelling: list[str], upper: list[bool], pad: tuple[str, str]
) -> None:
    separator = iter(spelling * 20)
    words = name.split("_")
    written = words[0]
    for word in words[1:]:
        written += (next(separator, "_") or "_") + word
    written = (
        "".join(c.upper() if flip else c for c, flip in zip(written, upper, strict=False)) + written[40:]
    )
    assert column_name(pad[0] + written + pad[1]) == name
