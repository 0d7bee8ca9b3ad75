"""FireMode identity end to end: login, refresh, logout, roles, and each attack refused in FR-5."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from httpx import Response
from sqlalchemy import delete, select

from apikit.auth.tokens import AccessTokens, _derive
from apikit.ids import utcnow
from firemode.identity.models import SecurityEvent, User
from firemode.identity.roles import Role
from firemode.main import create_firemode_app
from tests.conftest import TEST_SECRET, ServiceClient, asgi_client, held_password_work, settings_for
from tests.firemode.conftest import PASSWORD, Account, account, create_account, log_in


def assert_fire(response: Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == f"FIRE-{status}"
    assert body["transaction_id"] == response.headers["X-Request-ID"]
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
    return body


async def events(client: ServiceClient, name: str) -> list[SecurityEvent]:
    async with client.app.state.database.read_sessions() as session:
        rows = await session.execute(select(SecurityEvent).where(SecurityEvent.event == name))
        return list(rows.scalars())


# --- logging in ----------------------------------------------------------------------------------


async def test_login_issues_a_working_pair(firemode: ServiceClient, technician: Account) -> None:
    tokens = technician.tokens
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 15 * 60
    me = await firemode.get("/v1/users/me", headers=technician.headers)
    assert me.status_code == 200
    assert me.json()["email"] == "tech@firemode.example.com"
    assert me.json()["role"] == "technician"
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert set(claims) >= {"sub", "jti", "iat", "exp", "iss", "aud", "typ", "role"}
    assert claims["typ"] == "access"
    assert claims["aud"] == "firemode-api"
    assert claims["exp"] - claims["iat"] == 15 * 60


async def test_email_is_case_insensitive(firemode: ServiceClient, technician: Account) -> None:
    assert (await log_in(firemode, "TECH@FireMode.example.com"))["access_token"]


@pytest.mark.parametrize("email", ["tech@firemode.example.com", "nobody@firemode.example.com"])
async def test_wrong_credentials_are_401_and_audited(
    firemode: ServiceClient, technician: Account, email: str
) -> None:
    response = await firemode.post(
        "/v1/auth/token", data={"username": email, "password": "wrong password here"}
    )
    body = assert_fire(response, 401)
    assert body["message"] == "Email or password is incorrect"  # the same for both: no account oracle
    failed = await events(firemode, "login_failed")
    assert len(failed) == 1
    assert failed[0].details["reason"] == ("bad_password" if email.startswith("tech") else "unknown_user")


async def test_disabled_user_cannot_log_in(
    firemode: ServiceClient, admin: Account, technician: Account
) -> None:
    response = await firemode.patch(
        f"/v1/users/{technician.user_id}", json={"is_active": False}, headers=admin.headers
    )
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert_fire(await firemode.get("/v1/users/me", headers=technician.headers), 401)  # revoked at once
    response = await firemode.post(
        "/v1/auth/token", data={"username": technician.email, "password": PASSWORD}
    )
    assert_fire(response, 401)


async def test_guessing_locks_out_the_guesser_not_the_owner(
    firemode: ServiceClient, technician: Account
) -> None:
    """Ten wrong passwords for one account from one address: that address waits, with the right
    password too; the owner, from another address, still logs in (the fixture's own successful
    login counted for nothing)."""
    statuses = []
    for _ in range(11):
        response = await firemode.post(
            "/v1/auth/token", data={"username": technician.email, "password": "guess guess guess"}
        )
        statuses.append(response.status_code)
    assert statuses == [401] * 10 + [429]
    body = assert_fire(response, 429)
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["RateLimit-Remaining"] == "0"
    assert body["retryable"] is True
    blocked = await firemode.post("/v1/auth/token", data={"username": technician.email, "password": PASSWORD})
    assert_fire(blocked, 429)
    async with asgi_client(firemode.app, address="10.0.0.2") as owner:
        assert (await log_in(owner, technician.email))["access_token"]


async def test_failures_from_every_address_meet_a_slower_backstop(
    tmp_path: Path, database_url_for: Callable[[str], str]
) -> None:
    settings = settings_for(
        "firemode",
        tmp_path,
        database_url_for("firemode"),
        login_rate_per_account="2/minute",
        login_backstop_per_account="3/hour",
    )
    app = create_firemode_app(settings)
    wrong = {"username": "tech@firemode.example.com", "password": "guess guess guess"}
    async with asgi_client(app, "10.0.0.1") as first, asgi_client(app, "10.0.0.2") as second:
        await create_account(first, "tech@firemode.example.com", Role.TECHNICIAN)
        for _ in range(5):  # successes count toward neither limit
            await log_in(first, "tech@firemode.example.com")
        assert [(await first.post("/v1/auth/token", data=wrong)).status_code for _ in range(3)] == [
            401,
            401,
            429,
        ]
        assert (await second.post("/v1/auth/token", data=wrong)).status_code == 401
        async with asgi_client(app, "10.0.0.3") as owner:
            response = await owner.post(
                "/v1/auth/token", data={"username": "tech@firemode.example.com", "password": PASSWORD}
            )
            body = assert_fire(response, 429)
            assert body["details"] == {"limit": "3/hour", "retry_after": int(response.headers["Retry-After"])}
    await app.state.database.dispose()


async def test_a_password_being_checked_holds_up_no_other_write(
    firemode: ServiceClient, technician: Account
) -> None:
    """While one login's hash is being checked, an unrelated write is answered."""
    async with held_password_work(firemode.app, "verify_and_update") as started:
        login = asyncio.create_task(log_in(firemode, technician.email))
        await started()
        assert_fire(await firemode.post("/v1/auth/refresh", json={"refresh_token": "made-up"}), 401)
    assert (await login)["access_token"]


