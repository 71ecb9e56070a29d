"""The user store: sign up or log in, safely under concurrency, in as few round trips as it can.

Log-in is the hot path (every `POST /auth/kakao` of a known user), so it runs Core statements
built once, not the ORM's unit of work:

1. `UPDATE users SET last_login_at = :now WHERE kakao_id = :k RETURNING *` logs a known user in
   with one statement (nearly every call).
2. No row: one upsert, `INSERT ... SELECT :values WHERE NOT EXISTS (a deletion of this Kakao
   user at or after :vouched_at) ON CONFLICT (kakao_id) DO UPDATE SET last_login_at RETURNING
   *`. It always returns the account, new or not (ours iff it carries the account_key this call
   made: 201), unless the Kakao user's account was deleted after this call's Kakao check began
   (no row: `KakaoCheckOutdated`, 401 INVALID_TOKEN). Of any number of simultaneous calls for
   one new Kakao user, in one process or many over one PostgreSQL, exactly one creates it, and
   none can find the row gone between two statements (that was a 500).

Deletions record the Kakao user in `kakao_unlinks` in their own transaction (see
models.KakaoUnlink), so a sign-in that Kakao vouched for before a deletion cannot re-create
the account after it: once `DELETE /users/me`, the unlink webhook or the admin API answered,
the account stays gone until a sign-in whose Kakao check began after the deletion.

On PostgreSQL step 1 runs in autocommit mode (no BEGIN and COMMIT round trips). Step 2 and the
deletions run in a transaction holding an advisory lock per Kakao user (and a shared one that
`DELETE /admin/accounts` takes alone), so that the upsert's look at `kakao_unlinks` cannot miss
a deletion committing while it waits for the deleted row. On a SQLite file, whose writes are
serial anyway, they run inline on the event loop (service.store.sqlite_inline), each its own
transaction; when that cannot be done at once (another process holds the file's lock), they
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
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy.exc
from sqlalchemy import and_, bindparam, delete, event, exists, select, text, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.util import greenlet_spawn

from service.store.models import KakaoUnlink, User
from service.store.sqlite_inline import InlineSQLite

log = logging.getLogger(__name__)
_USERS = User.__table__
_UNLINKS = KakaoUnlink.__table__
_COLUMNS = tuple(_USERS.c)
#: how long a deletion is remembered; a sign-in whose Kakao check began longer ago than this
#: is refused outright, so forgetting older deletions loses nothing (a sign-in lasts seconds:
#: Kakao's timeout, the pool's and the statements' are 5 to 10 s)
UNLINK_MEMORY = timedelta(hours=1)
#: advisory lock keys (two-int form, apart from the migration's one-bigint key): per Kakao user
#: (the second int is hashint8 of its id; a collision only makes two people wait for each
#: other), and the one every sign-up and deletion shares, which deleting all takes alone
_PG_LOCK_CLASS = 0x6B616B61  # "kaka"
_PG_LOCK_ALL_CLASS = 0x6B616B62
_PG_LOCK_ONE = (
    f"SELECT pg_advisory_xact_lock_shared({_PG_LOCK_ALL_CLASS}, 0),"
    f" pg_advisory_xact_lock({_PG_LOCK_CLASS}, hashint8($1))"
)
_PG_LOCK_ALL = f"SELECT pg_advisory_xact_lock({_PG_LOCK_ALL_CLASS}, 0)"
#: SQLSTATEs worth running a transaction again for: serialization failure, deadlock
_RETRY_SQLSTATES = frozenset({"40001", "40P01"})
_ATTEMPTS = 3

#: step 1 and 3; the SET value comes from the `last_login_at` parameter
_LOG_IN = (
    update(_USERS).where(_USERS.c.kakao_id == bindparam("match_kakao_id")).returning(*_COLUMNS)
)
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
#: the parameters of step 2, a new account's columns
_VALUE_KEYS = (
    "kakao_id", "user_name", "email", "created_at", "updated_at", "last_login_at", "account_key",
)  # fmt: skip
#: step 2's guard: this Kakao user's account was deleted after the call's Kakao check began
_DELETED_SINCE = exists().where(
    and_(
        _UNLINKS.c.kakao_id == bindparam("match_kakao_id", type_=_UNLINKS.c.kakao_id.type),
        _UNLINKS.c.unlinked_at >= bindparam("vouched_at", type_=_UNLINKS.c.unlinked_at.type),
    )
)
#: `is_user` as each driver takes it (asyncpg prepares and caches it on the connection)
_IS_USER_PG = "SELECT EXISTS (SELECT 1 FROM users WHERE kakao_id = $1)"
_IS_USER_SQLITE = "SELECT EXISTS (SELECT 1 FROM users WHERE kakao_id = ?)"
# GET /auth/kakao's two questions (an account? consent items withdrawn through Kakao's
# account-status webhook?) in one statement, so the lookup keeps one round trip. Item ids
# never hold a space (consentitems.valid_item_id), so a space joins them.
_LOOK_UP_PG = (
    "SELECT EXISTS (SELECT 1 FROM users WHERE kakao_id = $1), "
    "(SELECT string_agg(scope, ' ' ORDER BY scope) FROM kakao_consent_withdrawals "
    "WHERE kakao_id = $1)"
)
_LOOK_UP_SQLITE = (
    "SELECT EXISTS (SELECT 1 FROM users WHERE kakao_id = ?1), "
    "(SELECT group_concat(scope, ' ') FROM (SELECT scope FROM kakao_consent_withdrawals "
    "WHERE kakao_id = ?1 ORDER BY scope))"
)


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
    new_row = select(*(bindparam(key, type_=_USERS.c[key].type) for key in _VALUE_KEYS))
    upsert = insert(_USERS).from_select(_VALUE_KEYS, new_row.where(~_DELETED_SINCE))
    sign_up = upsert.on_conflict_do_update(
        index_elements=["kakao_id"], set_={"last_login_at": upsert.excluded.last_login_at}
    ).returning(*_COLUMNS)
    log_in = _RawStatement(_LOG_IN, engine.dialect, ("last_login_at",))
    sign_up_raw = _RawStatement(sign_up, engine.dialect, ())
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


class KakaoCheckOutdated(Exception):
    """The Kakao user's account was deleted after this sign-in's Kakao check began.

    Kakao vouched for the token before the deletion (for `DELETE /users/me` and the webhook:
    before Kakao unlinked the person), so it cannot re-create the account; a new sign-in,
    checked after the deletion, may. service.flows answers 401 INVALID_TOKEN.
    """


#: the statements of one sign-in, steps 1 and 2 of the module's docstring
_Steps = tuple[_RawStatement, _RawStatement]


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
    vouched_at: datetime | None = None,
) -> tuple[User, bool]:
    """The account for `kakao_id` and whether this call created it.

    A new account takes `user_name` and `email` (an empty email is stored as NULL) and a new
    random `account_key`; an existing one keeps its stored fields and only gets
    `last_login_at = now`. `vouched_at` is when this call's Kakao check began (default `now`):
    KakaoCheckOutdated when the account was deleted at or after it, or it is older than
    UNLINK_MEMORY. Committed on return; the User is detached (not in `session`).
    """
    engine, store = _store(session)
    vouched_at = now if vouched_at is None else vouched_at
    if now - vouched_at > UNLINK_MEMORY:
        raise KakaoCheckOutdated(kakao_id)  # deletions since then may be forgotten already
    values = {
        "kakao_id": kakao_id,
        "match_kakao_id": kakao_id,
        "user_name": user_name,
        "email": email or None,
        "created_at": now,
        "updated_at": now,
        "last_login_at": now,
        "account_key": new_account_key(),  # 0.5 µs, made for log-ins too: simpler than lazily
        "vouched_at": vouched_at,
    }
    steps = (store.log_in, store.sign_up)
    if store.write_lock is None:  # PostgreSQL
        async with _driver(engine) as driver:
            return await _sign_up_or_log_in_postgresql(driver, steps, values)
    return await _sign_up_or_log_in_sqlite(engine, store.write_lock, store.inline, steps, values)


async def _sign_up_or_log_in_postgresql(
    driver: Any, steps: _Steps, values: dict[str, Any]
) -> tuple[User, bool]:
    """Step 1 in autocommit mode; step 2 in a transaction under this Kakao user's lock."""
    log_in, sign_up = steps
    rows = await driver.fetch(log_in.sql, *log_in.parameters(values))
    if rows:
        return log_in.user(rows[0]), False

    async def upsert() -> Sequence[Any]:
        async with driver.transaction():
            await driver.execute(_PG_LOCK_ONE, values["kakao_id"])
            return await driver.fetch(sign_up.sql, *sign_up.parameters(values))

    return _signed_up(sign_up, await _retrying(upsert), values)


