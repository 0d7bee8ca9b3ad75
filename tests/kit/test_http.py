"""HTTP hygiene: docs offline under the CSP, gzip, metrics, logs."""

from __future__ import annotations

import json

import pytest

from apikit.middleware import API_CSP, DOCS_CSP
from tests.conftest import ServiceClient


async def test_health(demo: ServiceClient) -> None:
    response = await demo.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["Content-Security-Policy"] == API_CSP


async def test_docs_page_uses_only_local_assets(demo: ServiceClient) -> None:
    page = await demo.get("/docs")
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"] == DOCS_CSP
    assert "<script>" not in page.text  # no inline script, so script-src stays 'self'
    assert "http" not in page.text.replace("http-equiv", "")  # nothing from a CDN
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css", "/docs/init.js"):
        assert asset in page.text
        response = await demo.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 100
    assert "/openapi.json" in (await demo.get("/docs/init.js")).text


async def test_large_responses_are_gzipped(demo: ServiceClient) -> None:
    response = await demo.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    small = await demo.get("/health", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers


async def test_metrics_count_requests_by_route_template(fire_demo: ServiceClient) -> None:
    await fire_demo.get("/v1/fail/not_found")
    await fire_demo.get("/v1/fail/conflict")
    await fire_demo.get("/no/such/path")
    text = (await fire_demo.get("/metrics")).text
    assert 'kitdemo_http_requests_total{method="GET",route="/v1/fail/{kind}",status="404"} 1.0' in text
    assert 'kitdemo_http_requests_total{method="GET",route="/v1/fail/{kind}",status="409"} 1.0' in text
    assert 'route="<unmatched>",status="404"' in text
    assert "kitdemo_http_request_duration_seconds_bucket" in text


async def test_one_access_line_per_request(
    fire_demo: ServiceClient, capsys: pytest.CaptureFixture[str]
) -> None:
    from apikit.logging import configure_logging

    configure_logging(json_lines=True)
    capsys.readouterr()
    response = await fire_demo.get("/v1/fail/not_found", headers={"X-Request-ID": "trace-me"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("event") == "request"]
    assert len(access) == 1
    assert access[0] | {"duration_ms": 0, "timestamp": ""} == {
        "event": "request",
        "method": "GET",
        "route": "/v1/fail/{kind}",
        "path": "/v1/fail/not_found",
        "status": 404,
        "duration_ms": 0,
        "request_id": "trace-me",
        "user_id": None,
        "level": "info",
        "logger": "apikit.http",
        "timestamp": "",
    }
    assert response.status_code == 404


async def test_unhandled_exception_is_logged_with_the_request_id(
    fire_demo: ServiceClient, capsys: pytest.CaptureFixture[str]
) -> None:
    from apikit.logging import configure_logging

    configure_logging(json_lines=True)
    capsys.readouterr()
    await fire_demo.get("/v1/fail/bug", headers={"X-Request-ID": "bug-trace"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    crash = next(line for line in lines if line["event"] == "unhandled_exception")
    assert crash["request_id"] == "bug-trace"
    assert "RuntimeError" in crash["exception"]


async def test_health_answers_its_documented_body_with_every_header(fire_demo: ServiceClient) -> None:
    response = await fire_demo.get("/health", headers={"X-Request-ID": "probe-1"})
    assert response.status_code == 200
    assert response.content == b'{"status":"ok"}'
    assert response.headers["content-type"] == "application/json"
    assert response.headers["X-Request-ID"] == "probe-1"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    head = await fire_demo.head("/health")
    assert (head.status_code, head.content, head.headers["content-length"]) == (200, b"", "15")
    operation = fire_demo.app.openapi()["paths"]["/health"]["get"]
    assert operation["operationId"] == "check_health"
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/HealthResponse"}


async def test_an_answer_keeps_its_own_security_header_and_gets_one_request_id(
    fire_demo: ServiceClient,
) -> None:
    response = await fire_demo.get("/docs")
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'; img-src 'self' data:")
    assert response.headers.get_list("X-Request-ID") == [response.headers["X-Request-ID"]]
