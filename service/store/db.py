"""Database engine, schema migration and the mapping of database outages to 503.

SQLite (a file, via aiosqlite) is the default so the service runs with nothing installed;
`DATABASE_URL` points it at PostgreSQL (asyncpg) when it runs as several processes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
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
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from service.errors import ApiError
from service.store.datafiles import DataFileError, prepare_sqlite, sqlite_file

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
#: a WAL grown past this (a reader held it, say, while checkpoints ran) is cut back to it when
#: SQLite next starts it afresh; in steady use it stays a few MB
SQLITE_WAL_SIZE_LIMIT = 16 * 1024 * 1024
#: SQLite connections kept open, and the most in use at once. No overflow: an overflow
#: connection is closed when it comes back, so each use would start a thread, open the file and
#: run the PRAGMAs again. SQLite runs one statement per connection in its own thread, and the
#: GIL and one writer at a time bound how many help; a request beyond them waits its turn.
SQLITE_POOL_SIZE = 10
#: PostgreSQL connections per process, kept open, no overflow either: SQLAlchemy's default
#: keeps 5 and opens and closes up to 10 more on demand, each a new server process, a handshake
#: and asyncpg's set-up; under load that churn cost seconds of p99. Fewer (10) measured a worse
#: p99 at 100 concurrent requests. Mind max_connections when running many processes.
PG_POOL_SIZE = 20
#: Seconds before a PostgreSQL that hangs (connecting, running a statement, or a pool with no
#: free connection) becomes a 503 DATABASE_UNAVAILABLE, instead of holding the request for
#: asyncpg's 60 s or the pool's 30 s defaults, far beyond Kakao's own 5 s timeout.
PG_CONNECT_TIMEOUT = 5.0
PG_STATEMENT_TIMEOUT = 10.0
PG_POOL_TIMEOUT = 10.0
HEALTH_CHECK_TIMEOUT = 5.0
#: `/healthz` on SQLite is 503 below this much free space where the file is: a sign-up writes
#: several pages to the WAL and the WAL grows to ~4 MB between checkpoints, while the health
#: check's one-row write may still fit in room a failed transaction left in the WAL
HEALTH_MIN_FREE_BYTES = 1024 * 1024
#: the health check rewrites this table's one row (migration 0004) in a committed transaction
HEALTH_CHECK_WRITE = text(
    "INSERT INTO health_checks (id, checked_at) VALUES (1, CURRENT_TIMESTAMP) "
    "ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at"
)
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
#: SQLSTATEs (PostgreSQL, appendix A) meaning the server is not serving us right now: class 08
#: (connection exceptions), 57P01-57P03 (shutting down, crashed, not yet accepting connections),
#: class 53 (insufficient resources: 53100 disk full, 53200 out of memory, 53300 too many
#: connections). asyncpg's errors for them reach us as a plain DBAPIError, not an
#: OperationalError: a server shutting down mid-request, or a sign-up on a full disk ("could
#: not extend file"), used to answer 500. 25006 (read-only SQL transaction): a server switched
#: to read-only (`default_transaction_read_only`, or a standby) refuses every write, a log-in's
#: too; that was a 500 as well. (SQLite's SQLITE_FULL and SQLITE_READONLY are
#: OperationalErrors, unavailable already.)
#: 40001 and 40P01 (serialization failure, deadlock): service.store.users runs such a
#: transaction again, and one that keeps failing is the database too busy to serve us.
UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53", "25006", "40001", "40P01")


def create_engine(url: str) -> AsyncEngine:
    """An async engine for `url`; a SQLite file gets its folder, WAL and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        asyncpg = parsed.get_driver_name() == "asyncpg"
        engine = create_async_engine(
            url,
            pool_size=PG_POOL_SIZE,
            max_overflow=0,
            pool_timeout=PG_POOL_TIMEOUT,
            connect_args=(
                {"timeout": PG_CONNECT_TIMEOUT, "command_timeout": PG_STATEMENT_TIMEOUT}
                if asyncpg
                else {}
            ),
        )
        if asyncpg:
            event.listen(engine.sync_engine, "checkout", _drop_closed_asyncpg_connection)
        return engine

    prepare_sqlite(url)
    engine = create_async_engine(url, pool_size=SQLITE_POOL_SIZE, max_overflow=0)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _is_sqlite_read_only(error: BaseException | None) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_READONLY


def _drop_closed_asyncpg_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    # Instead of pool_pre_ping, which costs three round trips (BEGIN, ";", ROLLBACK) on every
    # checkout: when PostgreSQL restarts, it closes every session's socket, and asyncpg marks
    # the connection closed as soon as the event loop sees that. Such a connection is replaced
    # here, for free, so a restart while the service is idle costs no request a 503. (A
    # connection that dies mid-request is a 503 and is replaced; a connection that died
    # without the server closing it is found out by its own next request, also a 503.)
    if dbapi_connection.driver_connection.is_closed():
        raise sqlalchemy.exc.DisconnectionError("connection closed by the server")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; busy_timeout makes concurrent writers wait
    # for the lock instead of failing at once with "database is locked". synchronous=NORMAL,
    # SQLite's advice for WAL, syncs at checkpoints instead of at every commit: the file never
    # corrupts, and a commit survives the service crashing, but an OS crash or power loss may
    # roll back the last commits. It cut a log-in's CPU on SQLite by ~30 % in the bench (see
    # bench/README.md); a deployment that needs each commit on disk uses PostgreSQL.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA journal_size_limit={SQLITE_WAL_SIZE_LIMIT}")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


