"""The FastAPI full-stack template's backend as a peer, run from its own source in its own environment.

Not a benchmark itself: ``bench/hot_reads.py`` uses it. The source is the template's
(github.com/fastapi/full-stack-fastapi-template, commit 68adb40d), copied into
``bench/peers/fastapi_template/app`` with the few changes each file's header states (Python 3.11
syntax, no Sentry, no frontend, the items router only). It runs in a virtual environment of its own
in the run's temporary directory (made with ``uv``, the packages its ``pyproject.toml`` names, at
least the versions it asks for): FastAPI, SQLModel on psycopg 3 (synchronous, its own engine and
pool), PyJWT, pwdlib. Its alembic migrations, e-mails and Sentry are skipped: ``seed.py`` creates
its tables with ``SQLModel.metadata.create_all``, makes the user and the items with its ``crud``
module and mints the token with its ``security`` module.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from _common import HOST, Server, free_port

PEER_DIR = Path(__file__).parent / "peers" / "fastapi_template"
PEER_PATH = "/api/v1/items/?skip=0&limit=20"  # read_items, as its own frontend asks for a page
READY_PATH = "/api/v1/openapi.json"
# What the template's pyproject.toml names for what runs here, at least its versions.
PACKAGES = (
    "fastapi>=0.141.1",
    "uvicorn[standard]",
    "sqlmodel>=0.0.39",
    "psycopg[binary]>=3.3.4",
    "pyjwt>=2.13.0",
    "pwdlib[argon2,bcrypt]>=0.3.0",
    "pydantic-settings>=2.2.1",
    "email-validator>=2.1.0.post1",
)


def uv_command() -> list[str]:
    found = shutil.which("uv")
    return [found] if found else [sys.executable, "-m", "uv"]


class PeerTemplate:
    """The template's environment and settings for one run, on one scratch database."""

    def __init__(self, workdir: Path, database_url: str) -> None:
        self.venv = workdir / "peer-venv"
        self.python = self.venv / "bin" / "python"
        self.log_dir = workdir
        url = make_url(database_url).set(drivername="postgresql")
        self.environment = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", ""),
            # Its settings (app/core/config.py): nothing left at "changethis".
            "SECRET_KEY": secrets.token_urlsafe(32),
            "PROJECT_NAME": "Full Stack FastAPI Project",
            "DATABASE_URL": url.render_as_string(hide_password=False),
            "FIRST_SUPERUSER": "admin@bench.example.com",
            "FIRST_SUPERUSER_PASSWORD": secrets.token_urlsafe(16),
        }

    def install(self) -> str:
        """The environment, on this interpreter's Python version; what was installed. Needs ``uv``
        (``make sync`` has it) and the package index, or uv's cache of an earlier run."""
        python = getattr(sys, "_base_executable", sys.executable)
        uv = uv_command()
        subprocess.run([*uv, "venv", "--quiet", "--python", python, str(self.venv)], check=True)
        subprocess.run(
            [*uv, "pip", "install", "--quiet", "--python", str(self.python), *PACKAGES], check=True
        )
        versions = subprocess.run(
            [
                str(self.python),
                "-c",
                "import fastapi, sqlmodel, sqlalchemy, psycopg, uvicorn, pydantic; "
                "print(f'FastAPI {fastapi.__version__}, SQLModel {sqlmodel.__version__}, "
                "SQLAlchemy {sqlalchemy.__version__}, psycopg {psycopg.__version__}, "
                "pydantic {pydantic.__version__}, uvicorn {uvicorn.__version__}')",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return versions.stdout.strip()

    def seed(self, items: int) -> str:
        """Its tables, one user with ``items`` items, and that user's access token."""
        done = subprocess.run(
            [str(self.python), "seed.py", f"--items={items}"],
            cwd=PEER_DIR,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the peer's seed failed:\n{done.stderr[-2000:]}")
        token: str = json.loads(done.stdout.strip().splitlines()[-1])["token"]
        return token

    def start(self) -> Server:
        """Its app under uvicorn, one worker, no access log (as ``serve_app`` runs ours)."""
        port = free_port()
        log_path = self.log_dir / "peer.log"
        command = [
            str(self.python),
            "-m",
            "uvicorn",
            "app.main:app",
            f"--host={HOST}",
            f"--port={port}",
            "--workers=1",
            "--log-level=warning",
            "--no-access-log",
            "--no-server-header",
        ]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, cwd=PEER_DIR, env=self.environment, stdout=log, stderr=subprocess.STDOUT
            )
        return Server("peer", port, process, log_path, ready_path=READY_PATH)
