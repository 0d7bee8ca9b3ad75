"""Alembic, per service, driven from code: the CLI, ``serve`` and the tests use the same calls."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Connection, MetaData
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from apikit.db.engine import Database


def alembic_config(script_location: str, url: str) -> Config:
    """``script_location`` is a package path such as ``firemode:migrations``."""
    config = Config()
    config.set_main_option("script_location", script_location)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(database: Database, script_location: str, revision: str = "head") -> None:
    await _run_with_connection(database, script_location, command.upgrade, revision)


async def downgrade(database: Database, script_location: str, revision: str) -> None:
    await _run_with_connection(database, script_location, command.downgrade, revision)


async def is_behind(database: Database, script_location: str) -> bool:
    """True when the database lacks a migration that the code ships."""
    heads = set(ScriptDirectory.from_config(alembic_config(script_location, database.url)).get_heads())

    def current(connection: Connection) -> set[str]:
        return set(MigrationContext.configure(connection).get_current_heads())

    async with database.engine.connect() as connection:
        return await connection.run_sync(current) != heads


async def schema_drift(database: Database, metadata: MetaData) -> list[Any]:
    """What autogenerate would still write: empty when models and migrations agree."""

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, metadata))

    async with database.engine.connect() as connection:
        return await connection.run_sync(compare)


async def _run_with_connection(
    database: Database, script_location: str, operation: Any, revision: str
) -> None:
    config = alembic_config(script_location, database.url)

    def run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        operation(config, revision)

    # The service's own engine: on SQLite it opens real transactions, so DDL is atomic there too.
    async with database.engine.begin() as connection:
        await connection.run_sync(run)


def run_migrations(metadata: MetaData) -> None:
    """The body of every service's ``env.py``."""
    from alembic import context

    config = context.config
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=metadata,
            literal_binds=True,
            render_as_batch=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection, metadata)
        return
    # Plain `alembic` on the command line: make our own connection.
    asyncio.run(_migrate_with_new_engine(config.get_main_option("sqlalchemy.url") or "", metadata))


async def _migrate_with_new_engine(url: str, metadata: MetaData) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.begin() as connection:
        await connection.run_sync(_migrate, metadata)
    await engine.dispose()


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render the kit's portable JSON type by name, not as its dialect variants."""
    if type_ == "type" and isinstance(obj, JSON) and getattr(obj, "_variant_mapping", None):
        return "apikit.db.types.JSONType"
    return False


def _migrate(connection: Connection, metadata: MetaData) -> None:
    from alembic import context

    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
