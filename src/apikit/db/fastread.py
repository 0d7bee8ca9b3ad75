"""The fast read path: hot list and detail reads without the ORM on the way in or pydantic on the
way out.

A :class:`ReadStatement` is SQLAlchemy Core built once (at import, or once per shape of the
filters), compiled once per dialect, with every variable part a named ``bindparam``; its selected
columns are labelled with the names the response uses. The :class:`Reader` runs it:

- on PostgreSQL on the driver directly, an asyncpg pool of its own on the read URL (so read replica
  routing holds), whose prepared-statement cache does the rest. Release skips asyncpg's reset query:
  this pool only ever runs single autocommit SELECTs and leaves no session state behind.
- on SQLite through SQLAlchemy Core on the read engine, whose type processing turns the stored text
  back into ids and times (SQLite is the development database; speed is measured on PostgreSQL).

Rows come back as plain mappings, which :func:`rows_json` writes with orjson: times in UTC with
``Z`` as pydantic writes them, ids as strings, and JSON columns selected with :func:`raw_json`
passed through as the database's text (never decoded and encoded again). The route still declares
its response model, so the OpenAPI document is unchanged, and a test per route checks that the
fast answer equals the model's.

A database that cannot be reached, has no connection free or does not answer in time is a 503 or a
504, as on the ORM path.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import asyncpg
import orjson
from fastapi import Depends
from sqlalchemy import Dialect, Select, Text, type_coerce
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement, Label
from sqlalchemy.sql.visitors import InternalTraversal, _TraverseInternalsType
from sqlalchemy.types import TypeDecorator
from starlette.requests import Request

from apikit.db.faults import translated_errors

if TYPE_CHECKING:
    from apikit.db.engine import Database

Row = Mapping[str, Any]

_POSTGRES = PGDialect_asyncpg()  # type: ignore[no-untyped-call]


class RawJSON(TypeDecorator[str]):
    """A JSON column read as its text: :func:`rows_json` embeds it as it is."""

    impl = Text
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        # SQLite's JSON columns have numeric affinity: a number stored alone comes back as one.
        if value is None or isinstance(value, str):
            return value
        return orjson.dumps(value).decode()


def raw_json(column: ColumnElement[Any] | QueryableAttribute[Any], name: str | None = None) -> Label[Any]:
    """Select a JSON column as text, labelled ``name`` (default: the column's own name)."""
    return type_coerce(column, RawJSON).label(name or column.key)


class _JsonList(ColumnElement[str]):
    """The correlated subquery of :func:`json_list`."""

    inherit_cache = True
    _traverse_internals: _TraverseInternalsType = [  # noqa: RUF012 (SQLAlchemy's own declaration)
        ("value", InternalTraversal.dp_clauseelement),
        ("where", InternalTraversal.dp_clauseelement),
        ("order_by", InternalTraversal.dp_clauseelement),
    ]

    def __init__(
        self, value: ColumnElement[Any], where: ColumnElement[bool], order_by: ColumnElement[Any]
    ) -> None:
        self.value = value
        self.where = where
        self.order_by = order_by
        self.type = RawJSON()


def json_list(
    value: ColumnElement[Any] | QueryableAttribute[Any],
    *,
    where: ColumnElement[bool],
    order_by: ColumnElement[Any] | QueryableAttribute[Any],
    name: str,
) -> Label[Any]:
    """A child table's ``value`` for each row, as a JSON array in ``order_by``'s order (``[]``
    when none), labelled ``name``: ``where`` ties the child rows to the outer row (the outer
    table's columns in it are correlated). Written as the database's text, like :func:`raw_json`.
    """
    element = _JsonList(
        value.expression if isinstance(value, QueryableAttribute) else value,
        where,
        order_by.expression if isinstance(order_by, QueryableAttribute) else order_by,
    )
    return element.label(name)


def _child_table(element: _JsonList, compiler: SQLCompiler, **kw: Any) -> tuple[str, str, str, str]:
    (table,) = element.value._from_objects
    return (
        compiler.process(element.value, **kw),
        compiler.process(table, asfrom=True, **kw),
        compiler.process(element.where, **kw),
        compiler.process(element.order_by, **kw),
    )


@compiles(_JsonList, "postgresql")
def _json_list_postgresql(element: _JsonList, compiler: SQLCompiler, **kw: Any) -> str:
    value, table, where, order_by = _child_table(element, compiler, **kw)
    # Compiled SQL of our own columns, never a value: the values are bound parameters.
    return f"(SELECT coalesce(json_agg({value} ORDER BY {order_by}), '[]') FROM {table} WHERE {where})"  # noqa: S608


@compiles(_JsonList)
def _json_list_sqlite(element: _JsonList, compiler: SQLCompiler, **kw: Any) -> str:
    # No ORDER BY inside an aggregate before SQLite 3.44: an ordered subquery is aggregated in order
    # (SQLite never flattens an ordered subquery into an aggregate).
    value, table, where, order_by = _child_table(element, compiler, **kw)
    return (
        f"(SELECT json_group_array(ordered.value) FROM (SELECT {value} AS value FROM {table} "  # noqa: S608
        f"WHERE {where} ORDER BY {order_by}) AS ordered)"
    )


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]


