"""Settings: production refuses default secrets; development makes them once and keeps them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from firemode.settings import FireModeSettings


def test_production_refuses_a_missing_secret(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="FIREMODE_SECRET_KEY must be set in production"):
        FireModeSettings(env="production", data_dir=tmp_path)


def test_production_names_each_missing_secret(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="FIREMODE_INTERNAL_SECRET_KEY must be set in production"):
        FireModeSettings(env="production", data_dir=tmp_path, secret_key="k" * 40)


@pytest.mark.parametrize("weak", ["changeme", "secret", "short-but-random-1234"])
def test_production_refuses_a_default_or_weak_secret(tmp_path: Path, weak: str) -> None:
    with pytest.raises(ValidationError, match="FIREMODE_SECRET_KEY is a default or weak secret"):
        FireModeSettings(env="production", data_dir=tmp_path, secret_key=weak)


def test_production_accepts_a_strong_secret(tmp_path: Path) -> None:
    settings = FireModeSettings(
        env="production",
        data_dir=tmp_path,
        secret_key="k" * 16 + "9f3a" * 8,
        internal_secret_key="i" * 16 + "7c2e" * 8,
    )
    assert settings.json_logs is True
    assert not (tmp_path / "firemode-secrets.json").exists()


def test_development_generates_secrets_once_and_keeps_them(tmp_path: Path) -> None:
    first = FireModeSettings(env="development", data_dir=tmp_path)
    second = FireModeSettings(env="development", data_dir=tmp_path)
    assert first.secret("secret_key") == second.secret("secret_key")
    assert len(first.secret("secret_key")) >= 48
    stored = tmp_path / "firemode-secrets.json"
    assert stored.stat().st_mode & 0o777 == 0o600
    assert set(json.loads(stored.read_text())) == {"secret_key", "internal_secret_key"}
    assert first.secret("secret_key") != first.secret("internal_secret_key")


def test_environment_variables_use_the_service_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIREMODE_DATABASE_URL", "sqlite+aiosqlite:///elsewhere.sqlite3")
    monkeypatch.setenv("ALLOY_DATABASE_URL", "sqlite+aiosqlite:///not-mine.sqlite3")
    assert FireModeSettings(data_dir=tmp_path).effective_database_url.endswith("elsewhere.sqlite3")


def test_embedded_database_lives_in_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIREMODE_DATABASE_URL", raising=False)
    url = FireModeSettings(data_dir=tmp_path).effective_database_url
    assert url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/firemode.sqlite3"
