"""Extreme date-times and odd Unicode at every endpoint that takes them: never a 5xx, and every
refusal in the service's own error format.

Each service is driven over HTTP as a client would: JSON bodies are encoded here (so a lone
surrogate travels escaped, as JSON allows), query strings and form fields are percent-encoded or
sent as the UTF-8 bytes a client would produce (a lone surrogate then is invalid UTF-8).
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote

import pytest
from httpx import Response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alloy.identity.roles import Role as AlloyRole
from firemode.identity.roles import Role as FireRole
from tests.alloy.conftest import member
from tests.conftest import ServiceClient
from tests.firemode.conftest import account
from tests.kit.test_error_formats import assert_error

EDGE_MOMENTS = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00-14:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59+14:00",
    "9999-12-31T23:59:59.999999Z",
    "2016-12-31T23:59:60Z",  # a leap second
    "2026-01-01T24:00:00Z",
    "2026-01-01T24:00Z",
    "2026-02-30T00:00:00Z",
    "2026-01-01T00:00:00+24:00",
    "2026-01-01T00:00:00+99:99",
    "0000-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "2026-01-01T00:00:00",
    "2026-01-01",
    "0001-01-01",
    "9999-12-31",
    "\uff12\uff10\uff12\uff16-01-01T00:00:00Z",  # fullwidth digits
    "\u0662\u0660\u0662\u0666-\u0660\u0661-\u0660\u0661T00:00:00Z",  # Arabic-Indic digits
    "2026-01-01T00:00:00\x00Z",
]
ODD_TEXT = [
    "\x00",
    "name\x00",
    "\ud800",  # a lone surrogate
    "a\udfffb",
    "\uff11\uff12\uff13\uff14\uff15\uff16",
    "\u0661\u0662\u0663\u0664\u0665\u0666",
    "\u200f\u202e\u2066gpj.exe",  # right-to-left marks and overrides
    "\ufeff",
    "e\u0301\u0301\u0301",
    "\U0010ffff\uffff",
    "x" * 5000,
    "",
]
moments = st.sampled_from(EDGE_MOMENTS) | st.builds(
    "{:04d}-{:02d}-{:02d}T{:02d}:00:00{}".format,
    st.sampled_from([1, 2, 9998, 9999]),
    st.sampled_from([1, 12]),
    st.sampled_from([1, 31]),
    st.sampled_from([0, 23, 24]),
    st.sampled_from(["Z", "+14:00", "-14:00", "+23:59", "-23:59"]),
)
days = st.sampled_from(["0001-01-01", "9999-12-31", "10000-01-01", "0000-00-00", "2026-02-29"])
# Any code point, surrogates included, besides the named oddities.
texts = st.sampled_from(ODD_TEXT) | st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
PROPERTY = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def assert_answered(response: Response) -> None:
    """Never a server error; any refusal in the service's format (with its security headers)."""
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert_error(response, response.status_code)


def as_json(body: Any) -> dict[str, Any]:
    """Request keywords for ``body`` as ASCII JSON: a lone surrogate travels as its escape."""
    return {"content": json.dumps(body).encode(), "headers": {"Content-Type": "application/json"}}


def query(**params: str) -> str:
    """A query string as a client percent-encodes it (a lone surrogate as its invalid UTF-8)."""
    return "&".join(
        f"{name}={quote(value, safe='', errors='surrogatepass')}" for name, value in params.items()
    )


