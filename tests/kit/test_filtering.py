"""Structured filters split into a shape (built once) and the values bound to it."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, select
from sqlalchemy.dialects import postgresql

from apikit.errors import ValidationError
from apikit.filtering import (
    FieldType,
    FilterField,
    FilterRequest,
    ListResponseWrapper,
    filter_conditions,
    filter_order,
    offset_page_json,
    shape_filter,
)

things = Table(
    "things",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(40)),
    Column("size", Integer),
    Column("created_at", DateTime(timezone=True)),
)


def kind_is(operator: str, value: Any) -> Any:
    """A field that is no one column's: its values come as parameters all the same."""
    if operator in ("in", "nin"):
        matched = things.c.name.in_(value)
        return matched if operator == "in" else ~matched
    return things.c.name == value if operator == "eq" else things.c.name != value


FIELDS = {
    "name": FilterField(FieldType.STRING, things.c.name, sortable=True),
    "size": FilterField(FieldType.INTEGER, things.c.size, sortable=True),
    "kind": FilterField(FieldType.ENUM, choices=frozenset({"a", "b"}), build=kind_is),
    "created_at": FilterField(FieldType.DATETIME, things.c.created_at),
}


def request(*filters: tuple[str, str, object], **rest: object) -> FilterRequest:
    return FilterRequest.model_validate(
        {"filters": [{"field": f, "operator": o, "value": v} for f, o, v in filters], **rest}
    )


def test_one_shape_many_values() -> None:
    first = shape_filter(
        request(("size", "in", [1, 2]), ("name", "like", "50%_x")), FIELDS, default_sort="name"
    )
    second = shape_filter(request(("size", "in", [7, 8]), ("name", "like", "y")), FIELDS, default_sort="name")
    assert first.shape == second.shape == ((("size", "in", 2), ("name", "like", None)), "name", False)
    assert first.params == {"filter0_0": 1, "filter0_1": 2, "filter1": "%50\\%\\_x%"}
    assert second.params == {"filter0_0": 7, "filter0_1": 8, "filter1": "%y%"}
    assert first.applied["sort_by"] == "name"
    other = shape_filter(
        request(("size", "in", [1, 2, 3]), sort_by="size", sort_order="desc"), FIELDS, default_sort="name"
    )
    assert other.shape == ((("size", "in", 3),), "size", True)


def test_the_statement_of_a_shape_has_only_named_parameters() -> None:
    shaped = shape_filter(
        request(
            ("size", "gte", 2**53),
            ("kind", "nin", ["a", "b"]),
            ("created_at", "lt", "2026-01-01T00:00:00+02:00"),
        ),
        FIELDS,
        default_sort="size",
    )
    statement = (
        select(things.c.id)
        .where(*filter_conditions(shaped.shape, FIELDS))
        .order_by(*filter_order(shaped.shape, FIELDS, tiebreaker=things.c.id))
    )
    compiled = statement.compile(dialect=postgresql.dialect())
    assert set(compiled.binds) == set(shaped.params) == {"filter0", "filter1_0", "filter1_1", "filter2"}
    assert "ORDER BY things.size ASC, things.id ASC" in str(compiled)
    assert shaped.params["filter2"].isoformat() == "2025-12-31T22:00:00+00:00"


@pytest.mark.parametrize(
    ("filters", "code"),
    [
        ((("nope", "eq", 1),), "VAL_FILTER_FIELD"),
        ((("size", "like", "1"),), "VAL_FILTER_OPERATOR"),
        ((("size", "eq", "1"),), "VAL_FILTER_VALUE"),
        ((("kind", "in", []),), "VAL_FILTER_VALUE"),
        ((("kind", "eq", "c"),), "VAL_FILTER_VALUE"),
    ],
)
def test_a_refused_filter_is_a_400_naming_it(filters: tuple[tuple[str, str, object], ...], code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        shape_filter(request(*filters), FIELDS, default_sort="name")
    assert refused.value.code == code


def test_an_offset_page_is_written_as_the_model_writes_it() -> None:
    body = request(("size", "gt", 1), limit=2, offset=2)
    shaped = shape_filter(body, FIELDS, default_sort="name")
    items = [{"id": 3}, {"id": 4}]
    written = offset_page_json(orjson.dumps(items), len(items), 7, body, shaped.applied)
    expected = ListResponseWrapper[dict[str, int]](
        items=items,
        total=7,
        limit=2,
        offset=2,
        has_next=True,
        has_prev=True,
        total_pages=4,
        current_page=2,
        filters_applied=shaped.applied,
    )
    assert orjson.loads(written) == expected.model_dump(mode="json")
    assert list(orjson.loads(written)) == list(ListResponseWrapper.model_fields)
