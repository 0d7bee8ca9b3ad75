"""Structured filtering: ``{filters: [{field, operator, value}], sort_by, sort_order, limit,
offset}`` over an allow-list of typed fields — never ``getattr`` on a model, never a 500.

A service declares its fields once (:class:`FilterField`); a request is checked against them
(:func:`shape_filter`) and split into its shape, from which the conditions and the order are built
once with named parameters (:func:`filter_conditions`, :func:`filter_order`, for the fast read
path's ``ReadStatements``), and the values bound to them. Every refusal is a 400 naming the field,
operator or value.
"""

from __future__ import annotations

import contextlib
import enum
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

import orjson
from pydantic import BaseModel, Field
from sqlalchemy import BigInteger, Boolean, ColumnElement, Float, String, bindparam, func, not_
from sqlalchemy.types import TypeEngine

from apikit.db.fastread import json_value
from apikit.db.types import UTCDateTime
from apikit.errors import ValidationError
from apikit.schemas import RequestModel, in_utc

T = TypeVar("T")
Operator = Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin", "like"]
MAX_IN_VALUES = 100
_COMPARISONS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "nin")


class FieldType(enum.Enum):
    STRING = ("string", ("eq", "ne", "in", "nin", "like"))
    INTEGER = ("integer", _COMPARISONS)
    NUMBER = ("number", _COMPARISONS)
    BOOLEAN = ("boolean", ("eq", "ne"))
    DATETIME = ("datetime", ("eq", "ne", "gt", "gte", "lt", "lte"))
    ENUM = ("enum", ("eq", "ne", "in", "nin"))

    def __init__(self, label: str, operators: tuple[str, ...]) -> None:
        self.label = label
        self.operators = operators


class FilterCondition(RequestModel):
    field: str = Field(min_length=1, max_length=64)
    operator: Operator
    value: Any = Field(
        description="Typed by the field (string, integer, number, boolean, ISO date-time); a list for in/nin"
    )


class FilterRequest(RequestModel):
    filters: list[FilterCondition] = Field(default_factory=list, max_length=20)
    sort_by: str | None = Field(default=None, max_length=64)
    sort_order: Literal["asc", "desc"] = "asc"
    limit: int = Field(default=50, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=100_000)


class ListResponseWrapper(BaseModel, Generic[T]):
    """The user's offset-page shape."""

    items: list[T]
    total: int
    limit: int
    offset: int
    has_next: bool
    has_prev: bool
    total_pages: int
    current_page: int
    filters_applied: dict[str, Any] | None = None


# (column-or-expression, operator, typed value) → condition; for fields that are not one column.
ConditionBuilder = Callable[[str, Any], ColumnElement[bool]]


@dataclass(frozen=True)
class FilterField:
    type: FieldType
    column: Any = None  # a mapped column, or None when ``build`` makes the condition
    choices: frozenset[str] = frozenset()  # for ENUM
    build: ConditionBuilder | None = None
    sortable: bool = False

    @property
    def allowed_operators(self) -> tuple[str, ...]:
        return self.type.operators


def _bad_value(name: str, expected: str) -> ValidationError:
    return ValidationError(
        f"The value for {name} must be {expected}",
        code="VAL_FILTER_VALUE",
        details={"field": name, "expected": expected},
    )


def _typed(name: str, spec: FilterField, value: Any) -> Any:
    kind = spec.type
    if kind is FieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        raise _bad_value(name, "a boolean")
    if kind is FieldType.INTEGER:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= 2**53:
            return value
        raise _bad_value(name, "an integer")
    if kind is FieldType.NUMBER:
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return value
        raise _bad_value(name, "a number")
    if kind is FieldType.DATETIME:
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                moment = None
            if moment is not None and moment.tzinfo is not None:
                with contextlib.suppress(ValueError):
                    return in_utc(moment)
        raise _bad_value(name, "an ISO 8601 date-time with a time zone, within years 1-9999 in UTC")
    if not isinstance(value, str) or len(value) > 200:
        raise _bad_value(name, "a string of at most 200 characters")
    if kind is FieldType.ENUM and value not in spec.choices:
        raise ValidationError(
            f"Unknown value for {name}",
            code="VAL_FILTER_VALUE",
            details={"field": name, "allowed": sorted(spec.choices)},
        )
    return value


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_PARAMETER_TYPES: Mapping[FieldType, Callable[[], TypeEngine[Any]]] = {
    FieldType.STRING: String,
    FieldType.ENUM: String,
    FieldType.INTEGER: BigInteger,
    FieldType.NUMBER: Float,
    FieldType.BOOLEAN: Boolean,
    FieldType.DATETIME: UTCDateTime,
}

# One condition's shape: the field, the operator, and how many values (None: one, not a list).
ConditionShape = tuple[str, str, int | None]
FilterShape = tuple[tuple[ConditionShape, ...], str, bool]


@dataclass(frozen=True)
class ShapedFilter:
    """A checked structured query split in two: its ``shape`` (which fields, operators and how many
    values, and the sort), from which :func:`filter_conditions` and :func:`filter_order` build a
    statement once, and the ``params`` bound to that statement's parameters (``filter0``,
    ``filter0_1``, …) for this request."""

    shape: FilterShape
    params: dict[str, Any]
    applied: dict[str, Any]