class ReadStatement:
    """One read statement, compiled once per dialect. ``select`` labels its columns with the names
    the response uses (a label starting with ``_`` is for the server only, a cursor's key, and is
    never written); its parameters are named ``bindparam`` objects."""

    def __init__(self, select: Select[Any]) -> None:
        self.select = select
        columns = select.selected_columns
        self.json_keys = frozenset(str(column.key) for column in columns if isinstance(column.type, RawJSON))
        self.hidden_keys = frozenset(str(column.key) for column in columns if str(column.key).startswith("_"))
        self._postgres: _Compiled | None = None

    def postgres(self) -> _Compiled:
        if self._postgres is None:
            compiled = self.select.compile(dialect=_POSTGRES)
            names = tuple(compiled.positiontup or ())
            processors = tuple(
                compiled.binds[name].type.dialect_impl(_POSTGRES).bind_processor(_POSTGRES) for name in names
            )
            self._postgres = _Compiled(str(compiled), names, processors)
        return self._postgres


class ReadStatements:
    """A family of read statements built on demand, one per shape: ``build(*shape)`` makes the
    statement for that shape (which filters are present, whether the caller sees everything, …)
    the first time it is asked for, and never again. Shapes must be few (booleans, small counts),
    or bounded by ``max_shapes``: then only the most recently used are kept (a client that can
    choose among very many shapes, as a structured query's filters, cannot grow it without end).
    """

    def __init__(self, build: Callable[..., Select[Any]], *, max_shapes: int | None = None) -> None:
        self._build = build
        self._built: OrderedDict[Hashable, ReadStatement] = OrderedDict()
        self._max_shapes = max_shapes

    def __call__(self, *shape: Hashable) -> ReadStatement:
        statement = self._built.get(shape)
        if statement is None:
            statement = self._built[shape] = ReadStatement(self._build(*shape))
            if self._max_shapes is not None and len(self._built) > self._max_shapes:
                self._built.popitem(last=False)
        elif self._max_shapes is not None:
            self._built.move_to_end(shape)
        return statement


async def _keep_session_state(_connection: Any) -> None:
    """asyncpg's release runs a reset query (a round trip); these connections change no state."""


class Reader:
    """Runs :class:`ReadStatement` objects for one database (see the module's text)."""

    def __init__(self, database: Database) -> None:
        self._database = database
        engine = database.read_engine
        self._postgres = engine.dialect.name == "postgresql"
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._pool: asyncpg.Pool | None = None
        self._pool_lock = asyncio.Lock()
        self._pool_size = database.pool_size
        self._timeout = database.timeout_seconds

    async def all(self, statement: ReadStatement, params: Mapping[str, Any] | None = None) -> list[Row]:
        """Every row of ``statement`` with ``params``."""
        params = params or {}
        async with translated_errors():
            if not self._postgres:
                async with self._engine.connect() as connection:
                    result = await connection.execute(statement.select, dict(params))
                    # Plain str keys: a Table's column names are a str subclass, which orjson refuses.
                    names = result.keys()
                    keys = [str(name) for name in names]
                    return [dict(zip(keys, row, strict=True)) for row in result]
            compiled = statement.postgres()
            arguments = [
                params[name] if processor is None else processor(params[name])
                for name, processor in zip(compiled.names, compiled.processors, strict=True)
            ]
            pool = self._pool or await self._open_pool()
            async with pool.acquire(timeout=self._timeout) as connection:
                rows: list[Row] = await connection.fetch(compiled.sql, *arguments)
                return rows

    async def one(self, statement: ReadStatement, params: Mapping[str, Any] | None = None) -> Row | None:
        """The first row of ``statement``, or None."""
        rows = await self.all(statement, params)
        return rows[0] if rows else None

    async def _open_pool(self) -> asyncpg.Pool:
        async with self._pool_lock:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._dsn,
                    min_size=0,
                    max_size=self._pool_size,
                    timeout=self._timeout,
                    command_timeout=self._timeout * 6,
                    reset=_keep_session_state,
                )
            return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()


# --- JSON out -----------------------------------------------------------------------------------

_OPTIONS = orjson.OPT_UTC_Z


def _other(value: Any) -> Any:
    """What orjson does not write itself: asyncpg's own UUID (a subclass orjson does not take)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not written by the fast read path")


def _plain(row: Row, statement: ReadStatement) -> dict[str, Any]:
    values = dict(row.items())
    for key in statement.json_keys:
        text = values.get(key)
        if text is not None:
            values[key] = orjson.Fragment(text)
    for key in statement.hidden_keys:
        values.pop(key, None)  # a row reshaped before it is written may have dropped it
    return values


def row_json(row: Row, statement: ReadStatement) -> bytes:
    """One row as a JSON object."""
    return orjson.dumps(_plain(row, statement), option=_OPTIONS, default=_other)


def rows_json(rows: Sequence[Row], statement: ReadStatement) -> bytes:
    """Rows as a JSON array of objects, in order."""
    return orjson.dumps([_plain(row, statement) for row in rows], option=_OPTIONS, default=_other)


def written(content: bytes) -> orjson.Fragment:
    """JSON already written (by :func:`rows_json`, say), placed as it is in a value that
    :func:`row_json` or :func:`json_value` writes: a list of rows inside an answer's object."""
    return orjson.Fragment(content)


def json_value(value: Any) -> bytes:
    """Any other part of an answer (a cursor, a count, a list of ids) in the same JSON dialect."""
    return orjson.dumps(value, option=_OPTIONS, default=_other)


async def _reader(request: Request) -> Reader:  # async: a plain def would run in a worker thread
    reader: Reader = request.app.state.database.reader
    return reader


Reads = Annotated[Reader, Depends(_reader)]
