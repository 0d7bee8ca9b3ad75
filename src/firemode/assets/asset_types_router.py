"""``/v1/asset-types``: the register's types and the schema of each one's details, for forms."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from apikit.openapi import error_responses
from firemode.assets.asset_types import described
from firemode.assets.schemas import AssetTypeOut
from firemode.identity.roles import CurrentUser

router = APIRouter(prefix="/v1/asset-types", tags=["assets"])


@router.get(
    "",
    response_model=list[AssetTypeOut],
    summary="Asset types, each with the JSON Schema of its details",
    responses=error_responses(401),
)
async def list_asset_types(_caller: CurrentUser) -> list[dict[str, Any]]:
    return described()
