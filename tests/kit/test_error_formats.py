"""Every error path in KIT.md, in both formats: the body shape, the status, the headers."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import Response

from apikit.middleware import SECURITY_HEADERS
from tests.conftest import ServiceClient
from tests.kit.demo import SECRET_IN_BUG

FIRE_RETRYABLE = {404, 429, 500, 503, 504}


def is_fire(response: Response) -> bool:
    return "error_code" in response.json()


def assert_error(response: Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an error in its app's format, with the request id and security headers."""
    assert response.status_code == status
    body = response.json()
    request_id = response.headers["X-Request-ID"]
    for header, value in SECURITY_HEADERS.items():
        assert response.headers[header] == value
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    if is_fire(response):
        assert set(body) <= {"transaction_id", "error_code", "message", "retryable", "details"}
        assert body["transaction_id"] == request_id
        assert body["error_code"] == f"FIRE-{status}"
        assert body["retryable"] is (status in FIRE_RETRYABLE)
        assert isinstance(body["message"], str)
        assert body["message"]
        return body
    assert set(body) == {"data", "meta", "errors"}
    assert body["data"] is None
    assert body["meta"]["request_id"] == request_id
    assert body["meta"]["timestamp"].endswith(("Z", "+00:00"))
    assert body["errors"], "an error envelope lists at least one error"
    if code is not None:
        assert body["errors"][0]["code"] == code
    return body


async def test_unknown_route(demo: ServiceClient) -> None:
    response = await demo.get("/v1/nonexistent-path")
    assert_error(response, 404, "NF_ROUTE")


async def test_wrong_method_keeps_allow_header(demo: ServiceClient) -> None:
    response = await demo.put("/v1/items")
    assert_error(response, 405, "VAL_METHOD_NOT_ALLOWED")
    assert response.headers["Allow"]


async def test_validation_error_lists_each_field(demo: ServiceClient) -> None:
    response = await demo.post("/v1/items", json={"name": "", "category": 5})
    body = assert_error(response, 422)
    if is_fire(response):
        fields = {error["field"] for error in body["details"]["errors"]}
        assert fields == {"body.name", "body.category"}
    else:
        assert {error["code"] for error in body["errors"]} == {"VAL_NAME", "VAL_CATEGORY"}
        name_error = next(e for e in body["errors"] if e["code"] == "VAL_NAME")
        assert name_error["details"]["field"] == "body.name"
        assert name_error["details"]["constraint"] == "string_too_short"
        assert name_error["details"]["min_length"] == 1


@pytest.mark.parametrize(
    "payload",
    [b'{"count": tru', b"\xff\xfe not utf-8", b'{"count": true}', b'{"count": 1e400}', b"[]"],
    ids=["truncated-json", "invalid-utf8", "bool-for-int", "huge-number", "wrong-shape"],
)
async def test_bad_json_is_422_never_500(demo: ServiceClient, payload: bytes) -> None:
    response = await demo.post("/v1/echo", content=payload, headers={"Content-Type": "application/json"})
    assert_error(response, 422)


async def test_deeply_nested_json_is_rejected_cleanly(demo: ServiceClient) -> None:
    deep = b"[" * 3000 + b"]" * 3000  # under the body cap, deeper than any schema
    response = await demo.post("/v1/echo", content=deep, headers={"Content-Type": "application/json"})
    assert response.status_code in {413, 422}
    assert_error(response, response.status_code)


async def test_body_over_the_cap_by_content_length(demo: ServiceClient) -> None:
    response = await demo.post("/v1/echo", content=b"x" * 5000, headers={"Content-Type": "application/json"})
    body = assert_error(response, 413)
    assert "4096" in (body["message"] if is_fire(response) else body["errors"][0]["message"])


@pytest.mark.parametrize("path", ["/v1/items?category=a%00b", "/v1/items/count%00"])
async def test_nul_in_the_path_or_query_is_a_400(demo: ServiceClient, path: str) -> None:
    """PostgreSQL stores U+0000 in no text column: refused before any handler sees it."""
    assert_error(await demo.get(path), 400)


async def test_content_length_in_non_ascii_digits_is_refused_cleanly(demo: ServiceClient) -> None:
    """Headers arrive as latin-1, where "²" counts as a digit for str.isdigit but not for int()."""
    headers = {"Content-Type": "application/json", "Content-Length": "\u00b2".encode("latin-1")}
    response = await demo.post("/v1/echo", content=b"{}", headers=headers)
    assert_error(response, 400)


async def test_body_over_the_cap_while_streaming(demo: ServiceClient) -> None:
    async def chunks() -> Any:
        for _ in range(10):
            yield b"x" * 1000

    # No Content-Length: the cap is enforced while the bytes arrive.
    response = await demo.post("/v1/echo", content=chunks(), headers={"Content-Type": "application/json"})
    assert_error(response, 413)


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("validation", 400, "VAL_REQUEST"),
        ("authentication", 401, "AUTH_INVALID_TOKEN"),
        ("authorization", 403, "AUTH_FORBIDDEN"),
        ("not_found", 404, "NF_RESOURCE"),
        ("conflict", 409, "CF_CONFLICT"),
        ("business_rule", 409, "CF_CONFLICT"),
        ("too_large", 413, "VAL_PAYLOAD_TOO_LARGE"),
        ("unsupported", 415, "VAL_UNSUPPORTED_MEDIA_TYPE"),
        ("unavailable", 503, "SYS_EXTERNAL_SERVICE_ERROR"),
        ("timeout", 504, "SYS_EXTERNAL_SERVICE_TIMEOUT"),
    ],
)
async def test_domain_errors(demo: ServiceClient, kind: str, status: int, code: str) -> None:
    response = await demo.get(f"/v1/fail/{kind}")
    body = assert_error(response, status, code)
    details = body["details"] if is_fire(response) else body["errors"][0]["details"]
    assert details == {"kind": kind}


async def test_unauthenticated_carries_www_authenticate(demo: ServiceClient) -> None:
    response = await demo.get("/v1/fail/authentication")
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_rate_limited_carries_retry_after(demo: ServiceClient) -> None:
    response = await demo.get("/v1/fail/rate_limited")
    body = assert_error(response, 429, "RATE_LIMIT_EXCEEDED")
    assert response.headers["Retry-After"] == "7"
    details = body["details"] if is_fire(response) else body["errors"][0]["details"]
    assert details == {"limit": "5/minute", "retry_after": 7}


async def test_http_exception_keeps_its_status(demo: ServiceClient) -> None:
    response = await demo.get("/v1/fail/http_exception")
    assert_error(response, 418)


async def test_unhandled_exception_is_500_without_internals(demo: ServiceClient) -> None:
    response = await demo.get("/v1/fail/bug")
    assert_error(response, 500, "SYS_INTERNAL")
    assert SECRET_IN_BUG not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text


async def test_request_id_is_honoured_when_sane(demo: ServiceClient) -> None:
    response = await demo.get("/v1/nope", headers={"X-Request-ID": "device-7f3a.retry-2"})
    assert response.headers["X-Request-ID"] == "device-7f3a.retry-2"
    body = response.json()
    assert body.get("transaction_id", body.get("meta", {}).get("request_id")) == "device-7f3a.retry-2"


@pytest.mark.parametrize("incoming", ["x" * 129, "has space", "tab\there", ""])
async def test_request_id_is_replaced_when_not_sane(demo: ServiceClient, incoming: str) -> None:
    response = await demo.get("/health", headers={"X-Request-ID": incoming})
    chosen = response.headers["X-Request-ID"]
    assert chosen != incoming
    assert len(chosen) == 36
    assert chosen[14] == "7"
