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
trips. SQLite has one writer at a time anyway: this process's writes queue on an asyncio.Lock
rather than collide on SQLite's file lock, whose busy handler retries by sleeping.

The lookups of the hot path use the session only for its engine: they run on a pooled
connection of their own, outside the session's (unused) transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Row, bindparam, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from service.models import User

_USERS = User.__table__
_COLUMNS = tuple(_USERS.c)

#: step 1 and 3; the SET value comes from the `last_login_at` parameter
_LOG_IN = (
    update(_USERS).where(_USERS.c.kakao_id == bindparam("match_kakao_id")).returning(*_COLUMNS)
)
_IS_USER = select(exists().where(_USERS.c.kakao_id == bindparam("kakao_id")))
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@dataclass(frozen=True)
class _Store:
    """What the hot path needs per engine, built on first use."""

    #: the engine itself, or on PostgreSQL a view of it (same pool) in autocommit mode
    engine: AsyncEngine
    #: step 2 for this engine's dialect
    sign_up: Insert
    #: SQLite: held around every write of this process; PostgreSQL: no lock
    write_lock: contextlib.AbstractAsyncContextManager[Any]


#: keyed by the caller's engine; a value never refers to its key, so engines can go away
_STORES: weakref.WeakKeyDictionary[AsyncEngine, _Store] = weakref.WeakKeyDictionary()


def _store(session: AsyncSession) -> _Store:
    engine = session.bind
    if not isinstance(engine, AsyncEngine):
        raise TypeError("the session must be bound to an AsyncEngine")
    store = _STORES.get(engine)
    if store is None:
        store = _STORES[engine] = _make_store(engine)
    return store


def _make_store(engine: AsyncEngine) -> _Store:
    dialect = engine.dialect.name
    insert = _INSERTS.get(dialect)
    if insert is None:
        raise RuntimeError(f"unsupported database: {dialect} (use SQLite or PostgreSQL)")
    sign_up = (
        insert(_USERS).on_conflict_do_nothing(index_elements=["kakao_id"]).returning(*_COLUMNS)
    )
    if dialect == "postgresql":
        autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        return _Store(autocommit, sign_up, contextlib.nullcontext())
    return _Store(engine, sign_up, asyncio.Lock())


async def sign_up_or_log_in(
    session: AsyncSession,
    *,
    kakao_id: int,
    user_name: str,
    email: str | None,
    now: datetime,
) -> tuple[User, bool]:
    """The account for `kakao_id` and whether this call created it.

    A new account takes `user_name` and `email` (an empty email is stored as NULL); an existing
    one keeps its stored fields and only gets `last_login_at = now`. Committed on return; the
    User is detached (not in `session`).
    """
    store = _store(session)
    values = {
        "kakao_id": kakao_id,
        "user_name": user_name,
        "email": email or None,
        "created_at": now,
        "updated_at": now,
        "last_login_at": now,
    }
    connection: AsyncConnection | None = None
    try:
        # SQLite's write lock is held from the first write to the commit: so is ours. Giving
        # the connection back to the pool (a rollback, one more thread hop) happens outside it.
        async with store.write_lock:
            connection = await store.engine.connect()
            user, created = await _sign_up_or_log_in(connection, store.sign_up, values)
            await connection.commit()
    finally:
        if connection is not None:
            await connection.close()
    return user, created


async def _sign_up_or_log_in(
    connection: AsyncConnection, sign_up: Insert, values: dict[str, Any]
) -> tuple[User, bool]:
    """Steps 1 to 3 of the module's docstring; the caller commits."""
    kakao_id, now = values["kakao_id"], values["last_login_at"]
    row = await _log_in(connection, kakao_id, now)
    if row is not None:
        return _user(row), False
    row = (await connection.execute(sign_up, values)).one_or_none()
    if row is not None:
        return _user(row), True
    row = await _log_in(connection, kakao_id, now)
    if row is None:  # inserted by another call, then deleted before we could log in
        raise RuntimeError(f"the account of Kakao user {kakao_id} vanished while logging in")
    return _user(row), False


async def _log_in(connection: AsyncConnection, kakao_id: int, now: datetime) -> Row[Any] | None:
    result = await connection.execute(_LOG_IN, {"match_kakao_id": kakao_id, "last_login_at": now})
    return result.one_or_none()


def _user(row: Row[Any]) -> User:
    return User(**row._mapping)


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    """The account with our id `user_id`, if it (still) exists."""
    return await session.get(User, user_id)


async def get_user_by_kakao_id(session: AsyncSession, kakao_id: int) -> User | None:
    return (
        await session.execute(select(User).where(User.kakao_id == kakao_id))
    ).scalar_one_or_none()


async def is_user(session: AsyncSession, kakao_id: int) -> bool:
    """Whether the Kakao user already has an account here (the `GET /auth/kakao` lookup)."""
    async with _store(session).engine.connect() as connection:
        return bool(await connection.scalar(_IS_USER, {"kakao_id": kakao_id}))
