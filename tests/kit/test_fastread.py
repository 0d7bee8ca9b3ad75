"""The fast read path: the same pages and cursors as the ORM path, the same answers for faults.

The demo service lists its items both ways: ``/v1/items/both-ways`` through ``paginate`` and the
ORM, ``/v1/items/fast`` through ``read_page`` on the driver. Every page must be the same, byte for
byte in its items and cursors, whichever path served the cursor that asked for it.
"""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, insert, select

from apikit.db.engine import Database
from apikit.db.fastread import ReadStatement, ReadStatements, json_list, raw_json, row_json, rows_json
from apikit.db.types import JSONType
from apikit.errors import DependencyUnavailableError
from apikit.pagination import Page, RowPage
from tests.conftest import TEST_DATABASE_URL, ServiceClient
from tests.kit.demo import Item
from tests.kit.test_pagination import add_items

ORM, FAST = "/v1/items/both-ways", "/v1/items/fast"


async def page_of(client: ServiceClient, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    offsets=st.lists(st.integers(min_value=0, max_value=3), min_size=0, max_size=12),
    limit=st.integers(1, 4),
    backwards=st.booleans(),
)
async def test_every_page_and_cursor_is_the_orm_paths(
    fire_demo: ServiceClient, offsets: list[int], limit: int, backwards: bool
) -> None:
    assert (await fire_demo.delete("/v1/items")).status_code == 200  # a fresh table per example
    ids = await add_items(fire_demo, offsets)
    params: dict[str, Any] = {"limit": limit, **({"direction": "prev"} if backwards else {})}
    seen: list[str] = []
    while True:
        fast, orm = await page_of(fire_demo, FAST, **params), await page_of(fire_demo, ORM, **params)
        assert fast == orm
        seen += [item["id"] for item in fast["items"]]
        cursor = fast["prev_cursor"] if backwards else fast["next_cursor"]
        if cursor is None:
            break
        params = {"limit": limit, "cursor": cursor}
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))


async def test_a_filter_holds_on_every_page_and_its_cursor_fits_no_other(fire_demo: ServiceClient) -> None:
    wanted = await add_items(fire_demo, [0, 1, 2, 3], category="a")
    await add_items(fire_demo, [0, 1, 2, 3], category="b")
    first = await page_of(fire_demo, FAST, limit=3, category="a")
    rest = await page_of(fire_demo, FAST, limit=3, category="a", cursor=first["next_cursor"])
    assert sorted(item["id"] for item in first["items"] + rest["items"]) == sorted(wanted)
    refiltered = await fire_demo.get(FAST, params={"cursor": first["next_cursor"], "category": "b"})
    assert refiltered.status_code == 400
    assert refiltered.json()["error_code"] == "FIRE-400"


@pytest.mark.parametrize("cursor", ["", "x", "a.b", "e30.AAAA", "A" * 3000])
async def test_a_bad_cursor_is_400_not_500(fire_demo: ServiceClient, cursor: str) -> None:
    response = await fire_demo.get(FAST, params={"cursor": cursor})
    assert response.status_code == 400, response.text


