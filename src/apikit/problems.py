"""What an error *is*, before a service's format decides how it looks.

Every error path (domain errors, ``HTTPException``, request validation, unknown routes, body limits,
unhandled exceptions) is first turned into a :class:`Problem`; one :class:`ErrorFormat` per service
renders it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from apikit.errors import ApiError


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid input field, from request validation."""

    location: str  # body, query, path, header, cookie
    path: tuple[str | int, ...]  # inside the location, e.g. ("goals", 0, "weight")
    message: str
    constraint: str  # the validator that failed: missing, int_type, greater_than_equal …
    context: Mapping[str, Any] = field(default_factory=dict)

    @property
    def field(self) -> str:
        """The innermost named field (``weight`` for ``goals.0.weight``), or the location."""
        names = [part for part in self.path if isinstance(part, str)]
        return names[-1] if names else self.location

    @property
    def dotted_path(self) -> str:
        return ".".join(str(part) for part in (self.location, *self.path))


@dataclass(frozen=True, slots=True)
class Problem:
    status: int
    message: str
    code: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    field_errors: Sequence[FieldError] = ()
    retryable: bool | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_error(cls, error: ApiError) -> Problem:
        return cls(
            status=error.status_code,
            message=error.message,
            code=error.code,
            details=error.details,
            retryable=error.retryable,
            headers=error.headers,
        )

    @classmethod
    def from_status(
        cls, status: int, message: str | None = None, headers: Mapping[str, str] | None = None
    ) -> Problem:
        return cls(
            status=status,
            message=message or _status_phrase(status),
            headers=dict(headers or {}),
        )


def _status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def field_errors_from_pydantic(errors: Sequence[Any]) -> list[FieldError]:
    """Turn FastAPI/Pydantic error dicts into :class:`FieldError` without echoing the input."""
    result: list[FieldError] = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        location, path = (str(loc[0]), loc[1:]) if loc else ("body", ())
        context = {key: _json_safe(value) for key, value in (error.get("ctx") or {}).items()}
        result.append(
            FieldError(
                location=location,
                path=tuple(part if isinstance(part, int) else str(part) for part in path),
                message=str(error.get("msg", "Invalid value")),
                constraint=str(error.get("type", "invalid")),
                context=context,
            )
        )
    return result


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return str(value)
