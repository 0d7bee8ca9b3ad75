"""Alloy identity end to end, every answer in the envelope, every attack refused with its code."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pyotp
import pytest
from httpx import Response
from sqlalchemy import delete, select

from alloy.identity.models import User
from alloy.identity.roles import Role
from alloy.identity.service import ADMIN_WITHOUT_2FA
from apikit.auth.tokens import _derive
from apikit.ids import utcnow
from tests.alloy.conftest import PASSWORD, Member, data_of, log_in, member
from tests.conftest import TEST_SECRET, ServiceClient, asgi_client, held_password_work, settings_for


def error_of(response: Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["data"] is None
    assert body["meta"]["request_id"] == response.headers["X-Request-ID"]
    assert body["errors"][0]["code"] == code, body
    return body["errors"][0]


# --- registration --------------------------------------------------------------------------------


async def test_register_returns_the_user_and_a_working_pair(alloy: ServiceClient) -> None:
    body = {"email": "Ana@Alloy.example.com", "password": PASSWORD, "name": "Ana"}
    data = data_of(await alloy.post("/v1/auth/register", json=body), 201)
    assert data["user"]["email"] == "ana@alloy.example.com"
    assert data["user"]["role"] == "user"
    assert data["user"]["units"] == "kg"
    headers = {"Authorization": f"Bearer {data['tokens']['access_token']}"}
    me = data_of(await alloy.get("/v1/users/me", headers=headers))
    assert me["user_id"] == data["user"]["user_id"]


async def test_duplicate_email_is_409_whatever_the_case(alloy: ServiceClient, athlete: Member) -> None:
    body = {"email": "ATHLETE@alloy.example.com", "password": PASSWORD, "name": "Twin"}
    error = error_of(await alloy.post("/v1/auth/register", json=body), 409, "CF_DUPLICATE_EMAIL")
    assert error["details"] == {"field": "email"}


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1!", "use at least 12 characters"),
        ("password1234", "This is a very common password."),
        ("zoe.runner-lifts-heavy", "do not include your email address"),
    ],
)
async def test_weak_passwords_are_400_with_reasons(alloy: ServiceClient, password: str, reason: str) -> None:
    body = {"email": "zoe.runner@alloy.example.com", "password": password, "name": "Zoe"}
    error = error_of(await alloy.post("/v1/auth/register", json=body), 400, "VAL_PASSWORD")
    assert reason in error["details"]["reasons"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"email": "x@alloy.example.com", "password": PASSWORD}, "VAL_NAME"),
        ({"email": "not-an-email", "password": PASSWORD, "name": "X"}, "VAL_EMAIL"),
        ({"email": "x@alloy.example.com", "password": 123456789012, "name": "X"}, "VAL_PASSWORD"),
        ({"email": "x@alloy.example.com", "password": PASSWORD, "name": "X", "role": "admin"}, "VAL_ROLE"),
    ],
    ids=["missing-name", "bad-email", "number-password", "self-promotion"],
)
async def test_bad_registration_input_is_422_per_field(
    alloy: ServiceClient, body: dict[str, Any], code: str
) -> None:
    error = error_of(await alloy.post("/v1/auth/register", json=body), 422, code)
    assert error["details"]["field"].startswith("body.")


def registration(name: str) -> dict[str, str]:
    return {"email": f"{name}@alloy.example.com", "password": PASSWORD, "name": name}


async def test_registration_is_limited_per_address_before_any_hash(alloy: ServiceClient) -> None:
    """A flood of sign-ups from one address costs at most five Argon2 hashes a minute."""
    hashed: list[str] = []
    password_hash = alloy.app.state.identity.hasher._hash
    real_hash = password_hash.hash
    password_hash.hash = lambda password: hashed.append(password) or real_hash(password)
    for number in range(5):
        data_of(await alloy.post("/v1/auth/register", json=registration(f"user{number}")), 201)
    response = await alloy.post("/v1/auth/register", json=registration("user5"))
    error = error_of(response, 429, "RATE_LIMIT_EXCEEDED")
    assert error["details"]["limit"] == "5/minute"
    assert int(response.headers["Retry-After"]) == error["details"]["retry_after"]
    assert len(hashed) == 5  # the sixth was refused before its password was hashed
    async with asgi_client(alloy.app, address="10.0.0.2") as neighbour:
        data_of(await neighbour.post("/v1/auth/register", json=registration("user6")), 201)


async def test_password_work_beyond_the_queue_is_a_retryable_503(
    tmp_path: Path, database_url_for: Any
) -> None:
    """One hashing thread and one waiting place: a third sign-up at once is refused at once (not
    left to time out, nor holding the database while it waits), and other requests are answered."""
    from alloy.main import create_alloy_app

    settings = settings_for(
        "alloy", tmp_path, database_url_for("alloy"), password_hash_workers=1, password_hash_queue=1
    )
    app = create_alloy_app(settings)
    hasher = app.state.identity.hasher
    async with asgi_client(app) as client:
        async with held_password_work(app, "hash"):
            first = asyncio.create_task(client.post("/v1/auth/register", json=registration("first")))
            second = asyncio.create_task(client.post("/v1/auth/register", json=registration("second")))
            async with asyncio.timeout(30):  # a guard against a hang, not a measure
                while hasher.admitted < 2:  # noqa: ASYNC110 - a count, with no event to wait on
                    await asyncio.sleep(0.01)
            response = await client.post("/v1/auth/register", json=registration("third"))
            error_of(response, 503, "SYS_BUSY")
            assert response.headers["Retry-After"] == "1"
            health = await client.get("/health")
            assert health.status_code == 200
            # Writes that hash nothing do not wait behind the held hashes either.
            refresh = await client.post("/v1/auth/refresh", json={"refresh_token": "made-up"})
            error_of(refresh, 401, "AUTH_INVALID_TOKEN")
        assert data_of(await first, 201)["user"]["email"] == "first@alloy.example.com"
        assert data_of(await second, 201)["user"]["email"] == "second@alloy.example.com"
        assert hasher.admitted == 0
    await app.state.database.dispose()


# --- login, refresh, logout ----------------------------------------------------------------------


async def test_wrong_password_is_invalid_credentials(alloy: ServiceClient, athlete: Member) -> None:
    response = await alloy.post(
        "/v1/auth/login", json={"email": athlete.email, "password": "not the password"}
    )
    error_of(response, 401, "AUTH_INVALID_CREDENTIALS")
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_missing_and_garbage_tokens(alloy: ServiceClient) -> None:
    error_of(await alloy.get("/v1/users/me"), 401, "AUTH_MISSING_TOKEN")
    error_of(
        await alloy.get("/v1/users/me", headers={"Authorization": "Bearer x.y.z"}), 401, "AUTH_INVALID_TOKEN"
    )


async def test_expired_token_says_so(alloy: ServiceClient, athlete: Member) -> None:
    tokens = alloy.app.state.identity.access_tokens
    token, _ = tokens.issue(str(athlete.user_id), "user", now=utcnow() - timedelta(hours=2))
    response = await alloy.get("/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    error_of(response, 401, "AUTH_EXPIRED_TOKEN")


async def test_firemode_token_is_not_an_alloy_token(alloy: ServiceClient, athlete: Member) -> None:
    from apikit.auth.tokens import AccessTokens
    from tests.conftest import TEST_SECRET

    foreign = AccessTokens(
        secret=TEST_SECRET.encode(), issuer="firemode", audience="firemode-api", lifetime=timedelta(minutes=5)
    )
    token, _ = foreign.issue(str(athlete.user_id), "user")
    error_of(
        await alloy.get("/v1/users/me", headers={"Authorization": f"Bearer {token}"}),
        401,
        "AUTH_INVALID_TOKEN",
    )


@pytest.mark.parametrize(
    "odd",
    [{"sub": "not-a-uuid"}, {"exp": 1e20}, {"iat": -1e20}, {"jti": "x\x00y"}, {"sid": "family"}],
    ids=["sub", "exp", "iat", "jti", "sid"],
)
async def test_validly_signed_token_with_odd_claims_is_401(
    alloy: ServiceClient, athlete: Member, odd: dict[str, object]
) -> None:
    claims = jwt.decode(athlete.tokens["access_token"], options={"verify_signature": False}) | odd
    token = jwt.encode(claims, _derive(TEST_SECRET.encode(), b"access-token"), algorithm="HS256")
    headers = {"Authorization": f"Bearer {token}"}
    error_of(await alloy.get("/v1/users/me", headers=headers), 401, "AUTH_INVALID_TOKEN")
    error_of(await alloy.post("/v1/auth/logout", headers=headers), 401, "AUTH_INVALID_TOKEN")


async def test_token_of_a_deleted_user_is_401(alloy: ServiceClient, athlete: Member) -> None:
    async with alloy.app.state.database.transactional() as session:
        await session.execute(delete(User).where(User.id == athlete.user_id))
    error_of(await alloy.get("/v1/users/me", headers=athlete.headers), 401, "AUTH_INVALID_TOKEN")
    error_of(await alloy.get("/v1/programs", headers=athlete.headers), 401, "AUTH_INVALID_TOKEN")


async def test_refresh_reuse_is_detected(alloy: ServiceClient, athlete: Member) -> None:
    first = athlete.tokens["refresh_token"]
    rotated = data_of(await alloy.post("/v1/auth/refresh", json={"refresh_token": first}))
    error_of(await alloy.post("/v1/auth/refresh", json={"refresh_token": first}), 401, "AUTH_TOKEN_REUSED")
    error_of(
        await alloy.post("/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}),
        401,
        "AUTH_INVALID_TOKEN",
    )
    headers = {"Authorization": f"Bearer {rotated['access_token']}"}
    error_of(await alloy.get("/v1/users/me", headers=headers), 401, "AUTH_INVALID_TOKEN")


async def test_logout(alloy: ServiceClient, athlete: Member) -> None:
    assert (await alloy.post("/v1/auth/logout", headers=athlete.headers)).status_code == 204
    error_of(await alloy.get("/v1/users/me", headers=athlete.headers), 401, "AUTH_INVALID_TOKEN")


async def test_guessing_locks_out_the_guesser_not_the_owner(alloy: ServiceClient, athlete: Member) -> None:
    wrong = {"email": athlete.email, "password": "guess guess guess"}
    for _ in range(10):
        error_of(await alloy.post("/v1/auth/login", json=wrong), 401, "AUTH_INVALID_CREDENTIALS")
    response = await alloy.post("/v1/auth/login", json={"email": athlete.email, "password": PASSWORD})
    error = error_of(response, 429, "RATE_LIMIT_EXCEEDED")
    assert error["details"]["limit"] == "10/minute"
    assert int(response.headers["Retry-After"]) == error["details"]["retry_after"]
    async with asgi_client(alloy.app, address="10.0.0.2") as owner:
        assert (await log_in(owner, athlete.email))["access_token"]


async def test_a_password_being_checked_holds_up_no_other_write(
    alloy: ServiceClient, athlete: Member
) -> None:
    """Argon2 runs before the login's unit of work: while one login's hash is being checked, an
    unrelated write is answered (on SQLite a hash inside the write session held the writer turn,
    and thirty logins made other writes time out)."""
    async with held_password_work(alloy.app, "verify_and_update") as started:
        body = {"email": athlete.email, "password": PASSWORD}
        login = asyncio.create_task(alloy.post("/v1/auth/login", json=body))
        await started()
        response = await alloy.post("/v1/auth/refresh", json={"refresh_token": "made-up"})
        error_of(response, 401, "AUTH_INVALID_TOKEN")
    assert data_of(await login)["access_token"]


# --- preferences ---------------------------------------------------------------------------------


async def test_update_preferences(alloy: ServiceClient, athlete: Member) -> None:
    body = {"units": "lb", "e1rm_formula": "brzycki", "equipment": ["dumbbell", "bench"], "name": "A. Thlete"}
    me = data_of(await alloy.patch("/v1/users/me", json=body, headers=athlete.headers))
    assert (me["units"], me["e1rm_formula"], me["equipment"], me["name"]) == (
        "lb",
        "brzycki",
        ["dumbbell", "bench"],
        "A. Thlete",
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"units": "stone"}, "VAL_UNITS"),
        ({"equipment": ["jetpack"]}, "VAL_EQUIPMENT"),
        ({"role": "admin"}, "VAL_ROLE"),
    ],
)
async def test_bad_preferences(
    alloy: ServiceClient, athlete: Member, body: dict[str, Any], code: str
) -> None:
    error_of(await alloy.patch("/v1/users/me", json=body, headers=athlete.headers), 422, code)


# --- two-factor ----------------------------------------------------------------------------------


async def enable_two_factor(alloy: ServiceClient, who: Member) -> pyotp.TOTP:
    setup = data_of(await alloy.post("/v1/auth/2fa/setup", headers=who.headers))
    assert setup["otpauth_uri"].startswith("otpauth://totp/Alloy:")
    totp = pyotp.TOTP(setup["secret"])
    state = data_of(await alloy.post("/v1/auth/2fa/enable", json={"code": totp.now()}, headers=who.headers))
    assert state == {"two_factor_enabled": True}
    return totp


def code_at(totp: pyotp.TOTP, steps_ahead: int) -> str:
    return totp.at(utcnow() + timedelta(seconds=30 * steps_ahead))


async def test_two_factor_login(alloy: ServiceClient, admin: Member) -> None:
    totp = await enable_two_factor(alloy, admin)
    error_of(
        await alloy.post("/v1/auth/login", json={"email": admin.email, "password": PASSWORD}),
        401,
        "AUTH_OTP_REQUIRED",
    )
    # The enabling code was spent; the next step's code (clock drift allowed) logs in, once.
    code = code_at(totp, 1)
    response = await alloy.post(
        "/v1/auth/login", json={"email": admin.email, "password": PASSWORD, "otp": code}
    )
    assert response.status_code == 200
    assert response.json()["meta"]["warnings"] == []
    replay = await alloy.post(
        "/v1/auth/login", json={"email": admin.email, "password": PASSWORD, "otp": code}
    )
    error_of(replay, 401, "AUTH_OTP_REQUIRED")


async def test_admin_without_two_factor_is_warned(alloy: ServiceClient, admin: Member) -> None:
    response = await alloy.post("/v1/auth/login", json={"email": admin.email, "password": PASSWORD})
    assert response.json()["meta"]["warnings"] == [ADMIN_WITHOUT_2FA]
    plain = await alloy.post(
        "/v1/auth/login", json={"email": admin.email.replace("coach", "x"), "password": "x"}
    )
    assert plain.json()["meta"]["warnings"] == []


async def test_admin_without_two_factor_can_be_refused(tmp_path: Path, database_url_for: Any) -> None:
    from alloy.main import create_alloy_app

    app = create_alloy_app(settings_for("alloy", tmp_path, database_url_for("alloy"), require_admin_2fa=True))
    async with asgi_client(app) as client:
        with pytest.raises(AssertionError):
            await member(client, "strict@alloy.example.com", Role.ADMIN)  # its login is refused
        response = await client.post(
            "/v1/auth/login", json={"email": "strict@alloy.example.com", "password": PASSWORD}
        )
        error_of(response, 401, "AUTH_OTP_REQUIRED")
    await app.state.database.dispose()


async def test_wrong_codes_are_refused_and_limited(alloy: ServiceClient, athlete: Member) -> None:
    data_of(await alloy.post("/v1/auth/2fa/setup", headers=athlete.headers))
    for _ in range(5):
        response = await alloy.post("/v1/auth/2fa/enable", json={"code": "000000"}, headers=athlete.headers)
        error_of(response, 401, "AUTH_OTP_REQUIRED")
    error_of(
        await alloy.post("/v1/auth/2fa/enable", json={"code": "000000"}, headers=athlete.headers),
        429,
        "RATE_LIMIT_EXCEEDED",
    )


async def test_disable_two_factor_needs_a_fresh_code(alloy: ServiceClient, athlete: Member) -> None:
    totp = await enable_two_factor(alloy, athlete)
    data_of(
        await alloy.post("/v1/auth/2fa/disable", json={"code": code_at(totp, 1)}, headers=athlete.headers)
    )
    me = data_of(await alloy.get("/v1/users/me", headers=athlete.headers))
    assert me["two_factor_enabled"] is False
    await log_in(alloy, athlete.email)


@pytest.mark.parametrize("code", ["12345", "abcdef", 123456, "1234567"])
async def test_malformed_codes_are_422(alloy: ServiceClient, athlete: Member, code: object) -> None:
    response = await alloy.post("/v1/auth/2fa/enable", json={"code": code}, headers=athlete.headers)
    error_of(response, 422, "VAL_CODE")


NON_ASCII_DIGITS = [
    "\uff11\uff12\uff13\uff14\uff15\uff16",  # fullwidth
    "\u0661\u0662\u0663\u0664\u0665\u0666",  # Arabic-Indic
    "12345\u0663",
]


@pytest.mark.parametrize("code", NON_ASCII_DIGITS, ids=["fullwidth", "arabic-indic", "mixed"])
async def test_codes_in_non_ascii_digits_are_422(alloy: ServiceClient, athlete: Member, code: str) -> None:
    """A regex's \\d takes any Unicode digit, then comparing the code with an ASCII one raised (500)."""
    data_of(await alloy.post("/v1/auth/2fa/setup", headers=athlete.headers))
    response = await alloy.post("/v1/auth/2fa/enable", json={"code": code}, headers=athlete.headers)
    error_of(response, 422, "VAL_CODE")
    await enable_two_factor(alloy, athlete)
    response = await alloy.post(
        "/v1/auth/login", json={"email": athlete.email, "password": PASSWORD, "otp": code}
    )
    error_of(response, 422, "VAL_OTP")