async def test_rows_are_written_as_pydantic_writes_them(tmp_path: Path) -> None:
    """Times in UTC with ``Z`` (and their microseconds), ids as strings, JSON columns as they are."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'rows.db'}")
    try:
        async with database.transactional() as session:
            await session.run_sync(lambda sync: Item.metadata.create_all(sync.connection()))
            session.add(Item(name='Ä "quoted"', category="a"))
        statement = ReadStatement(
            select(Item.id, Item.name, Item.created_at, raw_json(bindparam("document"), "document"))
        )
        rows = await database.reader.all(statement, {"document": '{"b":[1,2.5,null],"a":"ü"}'})
        (row,) = rows
        written = row_json(row, statement)
        assert written == rows_json(rows, statement)[1:-1]
        created = row["created_at"]
        assert created.tzinfo is not None
        expected_time = created.strftime("%Y-%m-%dT%H:%M:%S") + (
            f".{created.microsecond:06d}Z" if created.microsecond else "Z"
        )
        assert written.decode() == (
            f'{{"id":"{row["id"]}","name":"Ä \\"quoted\\"","created_at":"{expected_time}",'
            '"document":{"b":[1,2.5,null],"a":"ü"}}'
        )
    finally:
        await database.dispose()


async def test_a_number_alone_in_a_sqlite_json_column_is_written_as_json(tmp_path: Path) -> None:
    """SQLite gives a JSON column numeric affinity, so a number stored alone comes back as a number,
    not as the text :func:`raw_json` passes through."""
    table = Table("values", MetaData(), Column("id", Integer, primary_key=True), Column("value", JSONType))
    stored: list[Any] = [7, 2.5, 1e300, "7", [1, 2.5], {"a": None}, None]
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'values.db'}")
    try:
        async with database.transactional() as session:
            await session.run_sync(lambda sync: table.metadata.create_all(sync.connection()))
            await session.execute(
                table.insert(), [{"id": n, "value": value} for n, value in enumerate(stored)]
            )
        statement = ReadStatement(
            select(table.c.id.label("id"), raw_json(table.c.value)).order_by(table.c.id)
        )
        rows = await database.reader.all(statement)
        assert [type(row["value"]) for row in rows] == [str] * len(stored)
        assert orjson.loads(rows_json(rows, statement)) == [
            {"id": n, "value": v} for n, v in enumerate(stored)
        ]
    finally:
        await database.dispose()


def test_a_reshaped_page_writes_the_new_rows_with_the_pages_cursors() -> None:
    """``RowPage.each``: a row's columns folded into what the answer has (here a nested object), the
    JSON columns still passed through, the cursor's keys dropped or not, the cursors kept."""
    statement = ReadStatement(
        select(Item.name, raw_json(bindparam("document"), "document"), Item.category.label("_key0"))
    )
    page = RowPage(
        statement, Page([{"name": "ä", "document": '{"x": 1}', "_key0": "a"}], "next", "prev", True)
    )

    def nested(row: Any) -> dict[str, Any]:
        return {"item": {"name": row["name"].upper()}, "document": row["document"]}

    reshaped = page.each(nested)
    assert (
        reshaped.items_and_cursor()
        == '{"data":[{"item":{"name":"Ä"},"document":{"x": 1}}],"next_cursor":"next"}'.encode()
    )
    assert reshaped.cursor_page().endswith(b',"next_cursor":"next","prev_cursor":"prev","has_more":true}')
    assert (
        page.items_and_cursor() == '{"data":[{"name":"ä","document":{"x": 1}}],"next_cursor":"next"}'.encode()
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens once the socket is closed


async def test_an_unreachable_postgresql_is_503() -> None:
    database = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/none", timeout_seconds=0.5)
    try:
        with pytest.raises(DependencyUnavailableError):
            await database.reader.all(ReadStatement(select(bindparam("one"))), {"one": 1})
    finally:
        await database.dispose()


async def test_an_unreadable_sqlite_file_is_503(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'no.db'}", timeout_seconds=0.5)
    try:
        with pytest.raises(DependencyUnavailableError):
            await database.reader.all(ReadStatement(select(bindparam("one"))), {"one": 1})
    finally:
        await database.dispose()


async def test_a_child_tables_values_come_as_a_json_list_in_their_order(tmp_path: Path) -> None:
    """``json_list`` on the database under test: each parent's values in position order (not the
    key's), ``[]`` for none, and the child table never joined into the outer query."""
    metadata = MetaData()
    suffix = uuid.uuid4().hex[:8]
    parents = Table(f"parents_{suffix}", metadata, Column("id", Integer, primary_key=True))
    tags = Table(
        f"tags_{suffix}",
        metadata,
        Column("parent_id", Integer, primary_key=True),
        Column("tag", String(20), primary_key=True),
        Column("position", Integer),
    )
    database = Database(TEST_DATABASE_URL or f"sqlite+aiosqlite:///{tmp_path / 'lists.db'}")
    try:
        async with database.transactional() as session:
            await session.run_sync(lambda sync: metadata.create_all(sync.connection()))
            await session.execute(insert(parents), [{"id": 1}, {"id": 2}, {"id": 3}])
            rows = [("z", 0), ("a", 1), ('q "x"', 2)]
            await session.execute(
                insert(tags), [{"parent_id": 1, "tag": tag, "position": position} for tag, position in rows]
            )
            await session.execute(insert(tags), [{"parent_id": 2, "tag": "only", "position": 0}])
        statement = ReadStatement(
            select(
                parents.c.id.label("id"),  # a Core column's own name is a str subclass orjson refuses
                json_list(
                    tags.c.tag, where=tags.c.parent_id == parents.c.id, order_by=tags.c.position, name="tags"
                ),
            )
            .where(parents.c.id >= bindparam("first", type_=Integer()))
            .order_by(parents.c.id)
        )
        written = orjson.loads(rows_json(await database.reader.all(statement, {"first": 1}), statement))
        assert written == [
            {"id": 1, "tags": ["z", "a", 'q "x"']},
            {"id": 2, "tags": ["only"]},
            {"id": 3, "tags": []},
        ]
    finally:
        async with database.transactional() as session:
            await session.run_sync(lambda sync: metadata.drop_all(sync.connection()))
        await database.dispose()


def test_read_statements_keep_at_most_max_shapes() -> None:
    built: list[int] = []

    def build(number: int) -> Any:
        built.append(number)
        return select(bindparam("n", type_=Integer())).where(bindparam("n") > number)

    statements = ReadStatements(build, max_shapes=2)
    first = statements(1)
    assert statements(1) is first
    statements(2)
    statements(1)  # used: kept over 2
    statements(3)  # one too many: 2 goes
    assert statements(1) is first
    statements(2)
    assert built == [1, 2, 3, 2]
