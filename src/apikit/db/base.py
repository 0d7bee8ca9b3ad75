"""What every table of every service shares: names, ids, timestamps."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import MetaData, Uuid
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm import relationship as _relationship

from apikit.db.types import JSONType, UTCDateTime
from apikit.ids import new_id, utcnow

# Stable constraint and index names, so autogenerate and downgrades agree on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TYPE_ANNOTATION_MAP: dict[Any, Any] = {
    datetime: UTCDateTime(),
    uuid.UUID: Uuid(),
    dict[str, Any]: JSONType,
    list[Any]: JSONType,
}


def new_metadata() -> MetaData:
    """Each service has its own database, so its own MetaData, named the same way."""
    return MetaData(naming_convention=NAMING_CONVENTION)


class IdMixin:
    """A UUIDv7 primary key, made by the application so it is known before the insert."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def relationship(*args: Any, **kwargs: Any) -> Any:
    """``sqlalchemy.orm.relationship`` with ``lazy="raise"``: a forgotten eager load fails in tests."""
    kwargs.setdefault("lazy", "raise")
    return _relationship(*args, **kwargs)
