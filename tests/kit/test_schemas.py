"""Request-model types: strict JSON, with whole-valued floats the one widening for integers."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from apikit.schemas import Integer, RequestModel


class Counted(RequestModel):
    count: Integer | None = None


@pytest.mark.parametrize(("raw", "expected"), [(5, 5), (5.0, 5), (-2.0, -2), (None, None)])
def test_an_integer_is_any_whole_json_number(raw: object, expected: int | None) -> None:
    parsed = Counted.model_validate_json(f'{{"count": {"null" if raw is None else raw}}}')
    assert parsed.count == expected
    assert parsed.count is None or type(parsed.count) is int


@pytest.mark.parametrize("raw", ["5.5", "true", '"5"', "[5]", "1e400"])
def test_an_integer_refuses_fractions_booleans_strings_and_overflow(raw: str) -> None:
    with pytest.raises(ValidationError):
        Counted.model_validate_json(f'{{"count": {raw}}}')