# --- roles and the deprecated admin token ---------------------------------------------------------


async def test_super_admin_changes_roles(alloy: ServiceClient, super_admin: Member, athlete: Member) -> None:
    response = await alloy.patch(
        f"/v1/admin/users/{athlete.user_id}", json={"role": "admin"}, headers=super_admin.headers
    )
    assert data_of(response)["role"] == "admin"
    error_of(await alloy.get("/v1/users/me", headers=athlete.headers), 401, "AUTH_INVALID_TOKEN")


@pytest.mark.parametrize("role", [Role.USER, Role.ADMIN])
async def test_only_super_admins_change_roles(alloy: ServiceClient, role: Role) -> None:
    caller = await member(alloy, f"{role}@alloy.example.com", role)
    response = await alloy.patch(
        f"/v1/admin/users/{caller.user_id}", json={"role": "super_admin"}, headers=caller.headers
    )
    error = error_of(response, 403, "AUTH_FORBIDDEN")
    assert error["details"] == {"required": ["super_admin"]}


async def test_unknown_user_is_404(alloy: ServiceClient, super_admin: Member) -> None:
    response = await alloy.patch(
        "/v1/admin/users/01890a5d-ac96-774b-bcce-b302099a8057",
        json={"is_active": False},
        headers=super_admin.headers,
    )
    error_of(response, 404, "NF_USER")


