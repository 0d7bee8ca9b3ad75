"""Request-model types: strict JSON, with whole-valued floats the one widening for integers."""

from __future__ import annotations

import pytest
from pydantic import Field, ValidationError

from apikit.schemas import RequestModel


class Counted(RequestModel):
    count: int | None = Field(default=None, ge=-10, le=10)
    counts: list[int] = Field(default_factory=list)
    ratio: float = 0.5


@pytest.mark.parametrize(("raw", "expected"), [(5, 5), (5.0, 5), (-2.0, -2), (None, None)])
def test_an_integer_is_any_whole_json_number(raw: object, expected: int | None) -> None:
    parsed = Counted.model_validate_json(f'{{"count": {"null" if raw is None else raw}}}')
    assert parsed.count == expected
    assert parsed.count is None or type(parsed.count) is int


@pytest.mark.parametrize("raw", ["5.5", "true", '"5"', "[5]", "1e400", "11.0"])
def test_an_integer_refuses_fractions_booleans_strings_and_overflow(raw: str) -> None:
    with pytest.raises(ValidationError):
        Counted.model_validate_json(f'{{"count": {raw}}}')


def test_lists_of_integers_and_float_fields() -> None:
    parsed = Counted.model_validate_json('{"counts": [1.0, 2], "ratio": 2.0}')
    assert parsed.counts == [1, 2]
    assert all(type(item) is int for item in parsed.counts)
    assert parsed.ratio == 2.0
    assert type(parsed.ratio) is float


def test_the_schema_keeps_the_bounds() -> None:
    schema = Counted.model_json_schema()["properties"]["count"]["anyOf"][0]
    assert schema == {"type": "integer", "minimum": -10, "maximum": 10}
