"""Locust users for ``bench/load.py``: FireMode technicians and supervisors, Alloy lifters.

Run by ``bench/load.py`` (``locust -f bench/_locustfile.py --headless …``), which sets
``LOAD_PLAN`` to the run's plan (the two servers' addresses, the accounts it made, the seeded
building, assets, programs and catalogue ids) and ``LOAD_SAMPLES`` to where every request's
route, status and time are written at the end (``load.py`` works its figures out from them,
exactly, where Locust's own tables round times past 100 ms). Each user logs in once as its own
account and then picks tasks by the weights of ``bench/_load_mix.py``; every request is
reported under its route's template.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import struct
import time
import uuid
import zlib
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events

from _load_mix import (
    ALLOY,
    ALLOY_LIFTER,
    FIREMODE,
    FIREMODE_SUPERVISOR,
    FIREMODE_TECHNICIAN,
    Route,
)

PLAN: dict[str, Any] = (
    json.loads(Path(os.environ["LOAD_PLAN"]).read_text()) if "LOAD_PLAN" in os.environ else {}
)
THINK_SECONDS = (
    float(os.environ.get("LOAD_THINK_MIN", "0.5")),
    float(os.environ.get("LOAD_THINK_MAX", "2.0")),
)
CHANGES_PER_BATCH = 20
FIELDS = ("result", "pressure_kpa", "checked_at", "notes")
# Per "<method> <service> <template>": (status, milliseconds, failed, monotonic end) of each request.
SAMPLES: defaultdict[str, list[tuple[int, float, bool, float]]] = defaultdict(list)
_accounts = itertools.count()


def reported(service: str, path: str) -> str:
    """The name a request is reported under: its service and route template (``Type`` is the method)."""
    return f"{service} {path}"


@events.request.add_listener
def _keep_sample(
    request_type: str, name: str, response_time: float, response: Any = None, exception: Any = None, **_: Any
) -> None:
    status = getattr(response, "status_code", None) or 0  # 0: no answer (connection refused, timeout)
    SAMPLES[f"{request_type} {name}"].append((status, response_time, exception is not None, time.monotonic()))


@events.test_stop.add_listener
def _write_samples(**_: Any) -> None:
    target = os.environ.get("LOAD_SAMPLES")
    if target:
        Path(target).write_text(json.dumps(SAMPLES))


class ServiceUser(HttpUser):
    """A logged-in user of one service: every request carries its bearer token."""

    abstract = True
    service = ""
    wait_time = between(*THINK_SECONDS)

    def on_start(self) -> None:
        self.access = self.refresh_token = ""
        self.log_in()

    def log_in(self) -> None:
        raise NotImplementedError

    def send(self, method: str, template: str, path: str, **options: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.access}", **options.pop("headers", {})}
        return self.client.request(
            method, path, name=reported(self.service, template), headers=headers, **options
        )

    def keep_tokens(self, response: Any) -> None:
        if response.status_code == 200:
            body = response.json()
            body = body.get("data", body)  # Alloy's envelope
            self.access, self.refresh_token = body["access_token"], body["refresh_token"]


def tasks_for(
    routes: dict[Route, int], requests: dict[str, Callable[[Any], None]]
) -> dict[Callable[[Any], None], int]:
    """Locust's ``tasks`` for a user class: each route of its mix, with its weight. Every route
    of the mix has a request here and nothing else does (checked at import)."""
    names = {f"{route.method} {route.path}" for route in routes}
    if names != set(requests):
        raise RuntimeError(f"the mix and the requests differ: {sorted(names ^ set(requests))}")
    return {requests[f"{route.method} {route.path}"]: weight for route, weight in routes.items()}


def photo() -> bytes:
    """A small PNG of random pixels (about 3 KB; every one different), as a device's camera sends
    a photo: the server checks that the bytes are the image they claim to be."""
    side = 32
    rows = b"".join(b"\x00" + os.urandom(side * 3) for _ in range(side))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------------------------------------
# FireMode


class FireModeUser(ServiceUser):
    abstract = True
    service = FIREMODE
    host = PLAN.get(FIREMODE, {}).get("host", "http://127.0.0.1:8000")
    role = ""

    def on_start(self) -> None:
        plan = PLAN[FIREMODE]
        accounts = plan[self.role]
        self.account = accounts[next(_accounts) % len(accounts)]
        self.building_id: str = plan["building_id"]
        self.asset_ids: list[str] = plan["asset_ids"]
        self.stair_asset_id: str = plan["stair_asset_id"]
        super().on_start()

    def log_in(self) -> None:
        response = self.client.post(
            "/v1/auth/token",
            data={"username": self.account["email"], "password": self.account["password"]},
            name=reported(FIREMODE, "/v1/auth/token"),
        )
        self.keep_tokens(response)

    def asset(self) -> str:
        return random.choice(self.asset_ids)


def technician_requests() -> dict[str, Callable[[Any], None]]:
    def sessions(user: FireModeTechnician) -> None:
        user.send("GET", "/v1/tests/sessions", "/v1/tests/sessions?limit=20")

    def session(user: FireModeTechnician) -> None:
        user.send("GET", "/v1/tests/sessions/{session_id}", f"/v1/tests/sessions/{user.session()}")

    def results(user: FireModeTechnician) -> None:
        user.sync()

    def changes(user: FireModeTechnician) -> None:
        since = max(0, user.checkpoint - 100)
        user.send(
            "GET",
            "/v1/tests/sessions/{session_id}/changes",
            f"/v1/tests/sessions/{user.session_id}/changes?since={since}&limit=100",
        )

    def bundle(user: FireModeTechnician) -> None:
        user.send(
            "GET", "/v1/tests/sessions/{session_id}/bundle", f"/v1/tests/sessions/{user.session()}/bundle"
        )

    def create_session(user: FireModeTechnician) -> None:
        user.start_session()

    def rename_session(user: FireModeTechnician) -> None:
        name = f"Level {random.randint(1, 40)} quarterly"
        user.send(
            "PATCH",
            "/v1/tests/sessions/{session_id}",
            f"/v1/tests/sessions/{user.session()}",
            json={"name": name},
        )

    def add_participant(user: FireModeTechnician) -> None:
        others = [other for other in PLAN[FIREMODE]["technician_ids"] if other != user.user_id]
        user.send(
            "POST",
            "/v1/tests/sessions/{session_id}/participants",
            f"/v1/tests/sessions/{user.session()}/participants",
            json={"user_id": random.choice(others)},
        )

    def buildings(user: FireModeTechnician) -> None:
        user.send("GET", "/v1/buildings", "/v1/buildings?limit=20")

    def building(user: FireModeTechnician) -> None:
        user.send("GET", "/v1/buildings/{building_id}", f"/v1/buildings/{user.building_id}")

    def assets(user: FireModeTechnician) -> None:
        user.send(
            "GET", "/v1/buildings/{building_id}/assets", f"/v1/buildings/{user.building_id}/assets?limit=50"
        )

    def asset(user: FireModeTechnician) -> None:
        user.send("GET", "/v1/assets/{asset_id}", f"/v1/assets/{user.asset()}")

    def history(user: FireModeTechnician) -> None:
        user.send("GET", "/v1/assets/{asset_id}/history", f"/v1/assets/{user.asset()}/history?limit=20")

    def baseline(user: FireModeTechnician) -> None:
        user.send("GET", "/v1/assets/{asset_id}/baseline", f"/v1/assets/{user.stair_asset_id}/baseline")

    def asset_types(user: FireModeTechnician) -> None:
        user.send("GET", "/v1/asset-types", "/v1/asset-types")

    def routines(user: FireModeTechnician) -> None:
        user.send("GET", "/v1/routines", "/v1/routines")

    def routine_versions(user: FireModeTechnician) -> None:
        user.send("GET", "/v1/routines/versions", "/v1/routines/versions")

    def routine_version(user: FireModeTechnician) -> None:
        user.send("GET", "/v1/routines/versions/{version}", "/v1/routines/versions/1")

    def defects(user: FireModeTechnician) -> None:
        user.send("GET", "/v1/defects", f"/v1/defects?limit=20&building_id={user.building_id}")

    def defect(user: FireModeTechnician) -> None:
        if not user.defect_ids:
            user.open_defect()
            return
        user.send("GET", "/v1/defects/{defect_id}", f"/v1/defects/{random.choice(user.defect_ids)}")

    def open_defect(user: FireModeTechnician) -> None:
        user.open_defect()

    def rules(user: FireModeTechnician) -> None:
        user.send("GET", "/v1/rules", "/v1/rules")

    def rule_versions(user: FireModeTechnician) -> None:
        user.send("GET", "/v1/rules/versions", "/v1/rules/versions")

    def classify(user: FireModeTechnician) -> None:
        body = {"asset_type": "portable_extinguisher", "condition": "pressure_low"}
        user.send("POST", "/v1/rules/classify", "/v1/rules/classify", json=body)

    def schedule(user: FireModeTechnician) -> None:
        user.send(
            "GET",
            "/v1/buildings/{building_id}/schedule",
            f"/v1/buildings/{user.building_id}/schedule?limit=50",
        )

    def due(user: FireModeTechnician) -> None:
        user.send("GET", "/v1/schedule/due", "/v1/schedule/due?limit=50")

    def upload(user: FireModeTechnician) -> None:
        user.upload()

    def evidence(user: FireModeTechnician) -> None:
        if not user.evidence_ids:
            user.upload()
            return
        user.send("GET", "/v1/evidence/{evidence_id}", f"/v1/evidence/{random.choice(user.evidence_ids)}")

    def evidence_content(user: FireModeTechnician) -> None:
        if not user.evidence_ids:
            user.upload()
            return
        evidence_id = random.choice(user.evidence_ids)
        user.send("GET", "/v1/evidence/{evidence_id}/content", f"/v1/evidence/{evidence_id}/content")

    def session_evidence(user: FireModeTechnician) -> None:
        user.send(
            "GET",
            "/v1/tests/sessions/{session_id}/evidence",
            f"/v1/tests/sessions/{user.session_id}/evidence?limit=20",
        )

    def me(user: FireModeTechnician) -> None:
        user.send("GET", "/v1/users/me", "/v1/users/me")

    def refresh(user: FireModeTechnician) -> None:
        user.keep_tokens(
            user.send(
                "POST", "/v1/auth/refresh", "/v1/auth/refresh", json={"refresh_token": user.refresh_token}
            )
        )

    return {
        "GET /v1/tests/sessions": sessions,
        "GET /v1/tests/sessions/{session_id}": session,
        "POST /v1/tests/sessions/{session_id}/results": results,
        "GET /v1/tests/sessions/{session_id}/changes": changes,
        "GET /v1/tests/sessions/{session_id}/bundle": bundle,
        "POST /v1/tests/sessions": create_session,
        "PATCH /v1/tests/sessions/{session_id}": rename_session,
        "POST /v1/tests/sessions/{session_id}/participants": add_participant,
        "GET /v1/buildings": buildings,
        "GET /v1/buildings/{building_id}": building,
        "GET /v1/buildings/{building_id}/assets": assets,
        "GET /v1/assets/{asset_id}": asset,
        "GET /v1/assets/{asset_id}/history": history,
        "GET /v1/assets/{asset_id}/baseline": baseline,
        "GET /v1/asset-types": asset_types,
        "GET /v1/routines": routines,
        "GET /v1/routines/versions": routine_versions,
        "GET /v1/routines/versions/{version}": routine_version,
        "GET /v1/defects": defects,
        "GET /v1/defects/{defect_id}": defect,
        "POST /v1/defects": open_defect,
        "GET /v1/rules": rules,
        "GET /v1/rules/versions": rule_versions,
        "POST /v1/rules/classify": classify,
        "GET /v1/buildings/{building_id}/schedule": schedule,
        "GET /v1/schedule/due": due,
        "POST /v1/evidence": upload,
        "GET /v1/evidence/{evidence_id}": evidence,
        "GET /v1/evidence/{evidence_id}/content": evidence_content,
        "GET /v1/tests/sessions/{session_id}/evidence": session_evidence,
        "GET /v1/users/me": me,
        "POST /v1/auth/refresh": refresh,
    }


class FireModeTechnician(FireModeUser):
    """A device in the field: syncs its session's results in batches, pulls, reads the building."""

    role = "technicians"
    tasks = tasks_for(FIREMODE_TECHNICIAN, technician_requests())

    def on_start(self) -> None:
        super().on_start()
        self.user_id: str = self.account["id"]
        self.actor = f"device-{uuid.uuid4().hex[:12]}"
        self.counter = 0
        self.checkpoint = 0
        self.sessions: list[str] = []
        self.defect_ids: list[str] = []
        self.evidence_ids: list[str] = []
        self.start_session()

    @property
    def session_id(self) -> str:
        return self.sessions[-1]

    def session(self) -> str:
        return random.choice(self.sessions)

    def start_session(self) -> None:
        session_id = str(uuid.uuid4())
        body = {"building_id": self.building_id, "session_id": session_id, "name": "Quarterly test"}
        response = self.send("POST", "/v1/tests/sessions", "/v1/tests/sessions", json=body)
        if response.status_code in (200, 201):
            self.sessions = [*self.sessions[-4:], session_id]
            self.checkpoint = 0

    def sync(self) -> None:
        changes = []
        for _ in range(CHANGES_PER_BATCH):
            self.counter += 1
            tag = f"EXT-{self.counter % 60:03d}"
            field = FIELDS[self.counter % len(FIELDS)]
            value: Any = {"result": "pass", "pressure_kpa": 1000 + self.counter % 300}.get(
                field, f"v{self.counter}"
            )
            path = f"/assets/{tag}/{field}"
            changes.append(
                {"op": "set", "path": path, "value": value, "actor": self.actor, "counter": self.counter}
            )
        response = self.send(
            "POST",
            "/v1/tests/sessions/{session_id}/results",
            f"/v1/tests/sessions/{self.session_id}/results",
            json={"changes": changes},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        if response.status_code == 200:
            self.checkpoint = response.json()["checkpoint"]

    def open_defect(self) -> None:
        body = {
            "asset_id": self.asset(),
            "session_id": self.session_id,
            "severity": "non_critical",
            "condition": "pressure_low",
            "description": "Gauge reads below the green band",
        }
        response = self.send("POST", "/v1/defects", "/v1/defects", json=body)
        if response.status_code == 201:
            self.defect_ids = [*self.defect_ids[-9:], response.json()["defect_id"]]

    def upload(self) -> None:
        content = photo()
        fields = {
            "sha256_hash": hashlib.sha256(content).hexdigest(),
            "session_id": self.session_id,
            "evidence_type": "photo",
        }
        response = self.send(
            "POST",
            "/v1/evidence",
            "/v1/evidence",
            data=fields,
            files={"file": ("gauge.png", content, "image/png")},
        )
        if response.status_code in (200, 201):
            self.evidence_ids = [*self.evidence_ids[-9:], response.json()["evidence_id"]]


def supervisor_requests() -> dict[str, Callable[[Any], None]]:
    def sessions(user: FireModeSupervisor) -> None:
        user.send("GET", "/v1/tests/sessions", "/v1/tests/sessions?limit=20")

    def defects(user: FireModeSupervisor) -> None:
        user.send("GET", "/v1/defects", "/v1/defects?limit=20&status=open")

    def transition(user: FireModeSupervisor) -> None:
        user.move_a_defect()

    def due(user: FireModeSupervisor) -> None:
        user.send("GET", "/v1/schedule/due", "/v1/schedule/due?limit=50")

    def add_asset(user: FireModeSupervisor) -> None:
        body = {
            "tag": f"LD-{uuid.uuid4().hex[:10]}",
            "asset_type": "portable_extinguisher",
            "location": f"Level {random.randint(1, 40)}, east stair",
        }
        user.send(
            "POST",
            "/v1/buildings/{building_id}/assets",
            f"/v1/buildings/{user.building_id}/assets",
            json=body,
        )

    def change_asset(user: FireModeSupervisor) -> None:
        body = {"location": f"Level {random.randint(1, 40)}, west stair"}
        user.send("PATCH", "/v1/assets/{asset_id}", f"/v1/assets/{user.asset()}", json=body)

    def set_baseline(user: FireModeSupervisor) -> None:
        body = {
            "pressure_pa": random.choice([45.0, 50.0]),
            "door_opening_force_n": 90.0,
            "air_velocity_ms": 1.5,
        }
        user.send(
            "PUT", "/v1/assets/{asset_id}/baseline", f"/v1/assets/{user.stair_asset_id}/baseline", json=body
        )

    def change_building(user: FireModeSupervisor) -> None:
        body = {"address": f"{random.randint(1, 9)} Quay St, Sydney NSW 2000"}
        user.send("PATCH", "/v1/buildings/{building_id}", f"/v1/buildings/{user.building_id}", json=body)

    def reports(user: FireModeSupervisor) -> None:
        user.send(
            "GET", "/v1/buildings/{building_id}/reports", f"/v1/buildings/{user.building_id}/reports?limit=20"
        )

    def make_report(user: FireModeSupervisor) -> None:
        user.make_report()

    def report(user: FireModeSupervisor) -> None:
        if not user.report_ids:
            user.make_report()
            return
        user.send("GET", "/v1/reports/{report_id}", f"/v1/reports/{random.choice(user.report_ids)}")

    return {
        "GET /v1/tests/sessions": sessions,
        "GET /v1/defects": defects,
        "POST /v1/defects/{defect_id}/transitions": transition,
        "GET /v1/schedule/due": due,
        "POST /v1/buildings/{building_id}/assets": add_asset,
        "PATCH /v1/assets/{asset_id}": change_asset,
        "PUT /v1/assets/{asset_id}/baseline": set_baseline,
        "PATCH /v1/buildings/{building_id}": change_building,
        "GET /v1/buildings/{building_id}/reports": reports,
        "POST /v1/buildings/{building_id}/reports": make_report,
        "GET /v1/reports/{report_id}": report,
    }


class FireModeSupervisor(FireModeUser):
    """An office user: triages defects, keeps the register, makes reports."""

    role = "supervisors"
    fixed_count = 2
    tasks = tasks_for(FIREMODE_SUPERVISOR, supervisor_requests())

    def on_start(self) -> None:
        super().on_start()
        self.index = PLAN[FIREMODE]["supervisors"].index(self.account)
        self.report_ids: list[str] = []

    def move_a_defect(self) -> None:
        """The next step of an open defect that is this supervisor's to triage (defects are
        shared out by id, so two supervisors never race for one)."""
        response = self.send("GET", "/v1/defects", "/v1/defects?limit=50&status=open")
        if response.status_code != 200:
            return
        supervisors = len(PLAN[FIREMODE]["supervisors"])
        mine = [
            d["defect_id"]
            for d in response.json()["data"]
            if int(d["defect_id"][-4:], 16) % supervisors == self.index
        ]
        if mine:
            self.send(
                "POST",
                "/v1/defects/{defect_id}/transitions",
                f"/v1/defects/{mine[0]}/transitions",
                json={"to": "acknowledged", "note": "Booked with the contractor"},
            )

    def make_report(self) -> None:
        today = datetime.now(UTC).date()
        body = {"period_start": (today - timedelta(days=30)).isoformat(), "period_end": today.isoformat()}
        response = self.send(
            "POST",
            "/v1/buildings/{building_id}/reports",
            f"/v1/buildings/{self.building_id}/reports",
            json=body,
        )
        if response.status_code == 201:
            self.report_ids = [*self.report_ids[-4:], response.json()["report_id"]]


# ---------------------------------------------------------------------------------------------
# Alloy


def lifter_requests() -> dict[str, Callable[[Any], None]]:
    def movements(user: AlloyLifter) -> None:
        search = random.choice(["?limit=20&q=press", "?limit=20&q=squat", "?limit=20&q=row", "?limit=20"])
        user.send("GET", "/v1/movements", f"/v1/movements{search}")

    def query(user: AlloyLifter) -> None:
        pattern = random.choice(["squat", "hinge", "horizontal_push", "vertical_pull", "lunge"])
        body = {"filters": [{"field": "pattern", "operator": "eq", "value": pattern}], "limit": 20}
        user.send("POST", "/v1/movements/query", "/v1/movements/query", json=body)

    def movement(user: AlloyLifter) -> None:
        user.send("GET", "/v1/movements/{movement_id}", f"/v1/movements/{user.movement()}")

    def substitutes(user: AlloyLifter) -> None:
        user.send(
            "GET", "/v1/movements/{movement_id}/substitutes", f"/v1/movements/{user.movement()}/substitutes"
        )

    def circuits(user: AlloyLifter) -> None:
        user.send("GET", "/v1/circuits", "/v1/circuits?limit=20")

    def circuit(user: AlloyLifter) -> None:
        circuit_id = random.choice(PLAN[ALLOY]["circuit_ids"])
        user.send("GET", "/v1/circuits/{circuit_id}", f"/v1/circuits/{circuit_id}")

    def programs(user: AlloyLifter) -> None:
        user.send("GET", "/v1/programs", "/v1/programs?limit=20")

    def program(user: AlloyLifter) -> None:
        user.send("GET", "/v1/programs/{program_id}", f"/v1/programs/{user.program_id}")

    def program_sessions(user: AlloyLifter) -> None:
        start = date.today() - timedelta(days=7)
        user.send(
            "GET",
            "/v1/programs/{program_id}/sessions",
            f"/v1/programs/{user.program_id}/sessions?from={start}&to={start + timedelta(days=21)}",
        )

    def change_program(user: AlloyLifter) -> None:
        body = {"notes": f"Week {random.randint(1, 12)}: keep the bar speed up"}
        user.send("PATCH", "/v1/programs/{program_id}", f"/v1/programs/{user.program_id}", json=body)

    def create_program(user: AlloyLifter) -> None:
        user.send("POST", "/v1/programs", "/v1/programs", json=PLAN[ALLOY]["program"])

    def session(user: AlloyLifter) -> None:
        user.send("GET", "/v1/sessions/{session_id}", f"/v1/sessions/{user.session()}")

    def adapt(user: AlloyLifter) -> None:
        body = {"date": date.today().isoformat(), "minutes_available": random.choice([30, 45, 60])}
        user.send(
            "POST", "/v1/sessions/{session_id}/adapt", f"/v1/sessions/{user.session()}/adapt", json=body
        )

    def log_workout(user: AlloyLifter) -> None:
        user.log_workout()

    def logs(user: AlloyLifter) -> None:
        user.send("GET", "/v1/workout-logs", "/v1/workout-logs?limit=20")

    def log(user: AlloyLifter) -> None:
        if not user.log_ids:
            user.log_workout()
            return
        user.send("GET", "/v1/workout-logs/{log_id}", f"/v1/workout-logs/{random.choice(user.log_ids)}")

    def progress(user: AlloyLifter) -> None:
        movement_id = random.choice(PLAN[ALLOY]["logged_movement_ids"])
        user.send("GET", "/v1/progress/movements/{movement_id}", f"/v1/progress/movements/{movement_id}")

    def summary(user: AlloyLifter) -> None:
        user.send("GET", "/v1/progress/summary", "/v1/progress/summary")

    def put_readiness(user: AlloyLifter) -> None:
        body = {
            "sleep_hours": 7,
            "energy": random.randint(4, 8),
            "stress": 4,
            "soreness": {},
            "minutes_available": 60,
        }
        user.send("PUT", "/v1/readiness/{date}", f"/v1/readiness/{date.today()}", json=body)

    def readiness(user: AlloyLifter) -> None:
        user.send("GET", "/v1/readiness/{date}", f"/v1/readiness/{date.today()}")

    def readiness_days(user: AlloyLifter) -> None:
        user.send("GET", "/v1/readiness", "/v1/readiness?limit=20")

    def me(user: AlloyLifter) -> None:
        user.send("GET", "/v1/users/me", "/v1/users/me")

    def change_me(user: AlloyLifter) -> None:
        user.send("PATCH", "/v1/users/me", "/v1/users/me", json={"name": f"Lifter {random.randint(1, 99)}"})

    def refresh(user: AlloyLifter) -> None:
        user.keep_tokens(
            user.send(
                "POST", "/v1/auth/refresh", "/v1/auth/refresh", json={"refresh_token": user.refresh_token}
            )
        )

    return {
        "GET /v1/movements": movements,
        "POST /v1/movements/query": query,
        "GET /v1/movements/{movement_id}": movement,
        "GET /v1/movements/{movement_id}/substitutes": substitutes,
        "GET /v1/circuits": circuits,
        "GET /v1/circuits/{circuit_id}": circuit,
        "GET /v1/programs": programs,
        "GET /v1/programs/{program_id}": program,
        "GET /v1/programs/{program_id}/sessions": program_sessions,
        "PATCH /v1/programs/{program_id}": change_program,
        "POST /v1/programs": create_program,
        "GET /v1/sessions/{session_id}": session,
        "POST /v1/sessions/{session_id}/adapt": adapt,
        "POST /v1/workout-logs": log_workout,
        "GET /v1/workout-logs": logs,
        "GET /v1/workout-logs/{log_id}": log,
        "GET /v1/progress/movements/{movement_id}": progress,
        "GET /v1/progress/summary": summary,
        "PUT /v1/readiness/{date}": put_readiness,
        "GET /v1/readiness/{date}": readiness,
        "GET /v1/readiness": readiness_days,
        "GET /v1/users/me": me,
        "PATCH /v1/users/me": change_me,
        "POST /v1/auth/refresh": refresh,
    }


class AlloyLifter(ServiceUser):
    """A lifter with a program: browses the catalogue, reads the day's session, logs workouts."""

    service = ALLOY
    host = PLAN.get(ALLOY, {}).get("host", "http://127.0.0.1:8001")
    tasks = tasks_for(ALLOY_LIFTER, lifter_requests())

    def on_start(self) -> None:
        lifters = PLAN[ALLOY]["lifters"]
        self.account = lifters[next(_accounts) % len(lifters)]
        self.program_id: str = self.account["program_id"]
        self.session_ids: list[str] = self.account["session_ids"]
        self.log_ids: list[str] = []
        super().on_start()

    def log_in(self) -> None:
        body = {"email": self.account["email"], "password": self.account["password"]}
        self.keep_tokens(
            self.client.post("/v1/auth/login", json=body, name=reported(ALLOY, "/v1/auth/login"))
        )

    def movement(self) -> str:
        return random.choice(PLAN[ALLOY]["movement_ids"])

    def session(self) -> str:
        return random.choice(self.session_ids)

    def log_workout(self) -> None:
        movements = random.sample(PLAN[ALLOY]["logged_movement_ids"], 3)
        entries = [
            {"movement_id": movement, "sets": [{"reps": 5, "load": 60 + 2.5 * n, "rpe": 8} for n in range(4)]}
            for movement in movements
        ]
        response = self.send("POST", "/v1/workout-logs", "/v1/workout-logs", json={"entries": entries})
        if response.status_code == 201:
            self.log_ids = [*self.log_ids[-9:], response.json()["data"]["log_id"]]