async def test_a_new_users_password_is_hashed_before_the_unit_of_work(
    firemode: ServiceClient, admin: Account
) -> None:
    body = {"email": "new@firemode.example.com", "password": PASSWORD, "role": "technician"}
    async with held_password_work(firemode.app, "hash") as started:
        created = asyncio.create_task(firemode.post("/v1/users", json=body, headers=admin.headers))
        await started()
        assert_fire(await firemode.post("/v1/auth/refresh", json={"refresh_token": "made-up"}), 401)
    assert (await created).status_code == 201


async def test_old_hashes_are_upgraded_on_login(firemode: ServiceClient) -> None:
    import bcrypt

    legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    user_id = await create_account(firemode, "legacy@firemode.example.com", Role.TECHNICIAN)
    async with firemode.app.state.database.transactional() as session:
        (await session.get(User, user_id)).password_hash = legacy
    await log_in(firemode, "legacy@firemode.example.com")
    async with firemode.app.state.database.read_sessions() as session:
        upgraded = (await session.get(User, user_id)).password_hash
    assert upgraded.startswith("$argon2id$")
    await log_in(firemode, "legacy@firemode.example.com")  # and the new hash verifies


# --- refresh and logout --------------------------------------------------------------------------


async def test_refresh_rotates(firemode: ServiceClient, technician: Account) -> None:
    first = technician.tokens["refresh_token"]
    response = await firemode.post("/v1/auth/refresh", json={"refresh_token": first})
    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first
    headers = {"Authorization": f"Bearer {second['access_token']}"}
    assert (await firemode.get("/v1/users/me", headers=headers)).status_code == 200


async def test_refresh_token_used_twice_revokes_the_family(
    firemode: ServiceClient, technician: Account
) -> None:
    stolen = technician.tokens["refresh_token"]
    legit = (await firemode.post("/v1/auth/refresh", json={"refresh_token": stolen})).json()
    replay = await firemode.post("/v1/auth/refresh", json={"refresh_token": stolen})
    assert_fire(replay, 401)
    # Everything of that login is gone: the newer refresh token and the access tokens.
    assert_fire(await firemode.post("/v1/auth/refresh", json={"refresh_token": legit["refresh_token"]}), 401)
    assert_fire(
        await firemode.get("/v1/users/me", headers={"Authorization": f"Bearer {legit['access_token']}"}), 401
    )
    assert len(await events(firemode, "refresh_token_reused")) == 1


async def test_unknown_refresh_token_is_401(firemode: ServiceClient) -> None:
    assert_fire(await firemode.post("/v1/auth/refresh", json={"refresh_token": "made-up"}), 401)


async def test_logout_revokes_access_and_refresh(firemode: ServiceClient, technician: Account) -> None:
    response = await firemode.post("/v1/auth/logout", headers=technician.headers)
    assert response.status_code == 204
    assert_fire(await firemode.get("/v1/users/me", headers=technician.headers), 401)
    refresh = await firemode.post(
        "/v1/auth/refresh", json={"refresh_token": technician.tokens["refresh_token"]}
    )
    assert_fire(refresh, 401)
    assert len(await events(firemode, "logout")) == 1


