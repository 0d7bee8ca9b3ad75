"""One async engine per service, a session per request, and one commit point.

Write sessions commit when the endpoint returns normally and roll back on any exception; services
and repositories only ``flush``. Read-only endpoints take a ``ReadSession``, which is bound to
the read replica when one is configured and has no write methods as far as the type checker knows;
repositories and services that only read take the same type.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Annotated, Any, Protocol

from fastapi import Depends
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from apikit import jsoncodec
from apikit.context import app_state
from apikit.db.fastread import Reader
from apikit.db.faults import translated_errors
from apikit.errors import ApiError

IsolationLevel = str  # "SERIALIZABLE", "REPEATABLE READ", "READ COMMITTED"


class _ReadMethods(Protocol):
    """The read half of ``AsyncSession``: what a read-only endpoint may do.

    ``add``, ``delete``, ``flush`` and ``commit`` are absent, so a write through a read session
    fails type checking; at run time it is bound to the read replica when one is configured.
    """

    async def execute(self, *args: Any, **kwargs: Any) -> Any: ...

    async def scalar(self, *args: Any, **kwargs: Any) -> Any: ...

    async def scalars(self, *args: Any, **kwargs: Any) -> Any: ...

    async def get(self, *args: Any, **kwargs: Any) -> Any: ...


class _WriterGate:
    """SQLite has one writer at a time. This process's writers queue here, first come first
    served, rather than polling the file lock: SQLite's busy handler lets late comers win, so
    under steady contention an early writer can starve past its timeout. Re-entrant within a
    task, so a unit of work opened inside another (an audit record during a request) behaves as
    it did without the gate. Other processes on the same file still meet the busy timeout."""

    def __init__(self, timeout_seconds: float) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._timeout_seconds = timeout_seconds

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None and self._owner is task:
            yield
            return
        async with asyncio.timeout(self._timeout_seconds):
            await self._lock.acquire()
        self._owner = task
        try:
            yield
        finally:
            self._owner = None
            self._lock.release()


class Database:
    """Engines and session factories for one service's database."""

    def __init__(
        self,
        url: str,
        *,
        read_url: str | None = None,
        timeout_seconds: float = 5.0,
        pool_size: int = 10,
    ) -> None:
        self.url = url
        self.timeout_seconds = timeout_seconds
        self.pool_size = pool_size
        self.engine = _make_engine(url, timeout_seconds, pool_size, sqlite_begin="BEGIN IMMEDIATE")
        self._writers = _WriterGate(timeout_seconds) if self.engine.dialect.name == "sqlite" else None
        if read_url and read_url != url:
            self.read_engine = _make_engine(read_url, timeout_seconds, pool_size)
        elif self.engine.dialect.name == "sqlite":
            # Same file, its own connections: readers never queue behind a writer's lock.
            self.read_engine = _make_engine(url, timeout_seconds, pool_size)
        else:
            self.read_engine = self.engine
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        # Reads run in autocommit: no BEGIN and ROLLBACK round trips around a SELECT. (A read
        # that needs one snapshot across statements opens a write session instead.)
        self.read_sessions = async_sessionmaker(
            self.read_engine.execution_options(isolation_level="AUTOCOMMIT"),
            expire_on_commit=False,
            autoflush=False,
        )
        self.reader = Reader(self)  # the fast read path (apikit.db.fastread)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def writer_turn(self) -> AbstractAsyncContextManager[None]:
        """Held for the life of a write session: this process's turn to write (SQLite only)."""
        return self._writers.held() if self._writers is not None else nullcontext()

    async def ping(self) -> None:
        """One round trip, bounded in time; raises when the database cannot answer."""
        async with asyncio.timeout(self.timeout_seconds):
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))

    @asynccontextmanager
    async def transactional(
        self, isolation_level: IsolationLevel | None = None
    ) -> AsyncIterator[AsyncSession]:
        """A unit of work of one's own (CLI, jobs, an endpoint whose body decides whether it writes):
        commit on success, roll back on error.

        ``isolation_level`` applies on PostgreSQL; SQLite's write transactions are already
        serializable (they take the write lock at BEGIN).
        """
        async with translated_errors(), self.writer_turn(), self.sessions() as session:
            if isolation_level and self.dialect == "postgresql":
                await session.connection(execution_options={"isolation_level": isolation_level})
            try:
                yield session
                await _commit(session)
            except BaseException:
                await _rollback(session)
                raise

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """An autocommit read session outside a request's dependencies, its faults answered like a
        request's (503, or 504 on timeout)."""
        async with translated_errors(), self.read_sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.reader.close()
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


def _make_engine(
    url: str, timeout_seconds: float, pool_size: int, *, sqlite_begin: str = "BEGIN"
) -> AsyncEngine:
    json_codec: dict[str, Any] = {"json_serializer": jsoncodec.dumps, "json_deserializer": jsoncodec.loads}
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url,
            connect_args={"timeout": timeout_seconds},
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_timeout=timeout_seconds,
            **json_codec,
        )
        _configure_sqlite(engine, begin=sqlite_begin)
        return engine
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql+asyncpg"):
        connect_args = {"timeout": timeout_seconds, "command_timeout": timeout_seconds * 6}
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=timeout_seconds,
        # No pre-ping round trip per checkout: a connection broken by a database restart fails
        # its request with a 503 and is invalidated, so the pool recovers by itself.
        connect_args=connect_args,
        **json_codec,
    )


def _configure_sqlite(engine: AsyncEngine, *, begin: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (below) instead of pysqlite's implicit, late one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A writer takes the lock up front and waits its turn (busy timeout) instead of failing
        # halfway when a read has to become a write. Autocommit connections begin nothing.
        # (get_isolation_level() asks the database and never says AUTOCOMMIT: read the option.)
        if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            connection.exec_driver_sql(begin)


_AFTER_COMMIT = "apikit.after_commit"


def after_commit(session: AsyncSession, action: Callable[[], Awaitable[None]]) -> None:
    """Run ``action`` once ``session``'s unit of work has committed, and never if it rolls back:
    for effects outside the database that must not run ahead of it (a cache invalidated before
    the commit can be refilled with the old rows by a reader in between)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


async def _commit(session: AsyncSession) -> None:
    await session.commit()
    for action in session.info.pop(_AFTER_COMMIT, []):
        await action()


async def _rollback(session: AsyncSession) -> None:
    session.info.pop(_AFTER_COMMIT, None)
    await session.rollback()


DatabaseDep = Annotated[Database, Depends(app_state("database"))]  # for a unit of work of one's own


async def _write_session(database: DatabaseDep) -> AsyncIterator[AsyncSession]:
    async with translated_errors(), database.writer_turn(), database.sessions() as session:
        try:
            yield session
            await _commit(session)
        except ApiError as error:
            await (_commit(session) if error.keep_changes else _rollback(session))
            raise
        except BaseException:
            await _rollback(session)
            raise


async def _read_session(database: DatabaseDep) -> AsyncIterator[_ReadMethods]:
    # Autocommit reads: closing returns the connection; loaded objects stay readable afterwards
    # (a response streamed after the endpoint returned may still use them).
    async with database.read_sessions() as session, translated_errors():
        yield session


# scope="function": the commit happens before the response is sent, never after it.
WriteSession = Annotated[AsyncSession, Depends(_write_session, scope="function")]
# One name for the read session, as an endpoint's dependency and as the type a repository takes.
ReadSession = Annotated[_ReadMethods, Depends(_read_session, scope="function")]