async def _retrying(transaction: Callable[[], Awaitable[Any]], attempts: int = _ATTEMPTS) -> Any:
    """`transaction()`, run again on a serialization failure or deadlock (PostgreSQL), which
    roll it back whole; the last attempt's error is left to database_errors (503)."""
    for attempt in range(1, attempts + 1):
        try:
            return await transaction()
        except Exception as error:
            sqlstate = getattr(error, "sqlstate", None) or getattr(
                getattr(error, "orig", None), "sqlstate", None
            )
            if sqlstate not in _RETRY_SQLSTATES or attempt == attempts:
                raise
            log.info("transaction retried after SQLSTATE %s", sqlstate)
    raise AssertionError("unreachable")


def _signed_up(
    sign_up: _RawStatement, rows: Sequence[Any], values: dict[str, Any]
) -> tuple[User, bool]:
    """Step 2's outcome: created iff the row has this call's account key; no row: refused."""
    if not rows:
        raise KakaoCheckOutdated(values["kakao_id"])
    user = sign_up.user(rows[0])
    return user, user.account_key == values["account_key"]


async def _sign_up_or_log_in_sqlite(
    engine: AsyncEngine,
    lock: asyncio.Lock,
    inline: InlineSQLite | None,
    steps: _Steps,
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


async def _run(
    fetch: Callable[[str, tuple[Any, ...]], Awaitable[Sequence[Any]]],
    steps: _Steps,
    values: dict[str, Any],
) -> tuple[User, bool]:
    """Steps 1 and 2 of the module's docstring, each `fetch`ed by the driver (SQLite's pool).

    A refused step 2 raises before the commit: the rollback loses nothing, nothing was written.
    """
    log_in, sign_up = steps
    rows = await fetch(log_in.sql, log_in.parameters(values))
    if rows:
        return log_in.user(rows[0]), False
    return _signed_up(sign_up, await fetch(sign_up.sql, sign_up.parameters(values)), values)


def _write_inline(
    engine: AsyncEngine,
    inline: InlineSQLite | None,
    steps: _Steps,
    values: dict[str, Any],
) -> tuple[User, bool] | None:
    """Steps 1 and 2 inline, counting the write toward the next checkpoint; None: use the pool."""
    if inline is None:
        return None
    done = _run_inline(inline, steps, values)
    if done is not None and inline.wrote():
        inline.checkpoint_in_background(_checkpoint(engine, inline))
    return done


def _run_inline(
    inline: InlineSQLite, steps: _Steps, values: dict[str, Any]
) -> tuple[User, bool] | None:
    """Steps 1 and 2 on the event loop's SQLite connection; None: run them through the pool.

    Nothing awaits in between, so no other request of this process runs between the steps.
    """
    log_in, sign_up = steps
    rows = inline.fetch(log_in.sql, log_in.parameters(values))
    if rows is None:
        return None
    if rows:
        return log_in.user(rows[0]), False
    rows = inline.fetch(sign_up.sql, sign_up.parameters(values))
    return None if rows is None else _signed_up(sign_up, rows, values)


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
    (known,) = await _one_row(session, _IS_USER_PG, _IS_USER_SQLITE, kakao_id)
    return bool(known)


async def look_up(
    session: AsyncSession | AsyncEngine, kakao_id: int
) -> tuple[bool, tuple[str, ...]]:
    """`is_user`, and the consent items the person withdrew at Kakao (service.store.secevents
    records them) and has not agreed to again, by name: one statement on is_user's fast path."""
    known, withdrawn = await _one_row(session, _LOOK_UP_PG, _LOOK_UP_SQLITE, kakao_id)
    return bool(known), tuple(withdrawn.split(" ")) if withdrawn else ()


async def _one_row(
    session: AsyncSession | AsyncEngine, pg_sql: str, sqlite_sql: str, kakao_id: int
) -> tuple[Any, ...]:
    """The one row a read-only statement about `kakao_id` answers: on a SQLite file inline on
    the event loop; otherwise (and when the file is busy) on a pooled connection's driver
    itself (see `_driver`)."""
    engine, store = _store(session)
    if store.inline is not None:
        rows = store.inline.fetch(sqlite_sql, (kakao_id,))
        if rows is not None:
            return tuple(rows[0])
    async with _driver(engine) as driver:
        if store.dialect == "postgresql":
            return tuple(await driver.fetchrow(pg_sql, kakao_id))
        rows = await driver.execute_fetchall(sqlite_sql, (kakao_id,))
        return tuple(rows[0])


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
    its id is never handed out again (see models.User), and sign-ins whose Kakao check began
    before now cannot re-create it (see KakaoCheckOutdated)."""
    _engine, store = _store(engine)

    async def transaction(connection: AsyncConnection, now: Callable[[], datetime]) -> bool:
        if store.dialect == "postgresql":
            query = select(_USERS.c.kakao_id).where(_USERS.c.id == user_id)
            kakao_id = await connection.scalar(query)
            if kakao_id is None:
                return False
            await lock_person(connection, kakao_id)
        statement = delete(_USERS).where(_USERS.c.id == user_id).returning(_USERS.c.kakao_id)
        gone = (await connection.execute(statement)).scalars().all()
        if gone:
            rows = select(bindparam("kakao_id", gone[0], type_=_UNLINKS.c.kakao_id.type))
            await _remember(connection, store.dialect, rows, now())
        return bool(gone)

    return await _deleting(engine, store, transaction)


async def delete_all_accounts(engine: AsyncEngine) -> int:
    """Delete every account; how many there were. New accounts still get new ids, and as in
    `delete_account`, no sign-in checked by Kakao before now re-creates one."""
    _engine, store = _store(engine)

    async def transaction(connection: AsyncConnection, now: Callable[[], datetime]) -> int:
        if store.dialect == "postgresql":
            await connection.execute(_SA_LOCK_ALL)
        await _remember(connection, store.dialect, select(_USERS.c.kakao_id), now())
        return (await connection.execute(delete(_USERS))).rowcount

    return await _deleting(engine, store, transaction)


_SA_LOCK_ONE = text(_PG_LOCK_ONE.replace("$1", ":kakao_id")).bindparams(
    bindparam("kakao_id", type_=_USERS.c.kakao_id.type)
)
_SA_LOCK_ALL = text(_PG_LOCK_ALL)


async def lock_person(connection: AsyncConnection, kakao_id: int) -> None:
    """PostgreSQL: hold, until `connection`'s transaction ends, the advisory lock that a
    sign-up of `kakao_id` takes for its upsert (and the shared one that deleting all waits on)."""
    await connection.execute(_SA_LOCK_ONE, {"kakao_id": kakao_id})


async def _remember(
    connection: AsyncConnection, dialect: str, kakao_ids: Any, now: datetime
) -> None:
    """Record a deletion of each Kakao user `kakao_ids` selects, at `now`, in `kakao_unlinks`
    (one row per Kakao user: the latest); forget deletions older than UNLINK_MEMORY."""
    at = bindparam("unlinked_at", now, type_=_UNLINKS.c.unlinked_at.type)
    rows = kakao_ids.add_columns(at).where(true())  # SQLite's upsert wants a WHERE after SELECT
    insert = _INSERTS[dialect](_UNLINKS).from_select(["kakao_id", "unlinked_at"], rows)
    await connection.execute(
        insert.on_conflict_do_update(
            index_elements=["kakao_id"], set_={"unlinked_at": insert.excluded.unlinked_at}
        )
    )
    await connection.execute(delete(_UNLINKS).where(_UNLINKS.c.unlinked_at < now - UNLINK_MEMORY))


async def run_write(engine: AsyncEngine, transaction: Callable[..., Awaitable[Any]]) -> Any:
    """Run `transaction(connection, now)` as the deletions run (own transaction, retried,
    queued behind this process's SQLite writes): for other modules' small writes
    (service.store.secevents), so they queue the same way instead of colliding on the file."""
    _engine, store = _store(engine)
    return await _deleting(engine, store, transaction)


def upsert_of(engine: AsyncEngine) -> Any:
    """The dialect's `insert` (with `on_conflict_do_*`) for `engine`: SQLite or PostgreSQL."""
    return _INSERTS[_store(engine)[1].dialect]


async def _deleting(engine: AsyncEngine, store: _Store, transaction: Callable[..., Any]) -> Any:
    """Run a deletion in its own transaction (again on a serialization failure or deadlock),
    queued behind this process's other SQLite writes.

    The deletion's time is read once its locks are held (the last thing before it is
    recorded): a sign-in checked by Kakao before that moment may be about to write.
    """

    async def attempt() -> Any:
        async with engine.begin() as connection:
            return await transaction(connection, lambda: datetime.now(UTC))

    async with contextlib.AsyncExitStack() as stack:
        if store.write_lock is not None:
            await stack.enter_async_context(store.write_lock)
        return await _retrying(attempt)


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