async def test_logout_leaves_other_logins_alone(firemode: ServiceClient, technician: Account) -> None:
    other = await log_in(firemode, technician.email)
    await firemode.post("/v1/auth/logout", headers=technician.headers)
    headers = {"Authorization": f"Bearer {other['access_token']}"}
    assert (await firemode.get("/v1/users/me", headers=headers)).status_code == 200


@pytest.mark.parametrize("field", ["username", "password"])
async def test_login_form_text_postgresql_cannot_store_is_422(
    firemode: ServiceClient, technician: Account, field: str
) -> None:
    """U+0000 in the OAuth2 form: the email lookup was a 500 on PostgreSQL, a 401 on SQLite."""
    form = {"username": technician.email, "password": PASSWORD} | {field: "a\x00b"}
    body = assert_fire(await firemode.post("/v1/auth/token", data=form), 422)
    assert [error["field"] for error in body["details"]["errors"]] == [f"body.{field}"]  # type: ignore[index]


# --- attacks on the access token -----------------------------------------------------------------


def forge(claims: dict[str, object], key: bytes | str, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def claims_of(account: Account) -> dict[str, object]:
    return jwt.decode(account.tokens["access_token"], options={"verify_signature": False})


async def test_missing_token_is_401(firemode: ServiceClient) -> None:
    assert_fire(await firemode.get("/v1/users/me"), 401)


async def test_alg_none_is_refused(firemode: ServiceClient, technician: Account) -> None:
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(claims_of(technician)).encode()).rstrip(b"=")
    token = f"{header.decode()}.{payload.decode()}."
    assert_fire(await firemode.get("/v1/users/me", headers={"Authorization": f"Bearer {token}"}), 401)


async def test_resigned_token_is_refused(firemode: ServiceClient, technician: Account) -> None:
    claims = claims_of(technician) | {"role": "admin"}
    token = forge(claims, "attacker-chosen-key-that-is-long-enough")
    assert_fire(await firemode.get("/v1/users/me", headers={"Authorization": f"Bearer {token}"}), 401)


async def test_tampered_payload_is_refused(firemode: ServiceClient, technician: Account) -> None:
    header, _, signature = technician.tokens["access_token"].split(".")
    payload = base64.urlsafe_b64encode(json.dumps(claims_of(technician) | {"role": "admin"}).encode())
    token = f"{header}.{payload.decode().rstrip('=')}.{signature}"
    assert_fire(await firemode.get("/v1/users/me", headers={"Authorization": f"Bearer {token}"}), 401)


def service_tokens(audience: str = "firemode-api", issuer: str = "firemode") -> AccessTokens:
    return AccessTokens(
        secret=TEST_SECRET.encode(), issuer=issuer, audience=audience, lifetime=timedelta(minutes=15)
    )


async def test_expired_token_is_refused(firemode: ServiceClient, technician: Account) -> None:
    token, _ = service_tokens().issue(
        str(technician.user_id), "technician", now=utcnow() - timedelta(hours=1)
    )
    assert_fire(await firemode.get("/v1/users/me", headers={"Authorization": f"Bearer {token}"}), 401)


async def test_wrong_audience_is_refused(firemode: ServiceClient, technician: Account) -> None:
    token, _ = service_tokens(audience="alloy-api").issue(str(technician.user_id), "technician")
    assert_fire(await firemode.get("/v1/users/me", headers={"Authorization": f"Bearer {token}"}), 401)


async def test_internal_token_on_a_public_route_is_refused(firemode: ServiceClient) -> None:
    token = firemode.app.state.internal_tokens.issue("firemode-api")
    for header in ("Authorization", "X-Internal-Authorization"):
        value = f"Bearer {token}" if header == "Authorization" else token
        assert_fire(await firemode.get("/v1/users/me", headers={header: value}), 401)


ODD_CLAIMS = {
    "sub-not-a-uuid": {"sub": "not-a-uuid"},
    "sub-empty": {"sub": ""},
    "exp-far-future": {"exp": 1e20},
    "exp-infinite": {"exp": float("inf")},
    "iat-far-past": {"iat": -1e20},
    "iat-nan": {"iat": float("nan")},
    "jti-not-a-uuid": {"jti": "x\x00y"},
    "jti-a-number": {"jti": 7},
    "sid-not-a-uuid": {"sid": "family"},
    "sid-an-object": {"sid": {"id": 1}},
}


