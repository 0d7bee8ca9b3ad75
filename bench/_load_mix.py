"""The mixed load's routes: what ``bench/_locustfile.py`` sends, how often, and what it leaves out.

No Locust here (importing Locust patches the standard library for gevent), so ``bench/load.py``
and the tests read the mix without it. Every operation of both OpenAPI documents is either in
``MIX`` (with its weight: how often a user picks it among its own service's tasks) or in
``LEFT_OUT`` with the reason; ``tests/test_load_mix.py`` checks both against ``app.openapi()``.
"""

from __future__ import annotations

from dataclasses import dataclass

FIREMODE = "firemode"
ALLOY = "alloy"


@dataclass(frozen=True)
class Route:
    service: str
    method: str
    path: str  # the OpenAPI template, which is also the name Locust reports it under

    @property
    def name(self) -> str:
        return f"{self.service} {self.method} {self.path}"


def _routes(service: str, weights: dict[str, int]) -> dict[Route, int]:
    return {Route(service, *key.split(" ", 1)): weight for key, weight in weights.items()}


# What a technician's device and a supervisor's browser do, reads weighted heavily.
FIREMODE_TECHNICIAN = _routes(
    FIREMODE,
    {
        "GET /v1/tests/sessions": 10,
        "GET /v1/tests/sessions/{session_id}": 8,
        "POST /v1/tests/sessions/{session_id}/results": 6,
        "GET /v1/tests/sessions/{session_id}/changes": 5,
        "GET /v1/tests/sessions/{session_id}/bundle": 2,
        "POST /v1/tests/sessions": 1,
        "PATCH /v1/tests/sessions/{session_id}": 1,
        "POST /v1/tests/sessions/{session_id}/participants": 1,
        "GET /v1/buildings": 4,
        "GET /v1/buildings/{building_id}": 3,
        "GET /v1/buildings/{building_id}/assets": 5,
        "GET /v1/assets/{asset_id}": 4,
        "GET /v1/assets/{asset_id}/history": 2,
        "GET /v1/assets/{asset_id}/baseline": 1,
        "GET /v1/asset-types": 1,
        "GET /v1/routines": 1,
        "GET /v1/routines/versions": 1,
        "GET /v1/routines/versions/{version}": 1,
        "GET /v1/defects": 4,
        "GET /v1/defects/{defect_id}": 2,
        "POST /v1/defects": 1,
        "GET /v1/rules": 1,
        "GET /v1/rules/versions": 1,
        "POST /v1/rules/classify": 1,
        "GET /v1/buildings/{building_id}/schedule": 3,
        "GET /v1/schedule/due": 2,
        "POST /v1/evidence": 1,
        "GET /v1/evidence/{evidence_id}": 2,
        "GET /v1/evidence/{evidence_id}/content": 2,
        "GET /v1/tests/sessions/{session_id}/evidence": 2,
        "GET /v1/users/me": 2,
        "POST /v1/auth/refresh": 1,
    },
)
FIREMODE_SUPERVISOR = _routes(
    FIREMODE,
    {
        "GET /v1/tests/sessions": 6,
        "GET /v1/defects": 4,
        "POST /v1/defects/{defect_id}/transitions": 1,
        "GET /v1/schedule/due": 3,
        "POST /v1/buildings/{building_id}/assets": 1,
        "PATCH /v1/assets/{asset_id}": 1,
        "PUT /v1/assets/{asset_id}/baseline": 1,
        "PATCH /v1/buildings/{building_id}": 1,
        "GET /v1/buildings/{building_id}/reports": 2,
        "POST /v1/buildings/{building_id}/reports": 1,
        "GET /v1/reports/{report_id}": 1,
    },
)
ALLOY_LIFTER = _routes(
    ALLOY,
    {
        "GET /v1/movements": 8,
        "POST /v1/movements/query": 8,
        "GET /v1/movements/{movement_id}": 6,
        "GET /v1/movements/{movement_id}/substitutes": 4,
        "GET /v1/circuits": 2,
        "GET /v1/circuits/{circuit_id}": 1,
        "GET /v1/programs": 3,
        "GET /v1/programs/{program_id}": 4,
        "GET /v1/programs/{program_id}/sessions": 3,
        "PATCH /v1/programs/{program_id}": 1,
        "POST /v1/programs": 1,
        "GET /v1/sessions/{session_id}": 4,
        "POST /v1/sessions/{session_id}/adapt": 2,
        "POST /v1/workout-logs": 2,
        "GET /v1/workout-logs": 3,
        "GET /v1/workout-logs/{log_id}": 2,
        "GET /v1/progress/movements/{movement_id}": 2,
        "GET /v1/progress/summary": 2,
        "PUT /v1/readiness/{date}": 1,
        "GET /v1/readiness/{date}": 1,
        "GET /v1/readiness": 1,
        "GET /v1/users/me": 2,
        "PATCH /v1/users/me": 1,
        "POST /v1/auth/refresh": 1,
    },
)
# Each user logs in once when it starts: sent, measured and reported, not picked as a task.
LOGINS = {
    Route(FIREMODE, "POST", "/v1/auth/token"),
    Route(ALLOY, "POST", "/v1/auth/login"),
}
MIX = {**FIREMODE_TECHNICIAN, **FIREMODE_SUPERVISOR, **ALLOY_LIFTER}


