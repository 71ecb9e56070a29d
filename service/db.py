"""Database engine, schema migration and the mapping of database outages to 503.

SQLite (a file, via aiosqlite) is the default so the service runs with nothing installed;
`DATABASE_URL` points it at PostgreSQL (asyncpg) when it runs as several processes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy.exc
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from service.errors import ApiError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
HEALTH_CHECK_TIMEOUT = 5.0
#: held while migrating, so processes starting together do not race to create the schema
_PG_MIGRATION_LOCK = 0x6B616B616F  # "kakao"

#: errors that mean "the database is not answering", not "our query is wrong"
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection came free in time
    OSError,  # connection refused before the driver wrapped it
    asyncio.TimeoutError,
)


def create_engine(url: str) -> AsyncEngine:
    """An async engine for `url`; a SQLite file gets its folder, WAL and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; busy_timeout makes concurrent writers wait
    # for the lock instead of failing at once with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent)."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
            )
        await connection.run_sync(_upgrade)


def alembic_config() -> Config:
    """Alembic's configuration without an alembic.ini: the script folder is ours."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def ping(engine: AsyncEngine) -> None:
    """Raise ApiError(DATABASE_UNAVAILABLE) unless the database answers `SELECT 1`."""
    async with (
        database_errors(),
        asyncio.timeout(HEALTH_CHECK_TIMEOUT),
        engine.connect() as connection,
    ):
        await connection.execute(text("SELECT 1"))


@asynccontextmanager
async def database_errors() -> AsyncIterator[None]:
    """Turn a database outage into 503 DATABASE_UNAVAILABLE; let real bugs surface as 500."""
    try:
        yield
    except ApiError:
        raise
    except UNAVAILABLE_ERRORS as error:
        log.error("database unavailable: %s", _one_line(error))
        raise ApiError("DATABASE_UNAVAILABLE") from None
    except sqlalchemy.exc.DBAPIError as error:
        if not error.connection_invalidated:
            raise
        log.error("database connection lost: %s", _one_line(error))
        raise ApiError("DATABASE_UNAVAILABLE") from None


def _one_line(error: BaseException) -> str:
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"