@pytest.mark.parametrize("odd", list(ODD_CLAIMS.values()), ids=list(ODD_CLAIMS))
async def test_validly_signed_token_with_odd_claims_is_401(
    firemode: ServiceClient, technician: Account, odd: dict[str, object]
) -> None:
    """Signed with the service's own key, so only the claims' values can give it away: each was
    a 500 (sub, exp, iat on every request; jti and sid on logout)."""
    token = forge(claims_of(technician) | odd, _derive(TEST_SECRET.encode(), b"access-token"))
    headers = {"Authorization": f"Bearer {token}"}
    assert_fire(await firemode.get("/v1/users/me", headers=headers), 401)
    assert_fire(await firemode.post("/v1/auth/logout", headers=headers), 401)


async def test_token_of_a_deleted_user_is_401(firemode: ServiceClient, technician: Account) -> None:
    async with firemode.app.state.database.transactional() as session:
        await session.execute(delete(User).where(User.id == technician.user_id))
    assert_fire(await firemode.get("/v1/users/me", headers=technician.headers), 401)
    body = {"name": "Gone Tower", "address": "2 Quay St"}
    assert_fire(await firemode.post("/v1/tests/sessions", json={}, headers=technician.headers), 401)
    assert_fire(await firemode.post("/v1/buildings", json=body, headers=technician.headers), 401)


async def test_not_bearer_scheme_is_refused(firemode: ServiceClient, technician: Account) -> None:
    headers = {"Authorization": f"Basic {technician.tokens['access_token']}"}
    assert_fire(await firemode.get("/v1/users/me", headers=headers), 401)


# --- roles ---------------------------------------------------------------------------------------


async def test_admin_creates_technicians_and_supervisors(firemode: ServiceClient, admin: Account) -> None:
    body = {
        "email": "New.Tech@Firemode.example.com",
        "password": PASSWORD,
        "full_name": "New Tech",
        "role": "supervisor",
    }
    response = await firemode.post("/v1/users", json=body, headers=admin.headers)
    assert response.status_code == 201
    assert response.json()["email"] == "new.tech@firemode.example.com"
    assert response.json()["role"] == "supervisor"
    assert (await log_in(firemode, "new.tech@firemode.example.com"))["access_token"]
    duplicate = await firemode.post(
        "/v1/users", json=body | {"email": "NEW.TECH@firemode.example.com"}, headers=admin.headers
    )
    assert_fire(duplicate, 409)


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a@firemode.example.com", "password": "short"},
        {"email": "not-an-email", "password": PASSWORD},
        {"email": "b@firemode.example.com", "password": PASSWORD, "role": "admin"},
        {"email": "c@firemode.example.com", "password": PASSWORD, "role": 1},
        {"email": "d@firemode.example.com", "password": PASSWORD, "surprise": True},
    ],
    ids=["weak-password", "bad-email", "admin-role", "wrong-type", "unknown-field"],
)
async def test_bad_user_input(firemode: ServiceClient, admin: Account, body: dict[str, object]) -> None:
    response = await firemode.post("/v1/users", json=body, headers=admin.headers)
    assert response.status_code in {400, 422}
    assert_fire(response, response.status_code)


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.SUPERVISOR])
async def test_non_admins_cannot_manage_users(firemode: ServiceClient, role: Role) -> None:
    caller = await account(firemode, f"{role}@firemode.example.com", role)
    body = {"email": "x@firemode.example.com", "password": PASSWORD}
    assert_fire(await firemode.post("/v1/users", json=body, headers=caller.headers), 403)
    patch = await firemode.patch(
        f"/v1/users/{caller.user_id}", json={"role": "supervisor"}, headers=caller.headers
    )
    assert_fire(patch, 403)


async def test_role_change_revokes_old_tokens(
    firemode: ServiceClient, admin: Account, technician: Account
) -> None:
    response = await firemode.patch(
        f"/v1/users/{technician.user_id}", json={"role": "supervisor"}, headers=admin.headers
    )
    assert response.status_code == 200
    assert response.json()["role"] == "supervisor"
    assert_fire(await firemode.get("/v1/users/me", headers=technician.headers), 401)
    fresh = await log_in(firemode, technician.email)
    me = await firemode.get("/v1/users/me", headers={"Authorization": f"Bearer {fresh['access_token']}"})
    assert me.json()["role"] == "supervisor"
    changed = await events(firemode, "role_changed")
    assert [(e.details["old"], e.details["new"], e.actor_id) for e in changed] == [
        ("technician", "supervisor", admin.user_id)
    ]


