"""What Alloy's identity endpoints promise (the token response and the refresh request are the kit's)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from alloy.catalogue.vocabulary import BodyRegion, Equipment
from alloy.identity.roles import Role
from apikit.auth.identity import TokenResponse
from apikit.schemas import ActiveFlagUpdate, Lax, RequestModel

Units = Literal["kg", "lb"]
E1rmFormula = Literal["epley", "brzycki", "lombardi", "oconner"]
Experience = Literal["novice", "intermediate", "advanced"]
BODYWEIGHT_KG = (20, 400)
# [0-9], not \d: the pattern engine's \d also takes fullwidth, Arabic-Indic … digits.
OtpCode = Annotated[
    str, Field(pattern=r"^[0-9]{6}$", description="The 6 ASCII digits from the authenticator app")
]


class RegisterRequest(RequestModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=128)
    name: str = Field(min_length=1, max_length=120)


class LoginRequest(RequestModel):
    email: str = Field(min_length=1, max_length=320)  # looked up, not validated: any string may fail
    password: str = Field(min_length=1, max_length=128)
    otp: OtpCode | None = None


class OtpRequest(RequestModel):
    code: OtpCode


class UserUpdateRequest(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    units: Units | None = None
    e1rm_formula: E1rmFormula | None = None
    equipment: list[Annotated[Equipment, Lax]] | None = Field(default=None, max_length=len(Equipment))
    bodyweight_kg: float | None = Field(
        default=None, ge=BODYWEIGHT_KG[0], le=BODYWEIGHT_KG[1], description="Body weight in kilograms"
    )
    experience: Experience | None = None
    avoid_regions: list[Annotated[BodyRegion, Lax]] | None = Field(
        default=None,
        max_length=len(BodyRegion),
        description="Body regions to keep load off (docs/READINESS.md); [] clears them",
    )

    @field_validator("avoid_regions")
    @classmethod
    def _distinct_regions(cls, value: list[BodyRegion] | None) -> list[BodyRegion] | None:
        return None if value is None else sorted(set(value))


class AdminUserUpdateRequest(ActiveFlagUpdate):
    role: Literal["user", "admin", "super_admin"] | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: uuid.UUID = Field(validation_alias="id")
    email: str
    name: str
    role: Role
    is_active: bool
    units: Units
    e1rm_formula: E1rmFormula
    equipment: list[Equipment]
    bodyweight_kg: float | None
    experience: Experience | None
    avoid_regions: list[BodyRegion]
    two_factor_enabled: bool = Field(validation_alias="totp_enabled")
    created_at: datetime
    updated_at: datetime


class RegisteredOut(BaseModel):
    user: UserOut
    tokens: TokenResponse


class TwoFactorSetupOut(BaseModel):
    secret: str = Field(description="Base32 secret; shown once")
    otpauth_uri: str


class TwoFactorStateOut(BaseModel):
    two_factor_enabled: bool


class SecurityEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    event_id: uuid.UUID = Field(validation_alias="id")
    event: str
    created_at: datetime
    user_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    address: str | None
    request_id: str | None
    details: dict[str, Any]
