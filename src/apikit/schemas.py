"""Request models: strict JSON types (a boolean is not an integer), no unknown fields.

``RequestModel`` validates strictly, so ``true`` is refused for an ``int`` and ``"5"`` for a
number. The one widening: JSON has a single number type and JSON Schema counts ``5.0`` as an
integer, so integer fields accept whole-valued floats (``5.5`` still is refused).

JSON has no datetime, date, UUID or enum type, so fields of those types use the aliases below,
which accept their ISO / string forms (and nothing else).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import cache
from typing import Annotated, Any, Self, get_args

from fastapi.exceptions import RequestValidationError
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)


class RequestModel(BaseModel):
    # Python's JSON parser, which reads request bodies, takes NaN and Infinity; JSON has neither,
    # and PostgreSQL refuses them in jsonb, so they are a 422 here, however deep in a value.
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _whole_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """JSON has one number type and JSON Schema counts 5.0 as an integer: integer fields take
        whole-valued floats (5.5, true and "5" are still refused)."""
        if info.field_name is not None and info.field_name in _integer_fields(cls):
            if isinstance(value, list):
                return [_whole(item) for item in value]
            return _whole(value)
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        return storable_text(value)


class ActiveFlagUpdate(RequestModel):
    """A user update that may set the account's active flag: ``active``, as the specs name it, or
    ``is_active`` (the name answers use), kept as an alias. Both with different values is a 422.
    After validation the flag is in ``is_active`` and ``active`` is ``None``, so a dump that leaves
    out ``None`` carries it once, under the name the services store."""

    active: bool | None = None
    is_active: bool | None = None

    @model_validator(mode="after")
    def _one_active_flag(self) -> Self:
        if self.active is not None:
            if self.is_active is not None and self.is_active != self.active:
                raise ValueError("active and is_active are the same flag: they may not differ")
            self.is_active, self.active = self.active, None
        return self


class Extended:
    """``source``'s attributes and a few more, for a ``from_attributes`` response model to read when
    some of its fields are not attributes of the row itself."""

    def __init__(self, source: object, **more: Any) -> None:
        self.__dict__.update(more, _source=source)

    def __getattr__(self, name: str) -> Any:  # the names not given
        return getattr(self._source, name)


def storable_text(value: Any) -> Any:
    """The text rule of every request, JSON body or form field: ``value`` unchanged, or a
    ``ValueError``.

    JSON text may carry U+0000 and, escaped, lone surrogates (half a UTF-16 pair); a form field
    U+0000. Neither is a character PostgreSQL stores in text or jsonb (a 500 there, stored on
    SQLite), so they are refused in any string, key or nested value, on both databases.
    """
    if _holds_unstorable(value):
        raise ValueError("text may not contain U+0000 (NUL) or a lone surrogate (U+D800–U+DFFF)")
    return value


def check_form_text(fields: Mapping[str, str]) -> None:
    """Form fields obey :func:`storable_text` as JSON bodies do: a 422 naming each field that
    does not (``"file.filename"`` names a part's parameter), rendered like any request validation.
    """
    errors = []
    for name, value in fields.items():
        try:
            storable_text(value)
        except ValueError as exc:
            errors.append(
                {"loc": ("body", *name.split(".")), "msg": f"Value error, {exc}", "type": "value_error"}
            )
    if errors:
        raise RequestValidationError(errors)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _holds_unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(_holds_unstorable(key) or _holds_unstorable(item) for key, item in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds_unstorable(item) for item in value)
    return False  # numbers, booleans, None, and nested models (which check their own fields)


def in_utc(moment: datetime) -> datetime:
    """``moment`` in UTC (a naive one is taken as UTC), the form every stored timestamp has.

    Every date-time a request brings to the database goes through here: ``0001-01-01T00:00+14:00``
    is valid ISO 8601 but lies before year 1 in UTC, which Python cannot represent (an
    ``OverflowError``, a 500, wherever it was converted later), so it is a ``ValueError`` here.
    """
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("the date-time falls outside years 1-9999 once converted to UTC") from None


# Types that arrive as strings in JSON; date-times are range-checked and converted to UTC.
Timestamp = Annotated[AwareDatetime, Field(strict=False), AfterValidator(in_utc)]
Day = Annotated[date, Field(strict=False)]
Id = Annotated[uuid.UUID, Field(strict=False)]


def _iso_datetime(value: object) -> object:
    """ISO 8601 / RFC 3339 date-times only: no Unix timestamps, no bare dates."""
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("expected an ISO 8601 date-time such as 2026-01-31T09:30:00Z")
    return value


_RFC3339 = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")
# For query parameters, where FastAPI would otherwise also take "0" as 1970-01-01; without a zone,
# UTC is meant.
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime), AfterValidator(in_utc)]
# A body's date-time as ISO 8601 text only (``Timestamp`` also takes a Unix time, as a number).
IsoTimestamp = Annotated[Timestamp, BeforeValidator(_iso_datetime)]


def _iso_date(value: object) -> object:
    """ISO 8601 calendar dates only: no Unix timestamps, no date-times."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("expected an ISO 8601 date such as 2026-01-31")
    return value


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A query parameter's date, where FastAPI would otherwise take "0" as 1970-01-01.
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def _whole(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _mentions(annotation: Any, kind: type) -> bool:
    return annotation is kind or any(_mentions(arg, kind) for arg in get_args(annotation))


@cache
def _integer_fields(model: type[BaseModel]) -> frozenset[str]:
    """Fields typed with int (alone, optional, or in a list) and no float."""
    return frozenset(
        name
        for name, field in model.model_fields.items()
        if _mentions(field.annotation, int) and not _mentions(field.annotation, float)
    )


# Wrap enum fields the same way: `Annotated[MyEnum, Lax]` (a `Literal` needs nothing).
Lax = Field(strict=False)

__all__ = [
    "Day",
    "Extended",
    "Id",
    "IsoDateTime",
    "IsoTimestamp",
    "Lax",
    "RequestModel",
    "Timestamp",
    "check_form_text",
    "in_utc",
    "storable_text",
]
