"""Alloy's settings: ``ALLOY_*`` environment variables (and ``.env``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar

from fastapi import Depends
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from apikit.settings import ServiceSettings, SettingsDep


class AlloySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ALLOY_", env_file=".env", extra="ignore")

    service_name: ClassVar[str] = "alloy"

    # The deprecated shared admin token: honoured on admin routes only while it is set.
    admin_token: SecretStr | None = None
    admin_token_sunset: date = date(2027, 6, 30)
    # Wrong X-Admin-Token values from one address, before that address is refused (429).
    admin_token_rate_per_address: str = "10/minute"  # noqa: S105 - a rate, not a secret
    # Refuse admin logins without two-factor (otherwise they get a warning in meta.warnings).
    require_admin_2fa: bool = False
    otp_rate_per_account: str = "5/minute"
    # Each sign-up costs an Argon2 hash: five a minute lets a household or an office share an
    # address, and keeps one address from spending more than a few hashes' CPU a minute.
    register_rate_per_address: str = "5/minute"
    # Building a program is the heaviest request a user can make.
    program_create_rate: str = "10/minute"


async def _alloy_settings(settings: SettingsDep) -> AlloySettings:
    assert isinstance(settings, AlloySettings)  # the app is Alloy's: create_alloy_app made it
    return settings


AlloySettingsDep = Annotated[AlloySettings, Depends(_alloy_settings)]
