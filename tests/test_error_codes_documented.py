"""Every error code a client can receive is listed in docs/ERROR_CODES.md.

Alloy's codes are string constants in the kit and in Alloy (``code="NF_PROGRAM"``, the envelope's
defaults per status, named constants); FireMode answers ``FIRE-<status>`` for every status its
errors can have: the kit's error classes and every error status its operations document.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from apikit import errors
from apikit.error_formats import _DEFAULT_ENVELOPE_CODES
from tests.conftest import ServiceClient

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTED = set(re.findall(r"`([A-Z][A-Z0-9_-]+)`", (ROOT / "docs" / "ERROR_CODES.md").read_text()))
# The taxonomy's domains (ALLOY.md): a string constant of this shape is a code.
ALLOY_CODE = re.compile(r"^(AUTH|NF|VAL|BR|CF|RATE|SYS)_[A-Z0-9_]+$")


def codes_in(path: Path) -> set[str]:
    """The string constants in ``path`` that look like a code."""
    return {
        node.value
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path)))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and ALLOY_CODE.match(node.value)
    }


def string_constants(*packages: str) -> dict[str, str]:
    """Each string constant that looks like a code, with the first file it appears in."""
    found: dict[str, str] = {}
    for package in packages:
        for path in sorted((ROOT / "src" / package).rglob("*.py")):
            for code in codes_in(path):
                found.setdefault(code, str(path.relative_to(ROOT)))
    return found


def kit_error_statuses() -> set[int]:
    classes: list[type[errors.ApiError]] = [errors.ApiError]
    statuses = set()
    while classes:
        cls = classes.pop()
        statuses.add(cls.status_code)
        classes.extend(cls.__subclasses__())
    return statuses


def test_the_walk_finds_codes() -> None:
    found = string_constants("apikit", "alloy")
    assert {"AUTH_INVALID_CREDENTIALS", "NF_PROGRAM", "RATE_LIMIT_EXCEEDED"} <= set(found)


def test_every_alloy_code_is_documented() -> None:
    codes = string_constants("apikit", "alloy")
    codes.update(dict.fromkeys(_DEFAULT_ENVELOPE_CODES.values(), "apikit/error_formats.py"))
    missing = {code: where for code, where in codes.items() if code not in DOCUMENTED}
    assert missing == {}, "add these to docs/ERROR_CODES.md"


def test_firemode_names_no_code_its_format_would_drop() -> None:
    # FireErrorFormat writes FIRE-<status> whatever code an error carries: a code named in FireMode
    # is dead, and would read as a promise the docs do not make.
    named = {
        str(path.relative_to(ROOT)): codes
        for path in sorted((ROOT / "src" / "firemode").rglob("*.py"))
        if (codes := codes_in(path))
    }
    assert named == {}


async def test_every_firemode_status_is_documented(firemode: ServiceClient) -> None:
    statuses = kit_error_statuses()
    for path_item in firemode.app.openapi()["paths"].values():
        for operation in path_item.values():
            statuses.update(int(status) for status in operation["responses"] if int(status) >= 400)
    missing = sorted(f"FIRE-{status}" for status in statuses if f"FIRE-{status}" not in DOCUMENTED)
    assert missing == [], "add these to docs/ERROR_CODES.md"
