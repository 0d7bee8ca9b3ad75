"""Domain errors: what went wrong, independent of how a service renders it.

Services raise these; the error formats in :mod:`apikit.error_formats` turn them (and every other
failure: unknown routes, validation, unhandled exceptions) into the service's JSON shape.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ApiError(Exception):
    """Base of every error a service raises on purpose.

    ``code`` is the service's own code (``NF_PROGRAM``, ``FIRE-409`` …); when a service leaves it
    out, its error format picks the default for the status.
    """

    status_code: ClassVar[int] = 500
    default_message: ClassVar[str] = "Internal server error"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        retryable: bool | None = None,
        keep_changes: bool = False,
    ) -> None:
        self.message = message or self.default_message
        self.code = code
        self.details = details or {}
        self.headers = headers or {}
        # None lets the service's format decide from the status (FireMode's registry does).
        self.retryable = retryable
        # The request's unit of work commits instead of rolling back: for errors that must leave a
        # trace (a failed login's audit event, a family revoked after refresh-token reuse).
        self.keep_changes = keep_changes
        super().__init__(self.message)


class ValidationError(ApiError):
    status_code = 400
    default_message = "The request is not valid"


class AuthenticationError(ApiError):
    status_code = 401
    default_message = "Authentication required"


class AuthorizationError(ApiError):
    status_code = 403
    default_message = "You are not allowed to do this"


class NotFoundError(ApiError):
    status_code = 404
    default_message = "Resource not found"


class ConflictError(ApiError):
    status_code = 409
    default_message = "The request conflicts with the current state"


class BusinessRuleError(ApiError):
    status_code = 409
    default_message = "The request breaks a business rule"


class PayloadTooLargeError(ApiError):
    status_code = 413
    default_message = "Request body too large"


class UnsupportedMediaError(ApiError):
    status_code = 415
    default_message = "Unsupported media type"


class UnprocessableError(ApiError):
    """Well-formed, but refers to something that does not exist or cannot be used (a 422)."""

    status_code = 422
    default_message = "The request cannot be processed"


class RateLimitedError(ApiError):
    status_code = 429
    default_message = "Too many requests"

    def __init__(self, retry_after: int, *, limit: str, **kwargs: Any) -> None:
        details = {"limit": limit, "retry_after": retry_after, **kwargs.pop("details", {})}
        headers = {"Retry-After": str(retry_after), **kwargs.pop("headers", {})}
        super().__init__(details=details, headers=headers, **kwargs)


class DependencyUnavailableError(ApiError):
    status_code = 503
    default_message = "A service this request depends on is unavailable"


class DependencyTimeoutError(ApiError):
    status_code = 504
    default_message = "A service this request depends on did not answer in time"
