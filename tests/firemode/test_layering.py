"""FireMode's buildings, sessions, results sync, evidence, assets and routines keep the project's one
shape: routers speak HTTP only, services hold the rules, repositories the queries (on the kit's base)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from apikit.db.fastread import ReadStatement, ReadStatements
from apikit.db.repository import Repository

SRC = Path(__file__).resolve().parents[2] / "src"
DOMAINS = ("buildings", "sessions", "sync", "evidence", "assets", "routines", "defects")
ROUTERS = [path for domain in DOMAINS for path in sorted((SRC / "firemode" / domain).glob("*router.py"))] + [
    SRC / "firemode/sync/worker.py"
]


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


@pytest.mark.parametrize("path", ROUTERS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_a_router_runs_no_query(path: Path) -> None:
    assert sorted(m for m in imported_modules(path) if m.split(".")[0] == "sqlalchemy") == []


@pytest.mark.parametrize("path", ROUTERS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_a_router_takes_what_it_uses_as_typed_dependencies(path: Path) -> None:
    assert "request.app.state" not in path.read_text()


@pytest.mark.parametrize("domain", DOMAINS)
def test_no_service_imports_a_router(domain: str) -> None:
    for path in sorted((SRC / "firemode" / domain).glob("*.py")):
        if not path.stem.endswith("router") and path.name != "worker.py":
            routers = [m for m in imported_modules(path) if m.endswith(("router", ".worker"))]
            assert routers == [], path.name


@pytest.mark.parametrize("domain", DOMAINS)
def test_each_domain_has_its_repository_on_the_kits_base(domain: str) -> None:
    """Its queries in repository.py: a repository on the kit's base, or (a domain that only reads
    there, as the change log's pull) statements of the kit's fast read path."""
    module = __import__(f"firemode.{domain}.repository", fromlist=["*"])
    own = {
        name: value
        for name, value in vars(module).items()
        if getattr(value, "__module__", None) == module.__name__
    }
    repositories = [
        value for name, value in own.items() if name.endswith("Repository") and isinstance(value, type)
    ]
    assert all(issubclass(repository, Repository) for repository in repositories)
    fast_reads = [
        value for value in vars(module).values() if isinstance(value, ReadStatement | ReadStatements)
    ]
    assert repositories or fast_reads, domain


def test_the_sync_worker_does_not_import_the_api(tmp_path: Path) -> None:
    # The worker's app needs FireMode's error format, not the API's app (an import cycle).
    script = (
        "import sys; from firemode.sync.worker import create_sync_worker_app; create_sync_worker_app(); "
        "print('firemode.main' in sys.modules)"
    )
    environment = {**os.environ, "FIREMODE_DATA_DIR": str(tmp_path)}  # its secrets, not the repository's var/
    ran = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=environment
    )
    assert ran.stdout.strip() == "False"
