"""The session document's convention, read at completion: no web or database code.

Results for an asset live under ``/assets/{tag}``: ``result`` (pass | fail | not_tested |
no_access), ``routine`` (a frequency), ``notes``, ``readings`` (numbers by name) and ``defect``
(``{condition, description, evidence_ids?, severity?}``). The merge keeps any JSON there; what does
not follow the convention is reported by completion, never dropped from the document.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from typing import Any

RESULTS = ("pass", "fail", "not_tested", "no_access")
SEVERITIES = ("critical", "non_critical", "non_conformance")
NOTES_MAX = 2000
CONDITION_MAX = 64
DESCRIPTION_MAX = 2000


@dataclass(frozen=True, slots=True)
class DefectEntry:
    condition: str | None
    description: str
    severity: str | None  # None: the classification rules decide later
    evidence_ids: list[str]


@dataclass(frozen=True, slots=True)
class AssetEntry:
    tag: str
    result: str | None
    routine: str | None
    notes: str | None
    readings: dict[str, float | int]
    defect: DefectEntry | None
    problems: list[str] = field(default_factory=list)  # what did not follow the convention


def asset_entries(document: dict[str, Any]) -> list[AssetEntry]:
    """Every entry under ``/assets``, in tag order."""
    assets = document.get("assets")
    if not isinstance(assets, dict):
        return []
    return [read_entry(tag, assets[tag]) for tag in sorted(assets)]


def read_entry(tag: str, value: Any) -> AssetEntry:
    if not isinstance(value, dict):
        return AssetEntry(tag, None, None, None, {}, None, ["the entry is not an object"])
    problems: list[str] = []
    result = value.get("result")
    if result is not None and result not in RESULTS:
        problems.append(f"result must be one of {', '.join(RESULTS)}")
        result = None
    routine = value.get("routine")
    if routine is not None and not isinstance(routine, str):
        problems.append("routine must be a string")
        routine = None
    notes = value.get("notes")
    notes = notes[:NOTES_MAX] if isinstance(notes, str) else None
    return AssetEntry(
        tag=tag,
        result=result,
        routine=routine,
        notes=notes,
        readings=_readings(value.get("readings")),
        defect=_defect(value.get("defect"), problems),
        problems=problems,
    )


def _readings(value: Any) -> dict[str, float | int]:
    """The numbers by name; anything else is left in the document only."""
    if not isinstance(value, dict):
        return {}
    return {
        name: number
        for name, number in value.items()
        if isinstance(number, int | float) and not isinstance(number, bool) and math.isfinite(number)
    }


def _defect(value: Any, problems: list[str]) -> DefectEntry | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append("defect must be an object")
        return None
    condition = value.get("condition")
    condition = condition if isinstance(condition, str) and 0 < len(condition) <= CONDITION_MAX else None
    description = value.get("description")
    description = description if isinstance(description, str) and description else condition
    if description is None:
        problems.append("defect needs a condition or a description")
        return None
    severity = value.get("severity")
    evidence = value.get("evidence_ids")
    return DefectEntry(
        condition=condition,
        description=description[:DESCRIPTION_MAX],
        severity=severity if severity in SEVERITIES else None,
        evidence_ids=[item for item in evidence if _is_uuid(item)] if isinstance(evidence, list) else [],
    )


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def tag_of(path: str) -> str | None:
    """The asset a change's path writes (``/assets/{tag}/…``), unescaped; None for other paths."""
    tokens = path.split("/")
    if len(tokens) < 3 or tokens[0] != "" or tokens[1] != "assets":
        return None
    return tokens[2].replace("~1", "/").replace("~0", "~")
