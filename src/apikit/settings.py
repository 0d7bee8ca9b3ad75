"""Settings shared by every service: one object per service, read from its own env prefix."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from fastapi import Depends
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from apikit.context import app_state

Environment = Literal["development", "test", "production"]

# Values that show a secret was copied from an example rather than chosen.
_WEAK_SECRETS = {"", "changeme", "change-me", "secret", "default", "dev", "development", "test"}
_MIN_SECRET_LENGTH = 32


class ServiceSettings(BaseSettings):
    """The settings every service has. A service subclasses it and sets ``env_prefix``.

    Secrets missing in development are generated once and kept in ``<data_dir>/<service>-secrets.json`` so
    that tokens and cursors survive a restart; in production a missing or weak secret stops start-up.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", validate_default=True)

    service_name: ClassVar[str] = "service"
    # Secrets are listed here so that generation and the production check cover them all.
    secret_fields: ClassVar[tuple[str, ...]] = ("secret_key", "internal_secret_key")

    env: Environment = "development"
    data_dir: Path = Path("var")
    database_url: str | None = None
    database_read_url: str | None = None
    database_timeout_seconds: float = Field(default=5.0, gt=0)
    database_pool_size: int = Field(default=10, ge=1)
    redis_url: str | None = None
    redis_namespace: str | None = None  # key prefix; defaults to the service name
    redis_timeout_seconds: float = Field(default=2.0, gt=0)
    secret_key: SecretStr | None = None  # signs access tokens and cursors
    internal_secret_key: SecretStr | None = None  # signs tokens between our own processes
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    # Without Redis, each process re-reads new revocations this often (with Redis: at once).
    revocation_sync_seconds: float = Field(default=2.0, ge=0)
    # Login attempts (any outcome) per address; failed ones per account from one address, and per
    # account from every address (the slower backstop): see apikit.auth.identity.LoginRates.
    login_rate_per_address: str = "30/minute"
    login_rate_per_account: str = "10/minute"
    login_backstop_per_account: str = "100/hour"
    password_hash_profile: Literal["standard", "fast"] = "standard"  # noqa: S105 - a profile name
    # Argon2 runs in this many threads (default: the cores), with at most this many more waiting;
    # past that a request is a retryable 503 instead of a wait that times others out.
    password_hash_workers: int | None = Field(default=None, ge=1)
    password_hash_queue: int = Field(default=16, ge=0)
    # The reverse proxies whose X-Forwarded-For names the client (comma-separated addresses or
    # networks, "*" for any). Unprefixed: the variable uvicorn reads, shared by both services, but
    # empty by default (uvicorn's own default trusts 127.0.0.1, so any local peer could pick the
    # address the rate limits see).
    forwarded_allow_ips: str = Field(default="", validation_alias="forwarded_allow_ips")
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # How long an Idempotency-Key claim may last: longer than any request the service runs, so
    # only a dead request's claim runs out; a twin's 409 says to retry when it ends.
    idempotency_lease_seconds: float = Field(default=60.0, ge=1)
    # `serve` purges what has expired this often (0: never; then run the `purge` command).
    purge_interval_minutes: float = Field(default=60.0, ge=0)
    log_level: str = "INFO"
    log_json: bool | None = None

    @model_validator(mode="after")
    def _resolve_secrets(self) -> ServiceSettings:
        missing = [name for name in self.secret_fields if getattr(self, name) is None]
        if self.env == "production":
            for name in self.secret_fields:
                value = getattr(self, name)
                env_name = f"{self.model_config.get('env_prefix', '')}{name}".upper()
                if value is None:
                    raise ValueError(f"{env_name} must be set in production")
                raw = value.get_secret_value()
                if raw.lower() in _WEAK_SECRETS or len(raw) < _MIN_SECRET_LENGTH:
                    raise ValueError(
                        f"{env_name} is a default or weak secret; use {_MIN_SECRET_LENGTH}+ random characters"
                    )
        elif missing:
            stored = _load_or_create_secrets(self.data_dir / f"{self.service_name}-secrets.json", missing)
            for name in missing:
                setattr(self, name, SecretStr(stored[name]))
        return self

    @property
    def namespace(self) -> str:
        return self.redis_namespace or self.service_name

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def json_logs(self) -> bool:
        return self.is_production if self.log_json is None else self.log_json

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / f'{self.service_name}.sqlite3').resolve()}"

    def secret(self, name: str) -> bytes:
        value = getattr(self, name)
        assert isinstance(value, SecretStr), f"{name} is not a resolved secret"
        return value.get_secret_value().encode()


# The app's settings; a service narrows the type with a dependency of its own.
SettingsDep = Annotated[ServiceSettings, Depends(app_state("settings"))]


def _load_or_create_secrets(path: Path, names: list[str]) -> dict[str, Any]:
    path.parent.mkdir(parents=True, exist_ok=True)
    stored: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    if all(name in stored for name in names):
        return stored
    for name in names:
        stored.setdefault(name, secrets.token_urlsafe(48))
    # Write-then-rename so two processes starting together never read half a file.
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(stored, indent=2))
    tmp.chmod(0o600)
    tmp.replace(path)
    return stored
