"""Cursor pagination: keyset on an explicit total order, with signed, opaque cursors.

A list endpoint declares its order as a :class:`Keyset` (the last column is the primary key, so the
order is total), takes a :data:`PageParams` dependency, and calls :func:`paginate`. The cursor
carries the last row's key, the direction, the list it belongs to and a digest of the filters; it is
signed with HMAC, so a tampered, foreign or re-filtered cursor is a 400, never a 500 or a leak.
Authorization stays in the statement the endpoint passes in: a cursor grants nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import uuid
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, bindparam, tuple_
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import TypeDecorator

from apikit.context import app_state
from apikit.db.engine import ReadSession
from apikit.db.fastread import Reader, ReadStatement, ReadStatements, json_value, rows_json
from apikit.errors import ValidationError
from apikit.jsoncodec import canonical
from apikit.schemas import in_utc, storable_text

T = TypeVar("T")
Direction = Literal["next", "prev"]

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
_CURSOR_VERSION = 1
# Longer than any cursor this module makes: checked on decoding, so it is the cursor's 400 like
# every other bad cursor (a max_length on the query parameter would make it a 422).
MAX_CURSOR_LENGTH = 2048
_INT64 = 2**63 - 1


class CursorCodec:
    """Signs and checks cursors. One per service, keyed by its secret."""

    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"apikit.cursor\x00" + secret).digest()

    def encode(self, payload: Mapping[str, Any]) -> str:
        body = canonical(payload).encode()
        return f"{_b64(body)}.{_b64(self._sign(body))}"

    def decode(self, token: str) -> dict[str, Any]:
        if len(token) > MAX_CURSOR_LENGTH:
            raise invalid_cursor(f"The cursor is longer than {MAX_CURSOR_LENGTH} characters")
        try:
            body_part, signature_part = token.split(".")
            body = _unb64(body_part)
            signature = _unb64(signature_part)
        except (ValueError, binascii.Error):
            raise invalid_cursor("The cursor is malformed") from None
        if not hmac.compare_digest(signature, self._sign(body)):
            raise invalid_cursor("The cursor was not issued by this service")
        try:
            payload = json.loads(body)
        except ValueError:
            raise invalid_cursor("The cursor is malformed") from None
        if not isinstance(payload, dict) or payload.get("v") != _CURSOR_VERSION:
            raise invalid_cursor("The cursor is from an incompatible version")
        return payload

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()[:16]


def invalid_cursor(message: str) -> ValidationError:
    return ValidationError(message, code="VAL_CURSOR", details={"field": "cursor"})


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text:
        raise ValueError("empty")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- Key values in cursors ----------------------------------------------------------------------


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"u": value.hex}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot put {type(value).__name__} in a cursor")


def _decode_value(raw: Any) -> Any:
    if isinstance(raw, dict) and len(raw) == 1:
        ((tag, text),) = raw.items()
        if not isinstance(text, str):
            raise ValueError("bad tagged value")
        if tag == "dt":
            return datetime.fromisoformat(text)
        if tag == "d":
            return date.fromisoformat(text)
        if tag == "u":
            return uuid.UUID(hex=text)
    if raw is None or isinstance(raw, bool | int | float | str):
        return raw
    raise ValueError("bad cursor value")


def filters_digest(filters: Mapping[str, Any]) -> str:
    """A short digest of the filters a page was made under (lists are compared as given)."""
    return _b64(hashlib.sha256(canonical(filters, default=str).encode()).digest()[:12])


# --- Requests and pages -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int
    cursor: str | None
    direction: Direction | None
    codec: CursorCodec


CursorCodecDep = Annotated[CursorCodec, Depends(app_state("cursor_codec"))]  # the app's, keyed by its secret


def coerce_limit(limit: int, maximum: int = MAX_LIMIT) -> int:
    """The page size served for ``limit``: above ``maximum``, the maximum (AIP-158). Zero or less
    fails the query parameter's validation (``ge=1``) before this."""
    return min(limit, maximum)


