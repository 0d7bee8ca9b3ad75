"""Many rows into one table at once, without Core's per-row cost.

Core's ``executemany`` builds a parameter dictionary per row and runs each value through its
compiled-statement machinery; for a 1,000-row batch that is most of the Python time of the
insert, and a thousand INSERTs are most of PostgreSQL's. Here each column's own bind processor
(the conversion Core would apply: JSON text, UTC timestamps, UUIDs) runs once per value, and the
driver gets plain tuples: for a COPY on PostgreSQL, for the INSERT Core compiles once elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Dialect, Table, insert
from sqlalchemy.ext.asyncio import AsyncSession


def _unchanged(value: Any) -> Any:
    return value


@cache
def _prepared(
    table: Table, columns: tuple[str, ...], dialect: Dialect
) -> tuple[str, list[tuple[str, Callable[[Any], Any]]]]:
    """The statement's text for the driver and, in the driver's parameter order, each parameter's
    column and that column's bind processor."""
    compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
    if not compiled.positional or compiled.positiontup is None:
        raise NotImplementedError(f"insert_rows needs a positional paramstyle, not {dialect.paramstyle!r}")
    return compiled.string, [
        (name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect) or _unchanged)
        for name in compiled.positiontup
    ]


def _driver_values(
    rows: Sequence[Mapping[str, Any]], parameters: list[tuple[str, Callable[[Any], Any]]]
) -> list[tuple[Any, ...]]:
    """Each row as the driver's tuple, built column by column. A value that is the very object the
    row before held (the batch's timestamp, its parent's id, ``None``) is converted once, not once
    per row; a column without a bind processor is taken as it is."""
    columns = []
    for name, process in parameters:
        values = [row[name] for row in rows]
        if process is not _unchanged:
            held: Any = object()  # nothing a row holds
            converted: Any = None
            for index, value in enumerate(values):
                if value is not held:
                    held, converted = value, process(value)
                values[index] = converted
        columns.append(values)
    return list(zip(*columns, strict=True))


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Write every row (all with the same keys) into ``table``: one ``COPY`` on PostgreSQL
    (asyncpg), one ``executemany`` of the compiled ``INSERT`` elsewhere."""
    if not rows:
        return
    connection = await session.connection()
    statement, parameters = _prepared(table, tuple(rows[0]), connection.dialect)
    values = _driver_values(rows, parameters)
    if connection.dialect.driver == "asyncpg":
        raw = await connection.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            table.name, records=values, columns=[name for name, _ in parameters], schema_name=table.schema
        )
        return
    await connection.exec_driver_sql(statement, values)
