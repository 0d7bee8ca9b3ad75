"""The one shape of a domain: routers speak HTTP only, services never reach back into a router."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def router_modules() -> list[Path]:
    return sorted(path for path in SRC.rglob("*.py") if path.stem.endswith("router"))


def relative(path: Path) -> str:
    return path.relative_to(SRC).as_posix()


def test_the_walk_finds_the_routers() -> None:
    found = {relative(path) for path in router_modules()}
    assert {
        "alloy/catalogue/router.py",
        "alloy/catalogue/scoring_router.py",
        "alloy/programs/router.py",
        "firemode/evidence/router.py",
    } <= found


def test_routers_do_not_import_sqlalchemy() -> None:
    """Every router speaks HTTP only: its queries live in the domain's repository."""
    offenders = {
        relative(path)
        for path in router_modules()
        if any(module.split(".")[0] == "sqlalchemy" for module in imported_modules(path))
    }
    assert offenders == set()


def test_services_do_not_import_routers() -> None:
    offenders = {
        f"{relative(path)} imports {module}"
        for path in sorted(SRC.rglob("service.py"))
        for module in imported_modules(path)
        if module.rsplit(".", 1)[-1].endswith("router")
    }
    assert offenders == set()
