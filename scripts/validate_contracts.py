#!/usr/bin/env python3
"""Fail when an operation of either service lacks a response model, a summary, an operation id or
its documented errors (the pre-commit hook and `make lint` run this; the test suite does too)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path


def main() -> int:
    from alloy.main import ERROR_FORMAT as ALLOY_FORMAT
    from alloy.main import create_alloy_app
    from alloy.settings import AlloySettings
    from apikit.contracts import check_contracts
    from firemode.main import ERROR_FORMAT as FIREMODE_FORMAT
    from firemode.main import create_firemode_app
    from firemode.settings import FireModeSettings

    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch)
        apps = {
            "firemode": (
                create_firemode_app(FireModeSettings(env="test", data_dir=data_dir, log_level="WARNING")),
                FIREMODE_FORMAT,
            ),
            "alloy": (
                create_alloy_app(AlloySettings(env="test", data_dir=data_dir, log_level="WARNING")),
                ALLOY_FORMAT,
            ),
        }
        problems = [
            f"{name}: {problem}"
            for name, (app, error_format) in apps.items()
            for problem in check_contracts(app, error_format)
        ]
    for problem in problems:
        print(problem)
    operations = sum(len(app.openapi()["paths"]) for app, _ in apps.values())
    print(f"{len(problems)} contract problems in {operations} paths of {len(apps)} services")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
