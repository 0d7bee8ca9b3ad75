"""Request models: strict JSON types (a boolean is not an integer), no unknown fields.

``RequestModel`` validates strictly, so ``true`` is refused for an ``int`` and ``"5"`` for a
number. ``Integer`` is the one widening: JSON has a single number type and JSON Schema counts
``5.0`` as an integer, so whole-valued floats are accepted as ints (``5.5`` still is not).

JSON has no datetime, date, UUID or enum type, so fields of those types use the aliases below,
which accept their ISO / string forms (and nothing else).
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field


class RequestModel(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


# Types that arrive as strings in JSON.
Timestamp = Annotated[AwareDatetime, Field(strict=False)]
Day = Annotated[date, Field(strict=False)]
Id = Annotated[uuid.UUID, Field(strict=False)]


def _iso_datetime(value: object) -> object:
    """ISO 8601 / RFC 3339 date-times only: no Unix timestamps, no bare dates."""
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("expected an ISO 8601 date-time such as 2026-01-31T09:30:00Z")
    return value


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
# For query parameters, where FastAPI would otherwise also take "0" as 1970-01-01.
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime)]


def _whole_number(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Integer = Annotated[int, BeforeValidator(_whole_number)]

# Wrap enum fields the same way: `Annotated[MyEnum, Lax]` (a `Literal` needs nothing).
Lax = Field(strict=False)

__all__ = ["Day", "Id", "Integer", "IsoDateTime", "Lax", "RequestModel", "Timestamp"]