async def test_admins_read_the_audit_log(alloy: ServiceClient, admin: Member, athlete: Member) -> None:
    await alloy.post("/v1/auth/login", json={"email": athlete.email, "password": "wrong wrong wrong"})
    page = data_of(await alloy.get("/v1/admin/security-events", params={"limit": 2}, headers=admin.headers))
    assert [item["event"] for item in page["items"]] == ["login_failed", "login_succeeded"]
    assert page["next_cursor"] is not None
    failed = data_of(
        await alloy.get("/v1/admin/security-events", params={"event": "login_failed"}, headers=admin.headers)
    )
    assert [item["user_id"] for item in failed["items"]] == [str(athlete.user_id)]


async def test_plain_user_cannot_read_the_audit_log(alloy: ServiceClient, athlete: Member) -> None:
    error_of(await alloy.get("/v1/admin/security-events", headers=athlete.headers), 403, "AUTH_FORBIDDEN")


async def test_admin_token_header_is_ignored_when_unset(alloy: ServiceClient) -> None:
    response = await alloy.get("/v1/admin/security-events", headers={"X-Admin-Token": "anything"})
    error_of(response, 401, "AUTH_MISSING_TOKEN")
    assert "Deprecation" not in response.headers


async def test_admin_token_when_configured_is_deprecated_but_works(
    tmp_path: Path, database_url_for: Any
) -> None:
    from alloy.main import create_alloy_app

    settings = settings_for("alloy", tmp_path, database_url_for("alloy"), admin_token="legacy-" + "k" * 30)
    app = create_alloy_app(settings)
    async with asgi_client(app) as client:
        response = await client.get(
            "/v1/admin/security-events", headers={"X-Admin-Token": "legacy-" + "k" * 30}
        )
        page = data_of(response)
        assert response.headers["Deprecation"] == "true"
        assert response.headers["Sunset"] == "Wed, 30 Jun 2027 00:00:00 GMT"
        assert response.json()["meta"]["warnings"] == [
            "X-Admin-Token is deprecated; log in as an admin and use a bearer token"
        ]
        # The use is audited (in its own transaction, before the endpoint runs).
        assert [item["event"] for item in page["items"]] == ["deprecated_credential_used"]
        assert page["items"][0]["details"] == {"credential": "X-Admin-Token"}
    await app.state.database.dispose()


