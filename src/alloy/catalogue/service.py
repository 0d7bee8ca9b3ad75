"""The catalogue's rules: who sees and edits which movement, and the cache in front of reads."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from alloy.catalogue.models import Movement, MovementDiscipline, MovementEquipment
from alloy.catalogue.repository import WITH_TAGS, visible_movements, visible_to
from alloy.catalogue.schemas import MovementOut
from alloy.identity.roles import ADMIN_ROLES
from apikit.auth.dependencies import Principal
from apikit.cache import Cache
from apikit.db.unique import add_unique
from apikit.errors import AuthorizationError, ConflictError, NotFoundError, UnprocessableError
from apikit.ids import new_id, utcnow

MOVEMENTS = "movements"  # the cache scope every movement write invalidates


def movement_out(movement: Movement) -> MovementOut:
    return MovementOut(
        movement_id=movement.id,
        slug=movement.slug,
        name=movement.name,
        pattern=movement.pattern,
        primary_muscle=movement.primary_muscle,
        secondary_muscles=movement.secondary_muscles,
        equipment=movement.equipment,
        disciplines=movement.disciplines,
        compound=movement.compound,
        unilateral=movement.unilateral,
        skill_level=movement.skill_level,
        cns_load=movement.cns_load,
        metric_type=movement.metric_type,
        substitution_group=movement.substitution_group,
        progression_id=movement.progression_id,
        regression_id=movement.regression_id,
        description=movement.description,
        custom=movement.owner_id is not None,
        created_at=movement.created_at,
        updated_at=movement.updated_at,
    )


def not_found(movement_id: uuid.UUID) -> NotFoundError:
    return NotFoundError("No such movement", code="NF_MOVEMENT", details={"movement_id": str(movement_id)})


async def cached_movement(session: Any, cache: Cache, movement_id: uuid.UUID, caller: Principal) -> bytes:
    """The movement's JSON (``MovementOut``), from the cache when it can; 404 unless visible."""

    async def build() -> bytes:
        statement = select(Movement).options(*WITH_TAGS).where(Movement.id == movement_id)
        movement = (await session.execute(statement)).scalar_one_or_none()
        if movement is None:
            raise not_found(movement_id)
        owner = str(movement.owner_id) if movement.owner_id else None
        return json.dumps({"owner": owner, "data": movement_out(movement).model_dump(mode="json")}).encode()

    entry = json.loads(await cache.remember(await cache.key(MOVEMENTS, "detail", movement_id), build))
    if entry["owner"] is not None and entry["owner"] != str(caller.user_id):
        raise not_found(movement_id)  # another user's private movement does not exist for you
    return json.dumps(entry["data"], separators=(",", ":")).encode()


class MovementService:
    def __init__(self, session: AsyncSession, cache: Cache) -> None:
        self.session = session
        self.cache = cache

    async def get_for_edit(self, movement_id: uuid.UUID, caller: Principal) -> Movement:
        statement = visible_movements(caller.user_id).where(Movement.id == movement_id).with_for_update()
        movement: Movement | None = (await self.session.execute(statement)).scalar_one_or_none()
        if movement is None:
            raise not_found(movement_id)
        if movement.owner_id is None and caller.role not in ADMIN_ROLES:
            raise AuthorizationError("Only admins edit the shared catalogue", code="AUTH_FORBIDDEN")
        return movement

    async def create_custom(self, caller: Principal, fields: dict[str, Any]) -> Movement:
        await self._check_links(caller, fields)
        movement_id = new_id()
        movement = Movement(
            id=movement_id,
            slug=f"custom_{movement_id.hex}",
            name=fields["name"],
            name_key=fields["name"].casefold(),
            scope=str(caller.user_id),
            owner_id=caller.user_id,
            **{
                key: value for key, value in fields.items() if key not in {"name", "equipment", "disciplines"}
            },
        )
        movement.equipment_rows = _equipment_rows(fields["equipment"])
        movement.discipline_rows = _discipline_rows(fields["disciplines"])
        await add_unique(self.session, movement, _duplicate_name(fields["name"]))
        self.cache.invalidate_after_commit(self.session, MOVEMENTS)
        return await self._reloaded(movement.id)

    async def update(self, movement_id: uuid.UUID, caller: Principal, changes: dict[str, Any]) -> Movement:
        movement = await self.get_for_edit(movement_id, caller)
        await self._check_links(caller, changes, movement_id)
        for key, value in changes.items():
            if key == "equipment":
                movement.equipment_rows = _equipment_rows(value)
            elif key == "disciplines":
                movement.discipline_rows = _discipline_rows(value)
            else:
                setattr(movement, key, value)
        if "name" in changes:
            movement.name_key = changes["name"].casefold()
        movement.updated_at = utcnow()
        await add_unique(self.session, movement, _duplicate_name(movement.name))
        self.cache.invalidate_after_commit(self.session, MOVEMENTS)
        return await self._reloaded(movement.id)

    async def _check_links(
        self, caller: Principal, fields: dict[str, Any], movement_id: uuid.UUID | None = None
    ) -> None:
        for link in ("progression_id", "regression_id"):
            target = fields.get(link)
            if target is None:
                continue
            if target == movement_id:
                raise UnprocessableError("A movement cannot link to itself", details={"field": link})
            count = await self.session.scalar(
                select(func.count())
                .select_from(Movement)
                .where(Movement.id == target, visible_to(caller.user_id))
            )
            if not count:
                raise UnprocessableError(
                    "No such movement to link to", code="NF_MOVEMENT", details={"field": link}
                )

    async def _reloaded(self, movement_id: uuid.UUID) -> Movement:
        statement = select(Movement).options(*WITH_TAGS).where(Movement.id == movement_id)
        result = await self.session.execute(statement.execution_options(populate_existing=True))
        return result.scalar_one()


def _equipment_rows(items: list[str]) -> list[MovementEquipment]:
    return [
        MovementEquipment(equipment=item, position=position)
        for position, item in enumerate(dict.fromkeys(items))
    ]


def _discipline_rows(items: list[str]) -> list[MovementDiscipline]:
    return [
        MovementDiscipline(discipline=item, position=position)
        for position, item in enumerate(dict.fromkeys(items))
    ]


def _duplicate_name(name: str) -> ConflictError:
    return ConflictError(
        "A movement with this name exists", code="CF_DUPLICATE_MOVEMENT", details={"name": name}
    )
