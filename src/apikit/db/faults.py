"""What a database fault is answered with, on the ORM path and on the fast read path alike: a
database that cannot be reached, or has no connection free, is a 503 (a 504 when it did not answer
in time), never a 500."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from apikit.errors import DependencyTimeoutError, DependencyUnavailableError

# Not every OSError: a full disk is not a database. The asyncpg errors are the fast read path's,
# which runs on the driver without SQLAlchemy wrapping them.
_UNAVAILABLE = (
    OperationalError,
    ConnectionError,
    socket.gaierror,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)


@asynccontextmanager
async def translated_errors() -> AsyncIterator[None]:
    try:
        yield
    except (TimeoutError, asyncpg.QueryCanceledError) as exc:
        raise DependencyTimeoutError("The database did not answer in time") from exc
    except PoolTimeoutError as exc:  # every pooled connection stayed busy for the whole timeout
        raise DependencyUnavailableError("The database is busy: no connection came free in time") from exc
    except DBAPIError as exc:
        if exc.connection_invalidated or isinstance(exc, OperationalError):
            raise DependencyUnavailableError("The database is unavailable") from exc
        raise
    except _UNAVAILABLE as exc:
        raise DependencyUnavailableError("The database is unavailable") from exc