async def test_wrong_admin_tokens_are_deprecated_throttled_and_audited(
    tmp_path: Path, database_url_for: Any
) -> None:
    from alloy.identity.models import SecurityEvent
    from alloy.main import create_alloy_app

    settings = settings_for("alloy", tmp_path, database_url_for("alloy"), admin_token="legacy-" + "k" * 30)
    app = create_alloy_app(settings)

    async def rejected_events() -> list[SecurityEvent]:
        async with app.state.database.read_sessions() as session:
            rows = await session.execute(
                select(SecurityEvent).where(SecurityEvent.event == "admin_token_rejected")
            )
            return list(rows.scalars())

    async with asgi_client(app) as client:
        for attempt in range(10):
            wrong = await client.get(
                "/v1/admin/security-events", headers={"X-Admin-Token": f"guess-{attempt}"}
            )
            error_of(wrong, 401, "AUTH_INVALID_TOKEN")
            assert wrong.headers["Deprecation"] == "true"
            assert wrong.headers["Sunset"] == "Wed, 30 Jun 2027 00:00:00 GMT"
        events = await rejected_events()
        assert len(events) == 10
        assert {(event.address, event.details["credential"]) for event in events} == {
            ("127.0.0.1", "X-Admin-Token")
        }
        throttled = await client.get(
            "/v1/admin/security-events", headers={"X-Admin-Token": "legacy-" + "k" * 30}
        )
        error = error_of(throttled, 429, "RATE_LIMIT_EXCEEDED")
        assert error["details"]["limit"] == "10/minute"
        assert throttled.headers["Deprecation"] == "true"
        assert "Sunset" in throttled.headers
        assert len(await rejected_events()) == 10  # refused before the token was compared
        # Another address, with the right token, is not held back by the guesser.
        async with asgi_client(app, address="10.0.0.2") as colleague:
            data_of(
                await colleague.get(
                    "/v1/admin/security-events", headers={"X-Admin-Token": "legacy-" + "k" * 30}
                )
            )
    await app.state.database.dispose()