#: SQLite's answers for a file that is not a usable database (random bytes, a truncated or
#: damaged copy, one it cannot open); other failures (a migration's own) stay what they are
_UNUSABLE_FILE = frozenset({"SQLITE_NOTADB", "SQLITE_CORRUPT", "SQLITE_CANTOPEN"})


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent).

    A SQLite file the driver refuses (random bytes, a truncated copy: "file is not a
    database") is DataFileError naming the file: it is the person's file to fix, like its
    folder, and gets the same one line and exit status 2.
    """
    try:
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
            await connection.run_sync(_upgrade)
    except sqlalchemy.exc.DBAPIError as error:
        path = sqlite_file(engine.url.render_as_string(hide_password=False))
        code = getattr(error.orig, "sqlite_errorname", None)
        if path is None or code not in _UNUSABLE_FILE:
            raise
        raise DataFileError(f"cannot use the database file {path}: {failure_line(error)}") from None


def failure_line(error: BaseException) -> str:
    """The driver's own first line for a database error: without SQLAlchemy's wrapper, its
    "(Background on this error at: ...)" line or the SQL, so a start-up failure is one line."""
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


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
    """Raise ApiError(DATABASE_UNAVAILABLE) unless the database answers and takes writes.

    Every log-in writes (`last_login_at`), so a database that only reads cannot do the
    service's job. The check commits a real write, the one row of `health_checks`: a
    transaction that changes nothing passes on a full disk, where every sign-up fails
    (SQLITE_FULL when the WAL cannot grow; SQLSTATE 53100 on PostgreSQL), and the read-only
    cases (SQLITE_READONLY; SQLSTATE 25006 under `default_transaction_read_only` or on a
    standby) fail it too. One small row per check: the table never grows.
    """
    async with database_errors(), asyncio.timeout(HEALTH_CHECK_TIMEOUT):
        if engine.dialect.name == "sqlite":
            await _check_sqlite_writable(engine)
        else:
            async with engine.connect() as connection:
                await _check_postgresql_writable(connection)
                await _write_health_check(connection)


class HealthProbe:
    """`ping` shared by the `/healthz` requests that arrive while one is running.

    Each check commits a write, and on SQLite writes take turns: ten probes at once (a load
    balancer, wrk) queued ten fsync'd writes, and the last waited for all of them (p99 about
    1.2 s against a 6 ms median). Requests that arrive during a check wait for that one check
    instead; none is answered from an older result, so a database that has just gone away is
    a 503 on the next request.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._running: asyncio.Future[None] | None = None

    async def check(self) -> None:
        """Raise ApiError(DATABASE_UNAVAILABLE) unless the database answers and takes writes."""
        if self._running is None:
            self._running = asyncio.ensure_future(self._ping())
        # shielded: one request going away must not cancel the check the others wait for
        await asyncio.shield(self._running)

    async def _ping(self) -> None:
        try:
            await ping(self.engine)
        finally:
            self._running = None


async def _write_health_check(connection: AsyncConnection) -> None:
    await connection.execute(HEALTH_CHECK_WRITE)
    await connection.commit()


async def _check_sqlite_writable(engine: AsyncEngine) -> None:
    """SQLite settles read-only or read-write when it opens the file, and the connections of
    one process share the first one's view of it. So a read-only answer may be stale: the
    pool is dropped (the inline connection with it) and fresh connections asked once more.
    That is also how the service recovers, without a restart, once the file is writable."""
    _check_sqlite_free_space(engine)
    for attempt in (1, 2):
        try:
            async with engine.connect() as connection:
                await _write_health_check(connection)
            return
        except sqlalchemy.exc.OperationalError as error:
            if not _is_sqlite_read_only(error.orig):
                raise
            await engine.dispose()
            if attempt == 2:
                raise


def _check_sqlite_free_space(engine: AsyncEngine) -> None:
    """DATABASE_UNAVAILABLE when the SQLite file's filesystem is (nearly) full.

    The write alone does not tell: after a sign-up failed with SQLITE_FULL, the WAL keeps the
    room its frames took, and the check's one page fits there while the next sign-up does not.
    `f_bavail` is what a process without root's reserve may use."""
    path = sqlite_file(engine.url.render_as_string(hide_password=False))
    if path is None:
        return
    disk = os.statvfs(path.parent)
    free = disk.f_bavail * disk.f_frsize
    if free < HEALTH_MIN_FREE_BYTES:
        log.error("database unavailable: %d bytes free on the disk of %s", free, path)
        raise ApiError("DATABASE_UNAVAILABLE")


async def _check_postgresql_writable(connection: AsyncConnection) -> None:
    # Asked first for the log line: the write below would fail too, with a vaguer message.
    setting = text("SELECT current_setting('transaction_read_only')")
    if await connection.scalar(setting) == "on":
        log.error("database unavailable: it is read-only (transaction_read_only is on)")
        raise ApiError("DATABASE_UNAVAILABLE")


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
        if not _means_unavailable(error):
            raise
        log.error("database connection lost: %s", _one_line(error))
        raise ApiError("DATABASE_UNAVAILABLE") from None


def _means_unavailable(error: sqlalchemy.exc.DBAPIError) -> bool:
    """A lost connection, or a server that says it is not serving (see UNAVAILABLE_SQLSTATES)."""
    sqlstate = getattr(error.orig, "sqlstate", None)
    return error.connection_invalidated or (
        isinstance(sqlstate, str) and sqlstate.startswith(UNAVAILABLE_SQLSTATES)
    )


def _one_line(error: BaseException) -> str:
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"