def shape_filter(
    request: FilterRequest, fields: Mapping[str, FilterField], *, default_sort: str
) -> ShapedFilter:
    """Check ``request`` against the allow-list (a 400 naming what is refused) and split it."""
    conditions: list[ConditionShape] = []
    params: dict[str, Any] = {}
    for index, condition in enumerate(request.filters):
        spec = fields.get(condition.field)
        if spec is None:
            raise ValidationError(
                f"Unknown filter field {condition.field!r}",
                code="VAL_FILTER_FIELD",
                details={"field": condition.field, "allowed": sorted(fields)},
            )
        if condition.operator not in spec.allowed_operators:
            raise ValidationError(
                f"Operator {condition.operator!r} does not apply to {condition.field} ({spec.type.label})",
                code="VAL_FILTER_OPERATOR",
                details={
                    "field": condition.field,
                    "operator": condition.operator,
                    "allowed": list(spec.allowed_operators),
                },
            )
        name, raw = f"filter{index}", condition.value
        if condition.operator in ("in", "nin"):
            if not isinstance(raw, list) or not raw or len(raw) > MAX_IN_VALUES:
                raise _bad_value(condition.field, f"a list of 1 to {MAX_IN_VALUES} values")
            for position, item in enumerate(raw):
                params[f"{name}_{position}"] = _typed(condition.field, spec, item)
            conditions.append((condition.field, condition.operator, len(raw)))
            continue
        value = _typed(condition.field, spec, raw)
        if condition.operator == "like":
            # The user's text is matched literally, anywhere, ignoring case: % and _ are escaped.
            value = f"%{_escape_like(value.lower())}%"
        params[name] = value
        conditions.append((condition.field, condition.operator, None))
    sort_name = request.sort_by or default_sort
    sort_spec = fields.get(sort_name)
    if sort_spec is None or not sort_spec.sortable:
        raise ValidationError(
            f"Cannot sort by {sort_name!r}",
            code="VAL_SORT_FIELD",
            details={
                "field": sort_name,
                "allowed": sorted(name for name, spec in fields.items() if spec.sortable),
            },
        )
    applied = {
        "filters": [condition.model_dump(mode="json") for condition in request.filters],
        "sort_by": sort_name,
        "sort_order": request.sort_order,
    }
    return ShapedFilter((tuple(conditions), sort_name, request.sort_order == "desc"), params, applied)


def filter_conditions(shape: FilterShape, fields: Mapping[str, FilterField]) -> list[ColumnElement[bool]]:
    """The conditions of a filter of this ``shape``, their values named parameters."""
    conditions = []
    for index, (field, operator, count) in enumerate(shape[0]):
        spec = fields[field]
        # A column's own type binds its values; a like's pattern and a built condition's values are
        # the field's type, as are integers (up to 2**53: wider than a 32-bit column).
        own_type = spec.column is not None and operator != "like" and spec.type is not FieldType.INTEGER
        typed = spec.column.type if own_type else None
        kind = typed if typed is not None else _PARAMETER_TYPES[spec.type]()
        name = f"filter{index}"
        value: Any = (
            bindparam(name, type_=kind)
            if count is None
            else [bindparam(f"{name}_{j}", type_=kind) for j in range(count)]
        )
        conditions.append(_condition(spec, operator, value))
    return conditions


def filter_order(shape: FilterShape, fields: Mapping[str, FilterField], *, tiebreaker: Any) -> list[Any]:
    """The order of a filter of this ``shape``: its sort field, then ``tiebreaker``, both ways alike."""
    _, sort_name, descending = shape
    column = fields[sort_name].column
    return [column.desc(), tiebreaker.desc()] if descending else [column.asc(), tiebreaker.asc()]


def _condition(spec: FilterField, operator: str, value: Any) -> ColumnElement[bool]:
    if spec.build is not None:
        return spec.build(operator, value)
    column = spec.column
    if operator == "like":
        return func.lower(column).like(value, escape="\\")
    comparisons: Mapping[str, Callable[[Any], ColumnElement[bool]]] = {
        "eq": lambda v: column == v,
        "ne": lambda v: column != v,
        "gt": lambda v: column > v,
        "gte": lambda v: column >= v,
        "lt": lambda v: column < v,
        "lte": lambda v: column <= v,
        "in": lambda v: column.in_(v),
        "nin": lambda v: not_(column.in_(v)),
    }
    return comparisons[operator](value)


def offset_page_json(
    items: bytes, count: int, total: int, request: FilterRequest, applied: dict[str, Any]
) -> bytes:
    """A :class:`ListResponseWrapper` as JSON around ``items``, a JSON array already written (the
    fast read path's ``rows_json``) of ``count`` rows."""
    return json_value(
        {
            "items": orjson.Fragment(items),
            "total": total,
            "limit": request.limit,
            "offset": request.offset,
            "has_next": request.offset + count < total,
            "has_prev": request.offset > 0,
            "total_pages": max(1, math.ceil(total / request.limit)),
            "current_page": request.offset // request.limit + 1,
            "filters_applied": applied,
        }
    )
