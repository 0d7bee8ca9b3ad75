"""The declarative base of this service's tables (its own database, its own MetaData)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import DeclarativeBase

from apikit.db.base import TYPE_ANNOTATION_MAP, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map: dict[Any, Any] = TYPE_ANNOTATION_MAP
