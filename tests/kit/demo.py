"""A small service built on the kit alone, so the kit's contract is tested in both formats.

It has one table and routes that fail in every way the kit must render.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar

from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Query, Response
from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict
from sqlalchemy import String, bindparam, delete, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from apikit import errors
from apikit.app import create_app
from apikit.auth.dependencies import internal_caller
from apikit.db.base import TYPE_ANNOTATION_MAP, IdMixin, new_metadata
from apikit.db.engine import ReadSession, WriteSession
from apikit.db.fastread import Reads
from apikit.error_formats import ErrorFormat
from apikit.ids import utcnow
from apikit.openapi import error_responses
from apikit.pagination import (
    BidirectionalPageParams,
    CursorPage,
    Keyset,
    KeysetReads,
    PageParams,
    PageRequest,
    paginate,
    read_page,
)
from apikit.schemas import RequestModel, Timestamp
from apikit.settings import ServiceSettings

SECRET_IN_BUG = "s3cr3t-internal-detail"


class DemoSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KITDEMO_", extra="ignore")
    service_name: ClassVar[str] = "kitdemo"


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map: dict[Any, Any] = TYPE_ANNOTATION_MAP


class Item(IdMixin, Base):
    __tablename__ = "items"
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ItemIn(RequestModel):
    name: str = Field(min_length=1, max_length=100)
    category: str = Field(min_length=1, max_length=20)
    created_at: Timestamp | None = None


class ItemOut(BaseModel):
    id: str
    name: str
    category: str


ITEMS = Keyset("items", (Item.created_at, Item.id), descending=True)
DOMAIN_ERRORS: dict[str, type[errors.ApiError]] = {
    "validation": errors.ValidationError,
    "authentication": errors.AuthenticationError,
    "authorization": errors.AuthorizationError,
    "not_found": errors.NotFoundError,
    "conflict": errors.ConflictError,
    "business_rule": errors.BusinessRuleError,
    "too_large": errors.PayloadTooLargeError,
    "unsupported": errors.UnsupportedMediaError,
    "unavailable": errors.DependencyUnavailableError,
    "timeout": errors.DependencyTimeoutError,
}

router = APIRouter(prefix="/v1")


@router.post("/items", response_model=ItemOut, status_code=201, summary="Add an item")
async def add_item(item: ItemIn, session: WriteSession) -> ItemOut:
    row = Item(name=item.name, category=item.category, created_at=item.created_at or utcnow())
    session.add(row)
    await session.flush()
    if item.name == "explode-after-write":
        raise RuntimeError(SECRET_IN_BUG)  # the unit of work must roll the insert back
    return ItemOut(id=str(row.id), name=row.name, category=row.category)


async def _list_items(session: ReadSession, page: PageRequest, category: str | None) -> CursorPage[ItemOut]:
    statement = select(Item)
    if category is not None:
        statement = statement.where(Item.category == category)
    result = await paginate(session, statement, keyset=ITEMS, page=page, filters={"category": category})
    return CursorPage[ItemOut](
        items=[ItemOut(id=str(i.id), name=i.name, category=i.category) for i in result.items],
        next_cursor=result.next_cursor,
        prev_cursor=result.prev_cursor,
        has_more=result.has_more,
    )


@router.get(
    "/items",
    response_model=CursorPage[ItemOut],
    summary="List items, newest first",
    responses=error_responses(400),
)
async def list_items(
    session: ReadSession, page: PageParams, category: Annotated[str | None, Query()] = None
) -> CursorPage[ItemOut]:
    return await _list_items(session, page, category)


@router.get(
    "/items/both-ways",
    response_model=CursorPage[ItemOut],
    summary="List items, newest first, in either direction",
    responses=error_responses(400),
)
async def list_items_both_ways(
    session: ReadSession,
    page: BidirectionalPageParams,
    category: Annotated[str | None, Query()] = None,
) -> CursorPage[ItemOut]:
    return await _list_items(session, page, category)


def _fast_items(has_category: bool) -> Any:
    statement = select(Item.id, Item.name, Item.category)
    return statement.where(Item.category == bindparam("category")) if has_category else statement


FAST_ITEMS = KeysetReads(ITEMS, _fast_items)


@router.get(
    "/items/fast",
    response_model=CursorPage[ItemOut],
    summary="List items on the fast read path, in either direction",
    responses=error_responses(400),
)
async def list_items_fast(
    reader: Reads, page: BidirectionalPageParams, category: Annotated[str | None, Query()] = None
) -> Response:
    found = await read_page(
        reader,
        FAST_ITEMS,
        page=page,
        shape=(category is not None,),
        params={"category": category},
        filters={"category": category},
    )
    return Response(found.cursor_page(), media_type="application/json")


@router.delete("/items", response_model=int, summary="Remove every item")
async def remove_items(session: WriteSession) -> int:
    result = await session.execute(delete(Item))
    return int(getattr(result, "rowcount", 0))


@router.get("/items/count", response_model=int, summary="Count items")
async def count_items(session: ReadSession) -> int:
    return len((await session.execute(select(Item.id))).all())


@router.get("/fail/{kind}", response_model=ItemOut, summary="Fail on purpose")
async def fail_on_purpose(kind: str) -> ItemOut:
    if kind in DOMAIN_ERRORS:
        raise DOMAIN_ERRORS[kind](details={"kind": kind})
    if kind == "rate_limited":
        raise errors.RateLimitedError(retry_after=7, limit="5/minute")
    if kind == "http_exception":
        raise HTTPException(status_code=418, detail="I'm a teapot")
    raise RuntimeError(SECRET_IN_BUG)


@router.post("/echo", response_model=dict[str, int], summary="Echo a count")
async def echo_count(count: Annotated[int, Body(embed=True, ge=0, le=10, strict=True)]) -> dict[str, int]:
    return {"count": count}


@router.get("/internal/ping", response_model=dict[str, str], summary="Answer our own processes only")
async def ping_internal(
    caller: Annotated[dict[str, Any], Depends(internal_caller("kitdemo-worker"))],
) -> dict[str, str]:
    return {"caller": str(caller["sub"])}


def create_demo_app(settings: DemoSettings, error_format: ErrorFormat) -> FastAPI:
    return create_app(
        settings=settings,
        title="Kit demo",
        version="0",
        description="The kit, alone",
        error_format=error_format,
        routers=[router],
    )
