"""Schemathesis against both OpenAPI documents: no 5xx, no answer outside the schema, and request
models that refuse wrong JSON types (negative mode) while accepting all the schema allows.

Every endpoint added later is fuzzed here without further work: the operations come from the apps'
own OpenAPI documents.
"""

from __future__ import annotations

import asyncio
import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from alloy.identity.roles import Role as AlloyRole
from alloy.identity.service import AccountService as AlloyAccounts
from apikit.db.engine import Database
from firemode.identity.roles import Role as FireModeRole
from firemode.identity.service import UserService as FireModeUsers
from tests.conftest import SERVICES, migrate, settings_for

STRONG_PASSWORD = "correct horse battery staple"

MAX_EXAMPLES = 30


def _migrated_app(name: str, tmp_path: Path) -> FastAPI:
    url = f"sqlite+aiosqlite:///{tmp_path / name}.sqlite3"

    async def migrated() -> None:
        database = Database(url)
        await migrate(SERVICES[name], database)
        await database.dispose()

    asyncio.run(migrated())
    return SERVICES[name].create_app(settings_for(name, tmp_path, url))


def _top_account(app: FastAPI, name: str) -> tuple[str, str]:
    """The most privileged account of the service, so every operation is reachable."""

    async def create() -> tuple[str, str]:
        async with app.state.database.transactional() as session:
            if name == "firemode":
                user = await FireModeUsers(session, app.state.identity).create_user(
                    email="fuzz@firemode.example.com", password=STRONG_PASSWORD, role=FireModeRole.ADMIN
                )
            else:
                user = await AlloyAccounts(session, app.state.identity, app.state.settings).create_account(
                    email="fuzz@alloy.example.com",
                    password=STRONG_PASSWORD,
                    name="Fuzz",
                    role=AlloyRole.SUPER_ADMIN,
                )
            return str(user.id), user.role

    user_id, role = asyncio.run(create())
    asyncio.run(app.state.database.dispose())
    return user_id, role


# Built at import: schemathesis parametrizes a test by the operations of a loaded schema.
_SCRATCH = Path(tempfile.mkdtemp(prefix="schemathesis-"))
atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)
_APPS = {name: _migrated_app(name, _SCRATCH) for name in ("firemode", "alloy")}
_ACCOUNTS = {name: _top_account(app, name) for name, app in _APPS.items()}
# Text may not hold U+0000 anywhere (PostgreSQL cannot store it): a documented 422 for every text
# field, JSON or form (docs/ERROR_CODES.md, tests/test_extreme_input.py), which JSON Schema has no
# word for. So the fuzzer's "valid" strings leave it out (lone surrogates already: they are not
# UTF-8), instead of counting a documented refusal as a rejected valid request.
_CONFIG = SchemathesisConfig.from_dict({"generation": {"allow-x00": False}})
firemode_api = schemathesis.openapi.from_asgi("/openapi.json", _APPS["firemode"], config=_CONFIG)
alloy_api = schemathesis.openapi.from_asgi("/openapi.json", _APPS["alloy"], config=_CONFIG)

fuzz_settings = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    # The same examples on every run: CI must not pass or fail by the luck of the draw.
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


# Operations whose rules go beyond what a schema can say — password strength, references to rows
# that must exist, "the Idempotency-Key header or the idempotency_key parameter" — may refuse a
# schema-valid request with a documented 400/422; every other check still runs on them.
SEMANTIC_VALIDATION = {
    ("POST", "/v1/auth/register"),
    ("POST", "/v1/users"),
    ("POST", "/v1/tests/sessions"),
    ("POST", "/v1/tests/sessions/{session_id}/participants"),
    ("POST", "/v1/tests/sessions/{session_id}/results"),
    # An optional Idempotency-Key must still be 1–255 visible ASCII characters (a documented 400).
    ("PATCH", "/v1/tests/sessions/{session_id}"),
    # The work list's period must not end before it starts (a documented 422).
    ("GET", "/v1/schedule/due"),
    # The device's SHA-256 must match the bytes: a fuzzed hash is rightly refused with 422.
    ("POST", "/v1/evidence"),
    # A defect names an asset that exists, and a severity or a condition the rules classify; rules
    # name each (asset type, condition) once; a defect moves one step along its lifecycle.
    ("POST", "/v1/defects"),
    ("POST", "/v1/defects/{defect_id}/transitions"),
    ("PUT", "/v1/rules"),
    # Progression / regression links and circuit movements must name movements that exist; a
    # circuit movement has exactly one measure; scoring weights name the seven known dimensions.
    ("POST", "/v1/movements"),
    ("PATCH", "/v1/movements/{movement_id}"),
    ("POST", "/v1/circuits/admin"),
    ("PUT", "/v1/circuits/admin/{circuit_id}"),
    ("PUT", "/v1/scoring/config"),
    # Goal weights summing to 10, 8–12 weeks agreeing with end_date, movement rules naming
    # movements that exist (each a documented 400/422 with details); edits naming real exercises.
    ("POST", "/v1/programs"),
    ("PATCH", "/v1/sessions/{session_id}"),
    # A log names movements and a session that exist, a load within 1000 kg in its unit, a time at
    # most a day ahead; a list's window does not end before it starts.
    ("POST", "/v1/workout-logs"),
    ("PUT", "/v1/workout-logs/{log_id}"),
    ("GET", "/v1/workout-logs"),
    ("GET", "/v1/progress/movements/{movement_id}"),
    # A filter's value is typed by its field, and fields and sort keys come from an allow-list.
    ("POST", "/v1/movements/query"),
    # An asset's details are checked against its type (the asset's own for a PATCH), and an
    # extinguisher's capacity unit against its agent; an import's file must be a CSV sheet.
    ("POST", "/v1/buildings/{building_id}/assets"),
    ("PATCH", "/v1/assets/{asset_id}"),
    ("POST", "/v1/buildings/{building_id}/assets/import"),
    # A routine's tolerance stays under half its interval; a type and frequency appear once.
    ("PUT", "/v1/routines"),
    # Readiness is for a day that has come (at most one ahead); a range's from is not after its to.
    ("PUT", "/v1/readiness/{date}"),
    ("GET", "/v1/readiness"),
}


def call_and_validate(service: str, case: schemathesis.Case) -> None:
    """Authenticated with a fresh token each time (a fuzzed logout must not sign the rest out)."""
    user_id, role = _ACCOUNTS[service]
    token, _ = _APPS[service].state.identity.access_tokens.issue(user_id, role)
    # A cursor is an opaque token only the server issues: made-up ones are rightly refused.
    sends_cursor = bool(case.query and case.query.get("cursor") is not None)
    semantic = (case.method.upper(), case.path) in SEMANTIC_VALIDATION or sends_cursor
    # Unknown query parameters are ignored, as HTTP APIs commonly do (a cache-buster must not fail).
    declared = {parameter.name for parameter in case.operation.query}
    unknown_query = bool(case.query and set(case.query) - declared)
    excluded = [positive_data_acceptance] if semantic else []
    excluded += [negative_data_rejection] if unknown_query else []
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, excluded_checks=excluded or None)


@firemode_api.parametrize()
@fuzz_settings
def test_firemode_conforms_to_its_schema(case: schemathesis.Case) -> None:
    call_and_validate("firemode", case)


@alloy_api.parametrize()
@fuzz_settings
def test_alloy_conforms_to_its_schema(case: schemathesis.Case) -> None:
    call_and_validate("alloy", case)