# --- the active flag: `active` as the spec names it, `is_active` still accepted ------------------


EITHER_NAME = [{"active": False}, {"is_active": False}, {"active": False, "is_active": False}]


@pytest.mark.parametrize("body", EITHER_NAME)
async def test_super_admin_disables_a_user_with_either_name(
    alloy: ServiceClient, super_admin: Member, athlete: Member, body: dict[str, bool]
) -> None:
    response = await alloy.patch(f"/v1/admin/users/{athlete.user_id}", json=body, headers=super_admin.headers)
    user = data_of(response)
    assert user["is_active"] is False
    assert "active" not in user  # the answer keeps its shape
    error_of(await alloy.get("/v1/users/me", headers=athlete.headers), 401, "AUTH_INVALID_TOKEN")
    response = await alloy.patch(
        f"/v1/admin/users/{athlete.user_id}", json={"active": True}, headers=super_admin.headers
    )
    assert data_of(response)["is_active"] is True


@pytest.mark.parametrize(
    "body",
    [
        {"active": True, "is_active": False},
        {"active": False, "is_active": True},
        {"active": "no"},
        {"active": 0},
        {"active": None, "is_active": "yes"},
    ],
)
async def test_a_contradictory_or_bad_active_flag_is_a_422(
    alloy: ServiceClient, super_admin: Member, athlete: Member, body: dict[str, object]
) -> None:
    response = await alloy.patch(f"/v1/admin/users/{athlete.user_id}", json=body, headers=super_admin.headers)
    assert response.status_code == 422, response.text
    assert response.json()["data"] is None
    assert all(error["code"].startswith("VAL_") for error in response.json()["errors"])
    assert data_of(await alloy.get("/v1/users/me", headers=athlete.headers))["is_active"] is True


@pytest.mark.parametrize("role", [Role.USER, Role.ADMIN])
async def test_only_super_admins_change_the_active_flag(
    alloy: ServiceClient, role: Role, athlete: Member
) -> None:
    caller = await member(alloy, f"{role}@alloy.example.com", role)
    response = await alloy.patch(
        f"/v1/admin/users/{athlete.user_id}", json={"active": False}, headers=caller.headers
    )
    error_of(response, 403, "AUTH_FORBIDDEN")
    assert data_of(await alloy.get("/v1/users/me", headers=athlete.headers))["is_active"] is True