async def _page_request(
    codec: CursorCodecDep,
    limit: Annotated[
        int, Query(ge=1, description=f"Page size; values above {MAX_LIMIT} are served as {MAX_LIMIT}")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
) -> PageRequest:
    return PageRequest(coerce_limit(limit), cursor, None, codec)


async def _bidirectional_page_request(
    codec: CursorCodecDep,
    limit: Annotated[
        int, Query(ge=1, description=f"Page size; values above {MAX_LIMIT} are served as {MAX_LIMIT}")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(description="`next_cursor` or `prev_cursor` of another page"),
    ] = None,
    direction: Annotated[
        Direction | None,
        Query(description="Defaults to the cursor's own; `prev` without a cursor starts at the end"),
    ] = None,
) -> PageRequest:
    return PageRequest(coerce_limit(limit), cursor, direction, codec)


PageParams = Annotated[PageRequest, Depends(_page_request)]
BidirectionalPageParams = Annotated[PageRequest, Depends(_bidirectional_page_request)]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    prev_cursor: str | None
    has_more: bool


class CursorPage(BaseModel, Generic[T]):
    """The wire shape of a bidirectional page (the envelope's ``data`` in Alloy)."""

    items: list[T]
    next_cursor: str | None
    prev_cursor: str | None
    has_more: bool

    @classmethod
    def of(cls, page: Page[Any], items: Sequence[T]) -> Self:
        """The wire page for ``page``, its rows turned into ``items`` (in the same order)."""
        return cls(
            items=list(items),
            next_cursor=page.next_cursor,
            prev_cursor=page.prev_cursor,
            has_more=page.has_more,
        )


@dataclass(frozen=True)
class Keyset:
    """A list's total order: ``name`` identifies the list, so its cursors fit no other."""

    name: str
    columns: Sequence[InstrumentedAttribute[Any]]
    descending: bool = True

    def key_of(self, item: Any) -> tuple[Any, ...]:
        return tuple(getattr(item, column.key) for column in self.columns)


async def paginate(
    session: ReadSession,
    statement: Select[Any],
    *,
    keyset: Keyset,
    page: PageRequest,
    filters: Mapping[str, Any] | None = None,
    rows: bool = False,
) -> Page[Any]:
    """Run ``statement`` (already filtered and authorized) one page at a time. Its items are the
    first column's values (an entity), or with ``rows`` whole rows, whose labels name the keyset's
    columns."""
    digest = filters_digest(filters or {})
    backwards, after = _position(page, keyset, digest)
    # Walking backwards is walking the opposite order, then turning the page around.
    descending = keyset.descending != backwards
    if after is not None:
        position = tuple_(*keyset.columns)
        bound = tuple_(
            *(
                bindparam(None, value, type_=column.type)
                for column, value in zip(keyset.columns, after, strict=True)
            )
        )
        statement = statement.where(position < bound if descending else position > bound)
    order = [column.desc() if descending else column.asc() for column in keyset.columns]
    statement = statement.order_by(None).order_by(*order).limit(page.limit + 1)

    result = await session.execute(statement)
    items = list(result if rows else result.scalars())
    return _page_of(
        items, keyset.key_of, page=page, keyset=keyset, digest=digest, backwards=backwards, after=after
    )


class KeysetReads:
    """A list's statements for the fast read path (:mod:`apikit.db.fastread`).

    ``build(*shape)`` gives the list's filtered, authorized select, its columns labelled as the
    response names them. Each shape gets four statements (forwards or backwards, from the start or
    after a cursor), built once, which also select the keyset's columns for the cursors (labelled
    ``_key0``…, never written), and whose parameters are ``build``'s own plus the cursor's key
    (``_key0``…) and the limit (``_limit``).
    """

    def __init__(self, keyset: Keyset, build: Callable[..., Select[Any]]) -> None:
        self.keyset = keyset
        self.keys = tuple(f"_key{index}" for index in range(len(keyset.columns)))
        self._build = build
        self.statements = ReadStatements(self._variant)

    def key_of(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(row[key] for key in self.keys)

    def _variant(self, backwards: bool, from_cursor: bool, *shape: Hashable) -> Select[Any]:
        keyset = self.keyset
        statement = self._build(*shape).add_columns(
            *(column.label(key) for column, key in zip(keyset.columns, self.keys, strict=True))
        )
        descending = keyset.descending != backwards
        if from_cursor:
            position = tuple_(*keyset.columns)
            bound = tuple_(
                *(bindparam(f"_key{index}", type_=column.type) for index, column in enumerate(keyset.columns))
            )
            statement = statement.where(position < bound if descending else position > bound)
        order = [column.desc() if descending else column.asc() for column in keyset.columns]
        return statement.order_by(None).order_by(*order).limit(bindparam("_limit"))


async def read_page(
    reader: Reader,
    reads: KeysetReads,
    *,
    page: PageRequest,
    shape: tuple[Hashable, ...] = (),
    params: Mapping[str, Any] | None = None,
    filters: Mapping[str, Any] | None = None,
) -> RowPage:
    """:func:`paginate` on the fast read path: the same cursors, order and page, whose items are
    row mappings, with the statement that writes them."""
    digest = filters_digest(filters or {})
    backwards, after = _position(page, reads.keyset, digest)
    statement = reads.statements(backwards, after is not None, *shape)
    values = dict(params or {})
    values["_limit"] = page.limit + 1
    for index, value in enumerate(after or ()):
        values[f"_key{index}"] = value
    items = await reader.all(statement, values)
    return RowPage(
        statement,
        _page_of(
            items,
            reads.key_of,
            page=page,
            keyset=reads.keyset,
            digest=digest,
            backwards=backwards,
            after=after,
        ),
    )


@dataclass(frozen=True, slots=True)
class RowPage:
    """A page of the fast read path: its rows and the statement that read them (which knows how
    they are written)."""

    statement: ReadStatement
    page: Page[Mapping[str, Any]]

    def items_and_cursor(self) -> bytes:
        """Written as a service without the envelope lists: ``{"data": […], "next_cursor"}``."""
        return b'{"data":' + self._items() + b',"next_cursor":' + json_value(self.page.next_cursor) + b"}"

    def cursor_page(self) -> bytes:
        """Written as :class:`CursorPage` (the envelope's ``data`` in Alloy)."""
        page = self.page
        return (
            b'{"items":'
            + self._items()
            + b',"next_cursor":'
            + json_value(page.next_cursor)
            + b',"prev_cursor":'
            + json_value(page.prev_cursor)
            + b',"has_more":'
            + json_value(page.has_more)
            + b"}"
        )

    def each(self, shape: Callable[[Mapping[str, Any]], Mapping[str, Any]]) -> RowPage:
        """This page with ``shape`` applied to every row before it is written: what the answer has
        that the columns do not give as they are (a nested object of joined columns, a value worked
        out per row). Its cursors are the page's, made from the rows as read."""
        page = self.page
        items = [shape(row) for row in page.items]
        return RowPage(self.statement, Page(items, page.next_cursor, page.prev_cursor, page.has_more))

    def _items(self) -> bytes:
        return rows_json(self.page.items, self.statement)


def _position(page: PageRequest, keyset: Keyset, digest: str) -> tuple[bool, tuple[Any, ...] | None]:
    """Whether the page walks backwards, and the key it starts after (None: from the start)."""
    direction: Direction = page.direction or "next"
    after: tuple[Any, ...] | None = None
    if page.cursor is not None:
        cursor_direction, after = _read_cursor(page, keyset, digest)
        if page.direction is not None and page.direction != cursor_direction:
            raise invalid_cursor(f"This cursor pages {cursor_direction}, not {page.direction}")
        direction = cursor_direction
    return direction == "prev", after


def _page_of(
    items: list[Any],
    key_of: Callable[[Any], tuple[Any, ...]],
    *,
    page: PageRequest,
    keyset: Keyset,
    digest: str,
    backwards: bool,
    after: tuple[Any, ...] | None,
) -> Page[Any]:
    """The page of ``items`` (fetched in the walking order, one more than the limit if there are)."""
    has_more = len(items) > page.limit
    items = items[: page.limit]
    if backwards:
        items.reverse()

    def cursor_at(item: Any, towards: Direction) -> str:
        payload = {
            "v": _CURSOR_VERSION,
            "l": keyset.name,
            "f": digest,
            "d": towards,
            "k": [_encode_value(value) for value in key_of(item)],
        }
        return page.codec.encode(payload)

    if not items:
        return Page([], None, None, False)
    # Forward: more after us if we over-fetched; something before us if we came from a cursor.
    more_after = has_more if not backwards else after is not None
    more_before = after is not None if not backwards else has_more
    return Page(
        items=items,
        next_cursor=cursor_at(items[-1], "next") if more_after else None,
        prev_cursor=cursor_at(items[0], "prev") if more_before else None,
        has_more=has_more,
    )


def _read_cursor(page: PageRequest, keyset: Keyset, digest: str) -> tuple[Direction, tuple[Any, ...]]:
    assert page.cursor is not None
    payload = page.codec.decode(page.cursor)
    if payload.get("l") != keyset.name:
        raise invalid_cursor("This cursor belongs to another list")
    if payload.get("f") != digest:
        raise invalid_cursor("This cursor was made with other filters; start again without it")
    direction = payload.get("d")
    raw_key = payload.get("k")
    if direction not in ("next", "prev") or not isinstance(raw_key, list):
        raise invalid_cursor("The cursor is malformed")
    if len(raw_key) != len(keyset.columns):
        raise invalid_cursor("The cursor is malformed")
    try:
        key = tuple(
            _checked_key_value(column, _decode_value(value))
            for column, value in zip(keyset.columns, raw_key, strict=True)
        )
    except (ValueError, OverflowError):
        raise invalid_cursor("The cursor is malformed") from None
    return direction, key


def _python_type(column: InstrumentedAttribute[Any]) -> type:
    sql_type = column.type
    if isinstance(sql_type, TypeDecorator):
        sql_type = sql_type.impl_instance  # UTCDateTime says ``object``; its DateTime knows
    try:
        python_type: type = sql_type.python_type
    except NotImplementedError:
        return object
    return python_type


def _checked_key_value(column: InstrumentedAttribute[Any], value: Any) -> Any:
    """``value`` when it is what ``column`` holds and the database can compare with it; else a
    ``ValueError``. A validly signed cursor can still carry any JSON (a key, signed, leaked, or
    made by an older release), and a value of the wrong type fails in the driver: a 500."""
    expected = _python_type(column)
    if value is None or (isinstance(value, bool) and expected is not bool):
        raise ValueError("no key value may be null or a boolean")
    if expected is datetime:
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("expected a date-time with a time zone")
        return in_utc(value)
    if expected is date and isinstance(value, datetime):
        raise ValueError("expected a date")
    if expected is float and isinstance(value, int):
        value = float(value)
    if not isinstance(value, expected):
        raise ValueError(f"expected {expected.__name__}")
    if isinstance(value, int) and not -_INT64 - 1 <= value <= _INT64:
        raise ValueError("the integer does not fit in 64 bits")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("the number is not finite")
    return storable_text(value)