def utf8(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogatepass")


def form_part(boundary: str, name: str, value: bytes, filename: bytes | None = None) -> bytes:
    disposition = b'Content-Disposition: form-data; name="' + name.encode() + b'"'
    if filename is not None:
        disposition += b'; filename="' + filename + b'"'
    return b"--" + boundary.encode() + b"\r\n" + disposition + b"\r\n\r\n" + value + b"\r\n"


# --- FireMode ----------------------------------------------------------------------------------


@pytest.fixture
async def fire_headers(firemode: ServiceClient) -> dict[str, str]:
    supervisor = await account(firemode, "extreme@firemode.example.com", FireRole.SUPERVISOR)
    return supervisor.headers


@pytest.fixture
async def fire_building(firemode: ServiceClient, fire_headers: dict[str, str]) -> str:
    body = {"name": "Extreme Tower", "address": "1 Edge St"}
    response = await firemode.post("/v1/buildings", json=body, headers=fire_headers)
    assert response.status_code == 201, response.text
    return str(response.json()["building_id"])


@PROPERTY
@given(date_from=moments, date_to=moments, cursor=texts)
async def test_firemode_lists_take_any_dates_and_cursors(
    firemode: ServiceClient, fire_headers: dict[str, str], date_from: str, date_to: str, cursor: str
) -> None:
    for params in ({"date_from": date_from}, {"date_to": date_to}, {"cursor": cursor}):
        assert_answered(await firemode.get(f"/v1/tests/sessions?{query(**params)}", headers=fire_headers))
    for path in ("/v1/buildings", "/v1/evidence"):
        assert_answered(await firemode.get(f"{path}?{query(cursor=cursor)}", headers=fire_headers))


@PROPERTY
@given(text=texts, other=texts)
async def test_firemode_json_bodies_take_any_text(
    firemode: ServiceClient, fire_headers: dict[str, str], fire_building: str, text: str, other: str
) -> None:
    assert_answered(await firemode.post("/v1/buildings", **merge(as_json({"name": text, "address": other}))))
    assert_answered(
        await firemode.patch(f"/v1/buildings/{fire_building}", **merge(as_json({"name": text}), fire_headers))
    )
    session = {"building_id": fire_building, "name": text}
    assert_answered(await firemode.post("/v1/tests/sessions", **merge(as_json(session), fire_headers)))
    changes = {"changes": [{"op": "set", "path": f"/{other}", "value": {text: [other]}}]}
    assert_answered(
        await firemode.post(
            f"/v1/tests/sessions/{uuid.uuid4()}/results",
            **merge(as_json(changes), {"Idempotency-Key": str(uuid.uuid4()), **fire_headers}),
        )
    )
    refresh = as_json({"refresh_token": text})
    assert_answered(await firemode.post("/v1/auth/refresh", **refresh))


@PROPERTY
@given(username=texts, password=texts)
async def test_firemode_login_form_takes_any_text(
    firemode: ServiceClient, username: str, password: str
) -> None:
    body = query(username=username, password=password)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert_answered(await firemode.post("/v1/auth/token", content=body.encode(), headers=headers))


@PROPERTY
@given(note=texts, session_id=texts, evidence_type=texts, sha256=texts, filename=texts)
async def test_firemode_evidence_form_takes_any_text(
    firemode: ServiceClient,
    fire_headers: dict[str, str],
    note: str,
    session_id: str,
    evidence_type: str,
    sha256: str,
    filename: str,
) -> None:
    boundary = "extreme" + uuid.uuid4().hex
    pdf = b"%PDF-1.7\n" + b"1 0 obj << >> endobj\n" * 20
    parts = [
        form_part(boundary, "note", utf8(note)),
        form_part(boundary, "session_id", utf8(session_id)),
        form_part(boundary, "evidence_type", utf8(evidence_type)),
        form_part(boundary, "sha256_hash", utf8(sha256)),
        form_part(boundary, "file", pdf, filename=utf8(filename).replace(b'"', b"")),
    ]
    body = b"".join(parts) + b"--" + boundary.encode() + b"--\r\n"
    headers = {**fire_headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    assert_answered(await firemode.post("/v1/evidence", content=body, headers=headers))


# --- Alloy -------------------------------------------------------------------------------------


@pytest.fixture
async def alloy_headers(alloy: ServiceClient) -> dict[str, str]:
    headers = (await member(alloy, "extreme@alloy.example.com", AlloyRole.USER)).headers
    # Set up, not enabled: /2fa/enable then compares every well-formed code with the real one.
    assert (await alloy.post("/v1/auth/2fa/setup", headers=headers)).status_code == 200
    return headers


@PROPERTY
@given(moment=moments, operator=st.sampled_from(["eq", "gt", "lte"]), text=texts, cursor=texts)
async def test_alloy_movement_queries_take_any_dates_and_text(
    alloy: ServiceClient, alloy_headers: dict[str, str], moment: str, operator: str, text: str, cursor: str
) -> None:
    filters = [
        {"field": "created_at", "operator": operator, "value": moment},
        {"field": "name", "operator": "like", "value": text},
    ]
    for chosen in ([filters[0]], [filters[1]]):
        body = as_json({"filters": chosen, "sort_by": "created_at"})
        assert_answered(await alloy.post("/v1/movements/query", **merge(body, alloy_headers)))
    assert_answered(await alloy.get(f"/v1/movements?{query(q=text)}", headers=alloy_headers))
    assert_answered(await alloy.get(f"/v1/movements?{query(cursor=cursor)}", headers=alloy_headers))
    assert_answered(await alloy.get(f"/v1/programs?{query(cursor=cursor)}", headers=alloy_headers))


@PROPERTY
@given(first=days, last=days, moment=moments, text=texts)
async def test_alloy_dates_take_any_value(
    alloy: ServiceClient, alloy_headers: dict[str, str], first: str, last: str, moment: str, text: str
) -> None:
    program = uuid.uuid4()
    for value in (first, moment):
        url = f"/v1/programs/{program}/sessions?{query(**{'from': value, 'to': last})}"
        assert_answered(await alloy.get(url, headers=alloy_headers))
    for start in (first, moment):
        body = {
            "name": text,
            "goals": [{"goal": "strength", "weight": 10}],
            "duration_weeks": 8,
            "start_date": start,
            "days_per_week": 3,
            "max_session_minutes": 60,
            "equipment": ["barbell"],
        }
        assert_answered(await alloy.post("/v1/programs", **merge(as_json(body), alloy_headers)))
    update = as_json({"scheduled_date": moment, "notes": text})
    assert_answered(await alloy.patch(f"/v1/sessions/{uuid.uuid4()}", **merge(update, alloy_headers)))


@PROPERTY
@given(
    email=texts,
    password=texts,
    code=st.sampled_from(ODD_TEXT[4:6]) | st.text("0123456789\u0661\uff11", min_size=6, max_size=6) | texts,
)
async def test_alloy_identity_takes_any_text(
    alloy: ServiceClient, alloy_headers: dict[str, str], email: str, password: str, code: str
) -> None:
    assert_answered(await alloy.post("/v1/auth/login", **as_json({"email": email, "password": password})))
    login = {"email": "extreme@alloy.example.com", "password": password, "otp": code}
    assert_answered(await alloy.post("/v1/auth/login", **as_json(login)))
    register = {"email": f"{uuid.uuid4().hex}@alloy.example.com", "password": password, "name": email}
    assert_answered(await alloy.post("/v1/auth/register", **as_json(register)))
    assert_answered(await alloy.post("/v1/auth/2fa/enable", **merge(as_json({"code": code}), alloy_headers)))
    assert_answered(await alloy.patch("/v1/users/me", **merge(as_json({"name": email}), alloy_headers)))


def merge(request: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    """``request`` with ``headers`` added to its own."""
    return {**request, "headers": {**request.get("headers", {}), **(headers or {})}}