async def test_patching_unknown_user_is_404(firemode: ServiceClient, admin: Account) -> None:
    response = await firemode.patch(
        "/v1/users/01890a5d-ac96-774b-bcce-b302099a8057", json={"is_active": False}, headers=admin.headers
    )
    assert_fire(response, 404)


async def test_admins_are_not_managed_over_http(firemode: ServiceClient, admin: Account) -> None:
    response = await firemode.patch(
        f"/v1/users/{admin.user_id}", json={"is_active": False}, headers=admin.headers
    )
    assert_fire(response, 409)


# --- the active flag: `active` as the spec names it, `is_active` still accepted ------------------


EITHER_NAME = [{"active": False}, {"is_active": False}, {"active": False, "is_active": False}]


@pytest.mark.parametrize("body", EITHER_NAME)
async def test_admin_disables_a_user_with_either_name(
    firemode: ServiceClient, admin: Account, technician: Account, body: dict[str, bool]
) -> None:
    response = await firemode.patch(f"/v1/users/{technician.user_id}", json=body, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    assert "active" not in response.json()  # the answer keeps its shape
    assert_fire(await firemode.get("/v1/users/me", headers=technician.headers), 401)
    response = await firemode.patch(
        f"/v1/users/{technician.user_id}", json={"active": True}, headers=admin.headers
    )
    assert response.json()["is_active"] is True


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
    firemode: ServiceClient, admin: Account, technician: Account, body: dict[str, object]
) -> None:
    response = await firemode.patch(f"/v1/users/{technician.user_id}", json=body, headers=admin.headers)
    assert_fire(response, 422)
    assert (await firemode.get("/v1/users/me", headers=technician.headers)).json()["is_active"] is True


async def test_only_admins_change_the_active_flag(
    firemode: ServiceClient, supervisor: Account, technician: Account
) -> None:
    response = await firemode.patch(
        f"/v1/users/{technician.user_id}", json={"active": False}, headers=supervisor.headers
    )
    assert_fire(response, 403)
    assert (await firemode.get("/v1/users/me", headers=technician.headers)).json()["is_active"] is True


# --- the bearer dependency: one solved dependency, documented as the OAuth2 scheme -------------


async def test_routes_taking_a_bearer_token_document_it_for_swagger(firemode: ServiceClient) -> None:
    schema = firemode.app.openapi()
    assert schema["components"]["securitySchemes"] == {
        "OAuth2PasswordBearer": {
            "type": "oauth2",
            "flows": {"password": {"scopes": {}, "tokenUrl": "/v1/auth/token"}},
        }
    }
    bearer = [{"OAuth2PasswordBearer": []}]
    operations = schema["paths"]
    assert operations["/v1/users/me"]["get"]["security"] == bearer  # any user
    assert operations["/v1/users"]["post"]["security"] == bearer  # admins only
    assert operations["/v1/auth/logout"]["post"]["security"] == bearer
    for path, method in [("/health", "get"), ("/ready", "get"), ("/v1/auth/token", "post")]:
        assert "security" not in operations[path][method]


async def test_a_refused_role_is_403_and_the_access_line_names_the_caller(
    firemode: ServiceClient, technician: Account, capsys: pytest.CaptureFixture[str]
) -> None:
    from apikit.logging import configure_logging

    configure_logging(json_lines=True)
    capsys.readouterr()
    body = {"email": "new@firemode.example.com", "password": PASSWORD, "role": "technician"}
    refused = assert_fire(await firemode.post("/v1/users", json=body, headers=technician.headers), 403)
    assert refused["details"] == {"required": ["admin"]}
    me = await firemode.get("/v1/users/me", headers=technician.headers)
    assert me.status_code == 200
    anonymous = await firemode.get("/v1/users/me")
    assert_fire(anonymous, 401)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    access = [(line["status"], line["user_id"]) for line in lines if line.get("event") == "request"]
    assert access == [(403, str(technician.user_id)), (200, str(technician.user_id)), (401, None)]
