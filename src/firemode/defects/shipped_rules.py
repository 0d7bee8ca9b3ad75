"""The shipped classification rules (version 1, ``data/rules.json``) and their seeding.

Each entry names its source: AS 1851-2012's definitions of a critical defect, a non-critical defect
and a non-conformance (paraphrased), or common contractor practice where classifying a condition is
a judgement the standard leaves to the contractor (docs/DEFECTS.md).

Seeded after migrating (``firemode migrate``, the test databases), never by the migration itself,
so migrations stay free of the live models. Seeding adds version 1 to a database with no version
and leaves any other alone: an admin's versions are never undone.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from pydantic import TypeAdapter
from sqlalchemy import Connection, exists, insert, select

from apikit.ids import utcnow
from firemode.defects.models import ClassificationRule, ClassificationRuleVersion
from firemode.defects.schemas import RuleIn

RULES_FILE = Path(__file__).parent / "data" / "rules.json"
SHIPPED_NOTE = "Shipped with FireMode: AS 1851-2012 severities and common contractor practice"


def duplicate_rules(rules: Iterable[RuleIn]) -> list[dict[str, str]]:
    """The (asset type, condition) pairs given more than once."""
    counts = Counter((rule.asset_type.value, rule.condition) for rule in rules)
    return [{"asset_type": kind, "condition": condition} for (kind, condition), n in counts.items() if n > 1]


@cache
def shipped_rules() -> tuple[RuleIn, ...]:
    """The data file, checked as an admin's rules are (known types and severities, no duplicates)."""
    document = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    rules = TypeAdapter(list[RuleIn]).validate_python(document["rules"], strict=False)
    duplicates = duplicate_rules(rules)
    if duplicates:
        raise ValueError(f"{RULES_FILE.name} repeats {duplicates}")
    return tuple(rules)


def load_shipped_rules(connection: Connection) -> bool:
    """Version 1 into a database that has no rules yet; True when it was added."""
    if connection.execute(select(exists().select_from(ClassificationRuleVersion))).scalar():
        return False
    connection.execute(
        insert(ClassificationRuleVersion),
        [{"version": 1, "note": SHIPPED_NOTE, "created_by": None, "created_at": utcnow()}],
    )
    connection.execute(
        insert(ClassificationRule),
        [{"version": 1, **rule.model_dump(mode="json")} for rule in shipped_rules()],
    )
    return True
