from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from apikit.schemas import Id, IsoTimestamp, Lax, RequestModel
from firemode.assets.asset_types import AssetType
from firemode.defects.models import CONDITION_MAX, DESCRIPTION_MAX, NOTE_MAX, SOURCE_MAX
from firemode.defects.vocabulary import DefectStatus, Severity

MAX_EVIDENCE = 50
MAX_RULES = 2000
# A condition is a rule's key: lower-case words joined by underscores ("pressure_low").
Condition = Annotated[str, Field(min_length=1, max_length=CONDITION_MAX, pattern=r"^[a-z0-9]+(_[a-z0-9]+)*$")]


class DefectCreateRequest(RequestModel):
    asset_id: Id
    session_id: Id | None = None
    condition: Condition | None = None
    severity: Annotated[Severity, Lax] | None = Field(
        default=None, description="Absent: the classification rules decide from the asset type and condition"
    )
    description: str = Field(min_length=1, max_length=DESCRIPTION_MAX)
    evidence_ids: list[Id] = Field(default_factory=list, max_length=MAX_EVIDENCE)


class TransitionRequest(RequestModel):
    to: Annotated[DefectStatus, Lax]
    note: str | None = Field(default=None, min_length=1, max_length=NOTE_MAX)


class TransitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: DefectStatus
    to_status: DefectStatus
    note: str | None
    transitioned_by: uuid.UUID
    created_at: datetime


class DefectSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    defect_id: uuid.UUID = Field(validation_alias="id")
    asset_id: uuid.UUID
    building_id: uuid.UUID
    session_id: uuid.UUID | None
    condition: str | None
    severity: Severity | None = Field(description="null: opened at completion and no rule classified it")
    status: DefectStatus
    due_at: datetime | None
    created_at: datetime


class DefectResponse(DefectSummary):
    description: str
    evidence_ids: list[uuid.UUID]
    rule_version: int | None = Field(
        description="The rules version that classified it (null: severity given)"
    )
    opened_by: uuid.UUID
    updated_at: datetime
    transitions: list[TransitionOut] = Field(description="Every lifecycle move, oldest first")


class DefectPage(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    data: list[DefectSummary] = Field(validation_alias="items")  # read from the kit's Page
    next_cursor: str | None


class RuleIn(RequestModel):
    asset_type: Annotated[AssetType, Lax]
    condition: Condition
    severity: Annotated[Severity, Lax]
    source: str | None = Field(default=None, min_length=1, max_length=SOURCE_MAX)


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    asset_type: AssetType
    condition: str
    severity: Severity
    source: str | None


class RulesRequest(RequestModel):
    """A whole new version. ``version``, ``created_by`` and ``created_at`` (what a GET answers)
    are accepted and ignored, so a GET's document can be written back."""

    rules: list[RuleIn] = Field(min_length=1, max_length=MAX_RULES)
    note: str | None = Field(default=None, min_length=1, max_length=400)
    version: int | None = Field(default=None, description="Ignored: the server numbers versions")
    created_by: Id | None = Field(default=None, description="Ignored")
    created_at: IsoTimestamp | None = Field(default=None, description="Ignored")


class RulesVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    note: str | None
    created_by: uuid.UUID | None = Field(description="null: shipped with the service")
    created_at: datetime


class RulesOut(RulesVersionOut):
    rules: list[RuleOut]


class ClassifyRequest(RequestModel):
    asset_type: Annotated[AssetType, Lax]
    condition: Condition


class ClassificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    severity: Severity
    rule_version: int
