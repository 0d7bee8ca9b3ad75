"""The mixed load (``bench/load.py``) covers every operation of both OpenAPI documents, or says why
not, and its Locust users send exactly the routes of the mix. No load is run here."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import SERVICES, settings_for

BENCH = Path(__file__).resolve().parent.parent / "bench"


def load_mix() -> ModuleType:
    """``bench/_load_mix.py``, which has no Locust in it (Locust patches the standard library)."""
    spec = importlib.util.spec_from_file_location("_load_mix", BENCH / "_load_mix.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["_load_mix"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("service", ["firemode", "alloy"])
def test_every_operation_is_sent_or_left_out_with_a_reason(
    service: str, tmp_path: Path, database_url_for: Any
) -> None:
    mix = load_mix()
    app = SERVICES[service].create_app(settings_for(service, tmp_path, database_url_for(service)))
    documented = {
        mix.Route(service, method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    sent = {route for route in (*mix.MIX, *mix.LOGINS) if route.service == service}
    left_out = {route for route in mix.LEFT_OUT if route.service == service}
    assert sent - documented == set()  # no request to a route that is not there
    assert left_out - documented == set()  # no reason kept for a route that is gone
    assert sent & left_out == set()
    assert documented - sent - left_out == set()  # a new route joins the mix or says why not
    assert all(weight >= 1 for route, weight in mix.MIX.items() if route.service == service)


def test_the_locust_users_send_the_routes_of_the_mix() -> None:
    """Importing the locustfile checks each user class's requests against its part of the mix; in
    a process of its own, since Locust patches the standard library for gevent."""
    environment = {key: value for key, value in os.environ.items() if key != "LOAD_PLAN"}
    environment["PYTHONPATH"] = str(BENCH)
    done = subprocess.run(
        [sys.executable, "-c", "import _locustfile as f; print(len(f.FireModeTechnician.tasks))"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # Locust keeps a task once per unit of its weight.
    assert int(done.stdout.split()[-1]) == sum(load_mix().FIREMODE_TECHNICIAN.values())
