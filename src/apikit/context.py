"""Per-request values kept in the ASGI scope: the request id and the warnings for the caller;
and, for request code, what the app installed at start-up (``app_state``)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import Request

from apikit.ids import new_id

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[\x21-\x7e]{1,128}")


def _state(scope: MutableMapping[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] = scope.setdefault("state", {})
    return state


def choose_request_id(incoming: str | None) -> str:
    """Honour a caller's id when it is a sane token (≤128 visible ASCII), else make a UUIDv7."""
    if incoming and _SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return str(new_id())


def set_request_id(scope: MutableMapping[str, Any], request_id: str) -> None:
    _state(scope)["request_id"] = request_id


def request_id_of(scope: MutableMapping[str, Any]) -> str:
    request_id = _state(scope).get("request_id")
    if request_id is None:  # outside the middleware (unit tests of a handler): still traceable
        request_id = str(new_id())
        set_request_id(scope, request_id)
    return str(request_id)


def add_warning(scope: MutableMapping[str, Any], warning: str) -> None:
    """A warning for the caller, rendered in ``meta.warnings`` where the service has an envelope."""
    _state(scope).setdefault("warnings", []).append(warning)


def warnings_of(scope: MutableMapping[str, Any]) -> list[str]:
    return list(_state(scope).get("warnings", ()))


def app_state(name: str) -> Callable[[Request], Awaitable[Any]]:
    """The dependency reading ``app.state.<name>``, set once at start-up. Declare it once, behind a
    typed alias named for the thing (``CacheDep = Annotated[Cache, Depends(app_state("cache"))]``):
    endpoints then say what they use, and nothing else reads ``app.state``."""

    async def installed(request: Request) -> Any:  # async: a plain def would run in a worker thread
        return getattr(request.app.state, name)

    return installed
