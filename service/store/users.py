"""The user store: sign up or log in, safely under concurrency, in as few round trips as it can.

Log-in is the hot path (every `POST /auth/kakao` of a known user), so it runs Core statements
built once, not the ORM's unit of work:

1. `UPDATE users SET last_login_at = :now WHERE kakao_id = :k RETURNING *` logs a known user in
   with one statement (nearly every call).
2. No row: `INSERT ... ON CONFLICT (kakao_id) DO NOTHING RETURNING *`. A row back means this
   call created the account (201). Of any number of simultaneous calls for one new Kakao user,
   in one process or many over one PostgreSQL, exactly one insert returns a row.
3. No row either: another call inserted it between 1 and 2 and has committed (PostgreSQL makes
   a conflicting insert wait for the other's commit), so the UPDATE again logs in.

No SELECT-then-INSERT window, no IntegrityError to catch, no retry loop. Each statement is
correct on its own, so on PostgreSQL they run in autocommit mode: no BEGIN and COMMIT round
trips. On a SQLite file they run inline on the event loop (service.store.sqlite_inline), each its
own transaction; when that cannot be done at once (another process holds the file's lock), they
run through the pool, where this process's writes queue on an asyncio.Lock rather than collide
on SQLite's file lock, whose busy handler retries by sleeping.

The hot path uses a session only for its engine, and takes the engine itself just as well:
its statements run on a pooled connection of their own, outside any session's transaction.
The flows pass the engine, since opening and closing an unused AsyncSession costs more CPU
than the lookup itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy.exc
from sqlalchemy import bindparam, delete, event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.util import greenlet_spawn

from service.store.models import User
from service.store.sqlite_inline import InlineSQLite

log = logging.getLogger(__name__)
_USERS = User.__table__
_COLUMNS = tuple(_USERS.c)

#: step 1 and 3; the SET value comes from the `last_login_at` parameter
_LOG_IN = (
    update(_USERS).where(_USERS.c.kakao_id == bindparam("match_kakao_id")).returning(*_COLUMNS)
)
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
#: the parameters of step 2, a new account's columns
_VALUE_KEYS = (
    "kakao_id", "user_name", "email", "created_at", "updated_at", "last_login_at", "account_key",
)  # fmt: skip
#: `is_user` as each driver takes it (asyncpg prepares and caches it on the connection)
_IS_USER_PG = "SELECT EXISTS (SELECT 1 FROM users WHERE kakao_id = $1)"
_IS_USER_SQLITE = "SELECT EXISTS (SELECT 1 FROM users WHERE kakao_id = ?)"


class _RawStatement:
    """A Core statement compiled once for a dialect, run on the driver's own connection.

    SQLAlchemy's execution path (and, through aiosqlite, its four thread hand-offs per
    statement) costs more CPU than the log-in itself; this keeps SQLAlchemy's SQL and its type
    conversions (the columns' own bind and result processors) and skips the rest.
    """

    def __init__(self, statement: Any, dialect: Any, column_keys: Sequence[str]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(column_keys))
        self.sql = str(compiled)
        self.names = tuple(compiled.positiontup or ())
        binds = compiled.binds
        self.bind_processors = tuple(
            binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self.names
        )
        self.keys = tuple(column.key for column in _COLUMNS)
        self.result_processors = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in _COLUMNS
        )

    def parameters(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            value if process is None else process(value)
            for process, value in zip(
                self.bind_processors, (values[name] for name in self.names), strict=True
            )
        )

    def user(self, raw: Any) -> User:
        """The detached User of one returned row."""
        return User(
            **{
                key: value if process is None else process(value)
                for key, process, value in zip(self.keys, self.result_processors, raw, strict=True)
            }
        )


@dataclass(frozen=True)
class _Store:
    """What the hot path needs per engine, built on first use (never the engine itself)."""

    #: "postgresql" or "sqlite"
    dialect: str
    #: steps 1/3 and 2, compiled for this engine's dialect
    log_in: _RawStatement
    sign_up: _RawStatement
    #: SQLite: held around every write through the pool; PostgreSQL: None
    write_lock: asyncio.Lock | None
    #: a SQLite file's connection on the event loop; None for PostgreSQL and `:memory:`
    inline: InlineSQLite | None = None


#: keyed by the caller's engine; a value never refers to its key, so engines can go away
_STORES: weakref.WeakKeyDictionary[AsyncEngine, _Store] = weakref.WeakKeyDictionary()


def _store(session: AsyncSession | AsyncEngine) -> tuple[AsyncEngine, _Store]:
    engine = session if isinstance(session, AsyncEngine) else session.bind
    if not isinstance(engine, AsyncEngine):
        raise TypeError("the session must be bound to an AsyncEngine")
    store = _STORES.get(engine)
    if store is None:
        store = _STORES[engine] = _make_store(engine)
    return engine, store


async def close(engine: AsyncEngine) -> None:
    """Close what the hot path holds beside `engine`'s pool; call before `engine.dispose()`.

    On a SQLite file: lets a background checkpoint finish and closes the inline connection, so
    that the pool's last connection, in its own thread, runs SQLite's closing checkpoint.
    """
    store = _STORES.get(engine)
    if store is not None and store.inline is not None:
        await store.inline.aclose()


def _make_store(engine: AsyncEngine) -> _Store:
    dialect = engine.dialect.name
    insert = _INSERTS.get(dialect)
    if insert is None:
        raise RuntimeError(f"unsupported database: {dialect} (use SQLite or PostgreSQL)")
    sign_up = (
        insert(_USERS).on_conflict_do_nothing(index_elements=["kakao_id"]).returning(*_COLUMNS)
    )
    log_in = _RawStatement(_LOG_IN, engine.dialect, ("last_login_at",))
    sign_up_raw = _RawStatement(sign_up, engine.dialect, _VALUE_KEYS)
    if dialect == "postgresql":
        return _Store(dialect, log_in, sign_up_raw, None)
    return _Store(dialect, log_in, sign_up_raw, asyncio.Lock(), _inline_sqlite(engine))


def _inline_sqlite(engine: AsyncEngine) -> InlineSQLite | None:
    """The event loop's own connection to a SQLite file, closed whenever the pool is disposed.

    Closing it with the pool keeps `dispose()` meaning what it did: no connection to the file
    is left open (it reopens on the next statement). The service calls `close` first, which
    also keeps SQLite's closing checkpoint off the loop.
    """
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    inline = InlineSQLite(database)
    event.listen(engine.sync_engine, "engine_disposed", lambda _engine: inline.close())
    return inline


@contextlib.asynccontextmanager
async def _driver(engine: AsyncEngine) -> AsyncIterator[Any]:
    """A pooled connection's driver itself (asyncpg's or aiosqlite's connection).

    No SQLAlchemy Connection around it: checking one out and in costs more CPU than a lookup.
    The pool is SQLAlchemy's all the same (its size, timeout and checkout hook), and driver
    errors are raised as SQLAlchemy's, as `connection.execute` would, so outages stay 503s.
    Used outside any transaction: asyncpg runs each statement in autocommit mode; aiosqlite's
    caller commits.
    """
    dialect = engine.dialect
    try:
        raw = await engine.raw_connection()
    except dialect.loaded_dbapi.Error as error:  # could not connect: wrapped as Engine.connect does
        raise sqlalchemy.exc.DBAPIError.instance(
            None,
            None,
            error,
            dialect.loaded_dbapi.Error,
            connection_invalidated=dialect.is_disconnect(error, None, None),
        ) from error
    try:
        yield raw.driver_connection
    except Exception as error:
        _raise_as_sqlalchemy(dialect, raw, error)
        raise
    finally:
        # Back to the pool; its reset may await the driver. (Not shielded: a shield is a task
        # per request, 0.03-0.05 ms. A cancellation arriving during this very await, which
        # only shutdown could bring, makes the pool log it and close the connection.)
        await greenlet_spawn(raw.close)


#: one step: (statement, whether a row from it means "created"); its parameters come from
#: the call's values when it runs, so a log-in never formats the sign-up's six
_Step = tuple[_RawStatement, bool]


def new_account_key() -> str:
    """A new account's random key (128 bits), which our JWTs carry: see service.tokens."""
    return secrets.token_hex(16)


async def sign_up_or_log_in(
    session: AsyncSession | AsyncEngine,
    *,
    kakao_id: int,
    user_name: str,
    email: str | None,
    now: datetime,
) -> tuple[User, bool]:
    """The account for `kakao_id` and whether this call created it.

    A new account takes `user_name` and `email` (an empty email is stored as NULL) and a new
    random `account_key`; an existing one keeps its stored fields and only gets
    `last_login_at = now`. Committed on return; the User is detached (not in `session`).
    """
    engine, store = _store(session)
    values = {
        "kakao_id": kakao_id,
        "match_kakao_id": kakao_id,
        "user_name": user_name,
        "email": email or None,
        "created_at": now,
        "updated_at": now,
        "last_login_at": now,
        "account_key": new_account_key(),  # 0.5 µs, made for log-ins too: simpler than lazily
    }
    steps: tuple[_Step, ...] = ((store.log_in, False), (store.sign_up, True), (store.log_in, False))
    if store.write_lock is None:  # PostgreSQL
        async with _driver(engine) as driver:
            return await _run(lambda sql, params: driver.fetch(sql, *params), steps, values)
    return await _sign_up_or_log_in_sqlite(engine, store.write_lock, store.inline, steps, values)


async def _sign_up_or_log_in_sqlite(
    engine: AsyncEngine,
    lock: asyncio.Lock,
    inline: InlineSQLite | None,
    steps: Sequence[_Step],
    values: dict[str, Any],
) -> tuple[User, bool]:
    """Inline when it can be done at once; else through the pool, one write at a time.

    Inline is tried first only while none of this process's writes is queued on `lock`: a
    write through the pool holds SQLite's lock across thread hops, and an inline write that
    ran into it would fall back too, queueing the next behind it, and so on for good. Behind
    the lock, inline is tried again (another process may still hold the file), then the pool.
    """
    if not lock.locked():
        done = _write_inline(engine, inline, steps, values)
        if done is not None:
            return done
    async with lock:
        done = _write_inline(engine, inline, steps, values)
        if done is not None:
            return done
        # SQLite's write lock is held from the first write to the commit: so is ours.
        async with _driver(engine) as driver:
            done = await _run(driver.execute_fetchall, steps, values)
            if driver.in_transaction:
                await driver.commit()
    return done


def _write_inline(
    engine: AsyncEngine,
    inline: InlineSQLite | None,
    steps: Sequence[_Step],
    values: dict[str, Any],
) -> tuple[User, bool] | None:
    """Steps 1 to 3 inline, counting the write toward the next checkpoint; None: use the pool."""
    if inline is None:
        return None
    done = _run_inline(inline, steps, values)
    if done is not None and inline.wrote():
        inline.checkpoint_in_background(_checkpoint(engine, inline))
    return done


async def _run(
    fetch: Callable[[str, tuple[Any, ...]], Awaitable[Sequence[Any]]],
    steps: Sequence[_Step],
    values: dict[str, Any],
) -> tuple[User, bool]:
    """Steps 1 to 3 of the module's docstring, each `fetch`ed by the driver."""
    for statement, created in steps:
        rows = await fetch(statement.sql, statement.parameters(values))
        if rows:
            return statement.user(rows[0]), created
    raise _vanished(values["kakao_id"])


def _run_inline(
    inline: InlineSQLite, steps: Sequence[_Step], values: dict[str, Any]
) -> tuple[User, bool] | None:
    """Steps 1 to 3 on the event loop's SQLite connection; None: run them through the pool.

    Nothing awaits in between, so no other request of this process runs between the steps.
    """
    for statement, created in steps:
        rows = inline.fetch(statement.sql, statement.parameters(values))
        if rows is None:
            return None
        if rows:
            return statement.user(rows[0]), created
    raise _vanished(values["kakao_id"])


def _vanished(kakao_id: int) -> RuntimeError:
    # inserted by another call, then deleted before this one could log in
    return RuntimeError(f"the account of Kakao user {kakao_id} vanished while logging in")


async def _checkpoint(engine: AsyncEngine, inline: InlineSQLite) -> None:
    """Copy the WAL into the database file (see service.store.sqlite_inline), in two passes.

    First in aiosqlite's thread, beside the writes going on: nearly all of it. Then the few
    frames written meanwhile, inline, where no write of ours can come between. SQLite starts
    the WAL afresh only once all of it was copied: under steady load the first pass alone never
    got there, and the WAL grew by every write. The second pass copies a few pages and syncs
    the files on the loop, once per CHECKPOINT_EVERY writes: 1.5-5 ms under the bench's load.
    """
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    except Exception as error:  # the next one may well succeed; the WAL only grows meanwhile
        log.warning("SQLite checkpoint failed: %s", type(error).__name__)
        return
    inline.fetch("PRAGMA wal_checkpoint(PASSIVE)", ())


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    """The account with our id `user_id`, if it (still) exists."""
    return await session.get(User, user_id)


async def get_user_by_kakao_id(session: AsyncSession, kakao_id: int) -> User | None:
    return (
        await session.execute(select(User).where(User.kakao_id == kakao_id))
    ).scalar_one_or_none()


async def is_user(session: AsyncSession | AsyncEngine, kakao_id: int) -> bool:
    """Whether the Kakao user already has an account here (the `GET /auth/kakao` lookup).

    The hottest statement of all: on a SQLite file it runs inline on the event loop; otherwise
    (and when the file is busy) on a pooled connection's driver itself (see `_driver`).
    """
    engine, store = _store(session)
    if store.inline is not None:
        rows = store.inline.fetch(_IS_USER_SQLITE, (kakao_id,))
        if rows is not None:
            return bool(rows[0][0])
    async with _driver(engine) as driver:
        if store.dialect == "postgresql":
            return bool(await driver.fetchval(_IS_USER_PG, kakao_id))
        rows = await driver.execute_fetchall(_IS_USER_SQLITE, (kakao_id,))
        return bool(rows[0][0])


async def list_accounts(engine: AsyncEngine, *, limit: int, after: int = 0) -> list[User]:
    """Up to `limit` accounts with ids above `after`, by id: a stable order to page through.

    Paging by id (keyset), not by offset, so deleting or adding accounts between two pages
    neither skips nor repeats one: ids only grow and are never reused.
    """
    query = select(User).where(User.id > after).order_by(User.id).limit(limit)
    async with AsyncSession(engine, expire_on_commit=False) as session:
        return list((await session.scalars(query)).all())


async def delete_account(engine: AsyncEngine, user_id: int) -> bool:
    """Delete the account `user_id`; False when there is none. Its JWTs stop working at once,
    and its id is never handed out again (see models.User)."""
    return await _delete(engine, delete(_USERS).where(_USERS.c.id == user_id)) > 0


async def delete_all_accounts(engine: AsyncEngine) -> int:
    """Delete every account; how many there were. New accounts still get new ids."""
    return await _delete(engine, delete(_USERS))


async def _delete(engine: AsyncEngine, statement: Any) -> int:
    """Run a DELETE in its own transaction, queued behind this process's other SQLite writes."""
    _engine, store = _store(engine)
    async with contextlib.AsyncExitStack() as stack:
        if store.write_lock is not None:
            await stack.enter_async_context(store.write_lock)
        async with engine.begin() as connection:
            return (await connection.execute(statement)).rowcount


def _raise_as_sqlalchemy(dialect: Any, raw: Any, error: Exception) -> None:
    """Raise `error`, a driver's own, as the SQLAlchemy error `connection.execute` would raise.

    A disconnect also invalidates the pooled connection, so it is not handed out again (the
    pool's other connections are not: the checkout hook in service.store.db replaces those the
    server closed when they are next checked out). Errors that are not the driver's (a
    cancellation, a bug of ours) are left alone.
    """
    dbapi = dialect.loaded_dbapi
    adapted: BaseException = error
    if not isinstance(error, dbapi.Error):
        try:  # asyncpg's exceptions become the adapter's DB-API ones (with their SQLSTATE)
            raw.dbapi_connection._handle_exception(error)
        except dbapi.Error as translated:
            adapted = translated
        except Exception:
            return
    if not isinstance(adapted, dbapi.Error):
        return
    invalidated = dialect.is_disconnect(adapted, raw.dbapi_connection, None)
    if invalidated:
        raw.invalidate(adapted)
    raise sqlalchemy.exc.DBAPIError.instance(
        None, None, adapted, dbapi.Error, connection_invalidated=invalidated
    ) from error