def _left_out(service: str, reasons: dict[str, str]) -> dict[Route, str]:
    return {Route(service, *key.split(" ", 1)): reason for key, reason in reasons.items()}


_PROBE = "probed by the orchestrator, not a client (load.py waits on it before the run)"
_ADMIN = "administration, rare and destructive to the run's own accounts or data"
LEFT_OUT = {
    **_left_out(
        FIREMODE,
        {
            "GET /health": _PROBE,
            "GET /ready": _PROBE,
            "POST /v1/auth/logout": "ends the user's login; a user of the mix stays logged in for the run",
            "POST /v1/users": "admin: creates accounts (load.py creates the run's technicians with it)",
            "PATCH /v1/users/{user_id}": _ADMIN + " (a role change revokes every token of the user)",
            "POST /v1/buildings": "a new building a year per customer; the run uses the seeded one",
            "POST /v1/buildings/{building_id}/assets/import": "a one-off CSV import when a building is set "
            "up; bench/assets.py measures it",
            "POST /v1/assets/{asset_id}/decommission": _ADMIN + " (an asset out of service for good)",
            "PUT /v1/routines": "admin: publishes a new routine table (changes every schedule)",
            "PUT /v1/rules": "admin: puts new classification rules in force",
            "GET /v1/reports/{report_id}/pdf": "a second of CPU per rendering, rate limited per user; "
            "bench/reports.py measures it",
            "POST /v1/reports/{report_id}/finalise": "signs a report off for good, once a period",
        },
    ),
    **_left_out(
        ALLOY,
        {
            "GET /health": _PROBE,
            "GET /ready": _PROBE,
            "POST /v1/auth/register": "a sign-up, once per user (load.py signs the run's lifters up)",
            "POST /v1/auth/logout": "ends the user's login; a user of the mix stays logged in for the run",
            "POST /v1/auth/2fa/setup": "two-factor set-up, once per user, needs an authenticator's codes",
            "POST /v1/auth/2fa/enable": "two-factor set-up, once per user, needs an authenticator's codes",
            "POST /v1/auth/2fa/disable": "two-factor set-up, once per user, needs an authenticator's codes",
            "PATCH /v1/admin/users/{user_id}": _ADMIN,
            "GET /v1/admin/security-events": "admin: the audit log",
            "POST /v1/movements": "adds a private movement, which gives the user a catalogue of their own "
            "(rare, and changes what every later read of theirs costs)",
            "PATCH /v1/movements/{movement_id}": "edits a movement (own or, admin, the shared catalogue)",
            "POST /v1/circuits/admin": _ADMIN,
            "GET /v1/circuits/admin/{circuit_id}": _ADMIN,
            "PUT /v1/circuits/admin/{circuit_id}": _ADMIN,
            "DELETE /v1/circuits/admin/{circuit_id}": _ADMIN,
            "GET /v1/scoring/config": _ADMIN,
            "PUT /v1/scoring/config": _ADMIN,
            "POST /v1/scoring/config/validate": _ADMIN,
            "GET /v1/scoring/config/versions": _ADMIN,
            "DELETE /v1/programs/{program_id}": "deletes a program with its sessions and logs' links; the "
            "mix's users keep theirs",
            "POST /v1/programs/{program_id}/activate": "switching programs, once a block",
            "PATCH /v1/sessions/{session_id}": "moves or edits a planned session (rare; the mix adapts "
            "sessions instead)",
            "POST /v1/sessions/{session_id}/complete": "completes a session once; logging it (in the mix) "
            "completes it too",
            "PUT /v1/workout-logs/{log_id}": "replaces a log (a correction, rare)",
            "DELETE /v1/workout-logs/{log_id}": "deletes a log (a correction, rare)",
        },
    ),
}
