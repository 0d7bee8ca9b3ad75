"""Inserting where a unique constraint, not a read-then-write, decides the race."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from apikit.errors import ApiError


async def add_unique(session: AsyncSession, instance: Any, conflict: ApiError) -> None:
    """Add and flush ``instance`` in a savepoint; a unique violation raises ``conflict`` and leaves
    the rest of the unit of work intact."""
    try:
        async with session.begin_nested():
            session.add(instance)
    except IntegrityError:
        raise conflict from None
