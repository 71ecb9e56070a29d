"""The user store and its migration, on a SQLite file and on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from service.errors import ApiError
from service.store import db, secevents, users
from tests.support.postgres import ThrowawayPostgres

T0 = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
#: the newest migration, which every start brings the schema to
HEAD = ScriptDirectory.from_config(db.alembic_config()).get_current_head()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = db.create_engine(database_url)
    await db.migrate(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return db.session_factory(engine)


async def test_migration_creates_the_table_and_is_idempotent(engine: AsyncEngine) -> None:
    await db.migrate(engine)  # a second start changes nothing

    def describe(connection: object) -> tuple[set[str], list[list[str]], str]:
        inspector = inspect(connection)
        columns = {c["name"] for c in inspector.get_columns("users")}
        uniques = [u["column_names"] for u in inspector.get_unique_constraints("users")]
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return columns, uniques, version

    async with engine.connect() as connection:
        columns, uniques, version = await connection.run_sync(describe)
    assert columns == {
        "id", "kakao_id", "user_name", "email", "created_at", "updated_at", "last_login_at",
        "account_key",
    }  # fmt: skip
    assert ["kakao_id"] in uniques
    assert version == HEAD


async def test_sign_up_then_log_in(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        user, created = await users.sign_up_or_log_in(
            session, kakao_id=7, user_name="홍길동", email="hong@example.com", now=T0
        )
    assert created
    assert (user.kakao_id, user.user_name, user.email) == (7, "홍길동", "hong@example.com")
    assert user.created_at == user.updated_at == user.last_login_at == T0

    later = T0 + timedelta(hours=1)
    async with sessions() as session:
        again, created = await users.sign_up_or_log_in(
            session, kakao_id=7, user_name="other", email="other@example.com", now=later
        )
    assert not created
    assert again.id == user.id
    assert (again.user_name, again.email) == ("홍길동", "hong@example.com")
    assert (again.created_at, again.updated_at, again.last_login_at) == (T0, T0, later)
    assert again.last_login_at.tzinfo is not None


async def test_no_email_is_null_and_64_bit_ids_fit(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        user, _ = await users.sign_up_or_log_in(
            session, kakao_id=2**63 - 1, user_name="x", email="", now=T0
        )
    async with sessions() as session:
        stored = await users.get_user(session, user.id)
        raw = await session.scalar(text("SELECT email IS NULL FROM users"))
        assert await users.is_user(session, 2**63 - 1)
        assert not await users.is_user(session, 1)
    assert stored is not None and stored.kakao_id == 2**63 - 1 and stored.email is None
    assert raw in (True, 1)


async def test_the_schema_refuses_a_duplicate_kakao_id_and_an_empty_email(
    engine: AsyncEngine,
) -> None:
    insert = text(
        "INSERT INTO users (kakao_id, user_name, email, created_at, updated_at, last_login_at, "
        "account_key) VALUES (:k, 'n', :e, :t, :t, :t, 'key')"
    )
    async with engine.begin() as connection:
        await connection.execute(insert, {"k": 1, "e": None, "t": T0})
    for values in ({"k": 1, "e": None, "t": T0}, {"k": 2, "e": "", "t": T0}):
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(insert, values)


async def test_get_user_of_nobody(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        assert await users.get_user(session, 12345) is None


async def test_concurrent_sign_ups_make_one_account(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def attempt(n: int) -> bool:
        async with sessions() as session:
            _, created = await users.sign_up_or_log_in(
                session, kakao_id=99, user_name=f"n{n}", email=None, now=T0
            )
        return created

    created = await asyncio.gather(*(attempt(n) for n in range(25)))
    assert created.count(True) == 1
    async with sessions() as session:
        assert await session.scalar(text("SELECT count(*) FROM users")) == 1


async def test_sqlite_file_gets_its_folder_and_wal(tmp_path: Path) -> None:
    folder = tmp_path / "nested" / "deeper"
    engine = db.create_engine(f"sqlite+aiosqlite:///{folder}/x.sqlite3")
    try:
        await db.migrate(engine)
        async with engine.connect() as connection:
            assert (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 5000
            limit = (await connection.exec_driver_sql("PRAGMA journal_size_limit")).scalar()
            assert limit == db.SQLITE_WAL_SIZE_LIMIT
    finally:
        await engine.dispose()
    assert (folder / "x.sqlite3").exists()


def test_alembic_run_by_hand_migrates_the_same_schema(tmp_path: Path) -> None:
    """Without a connection handed over, env.py connects to `sqlalchemy.url` itself."""
    database = tmp_path / "by-hand.sqlite3"
    config = db.alembic_config()
    config.set_main_option("sqlalchemy.url", f"sqlite+aiosqlite:///{database}")
    command.upgrade(config, "head")
    with sqlite3.connect(database) as connection:
        version = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        columns = {row[1] for row in connection.execute("PRAGMA table_info(users)")}
    assert version == (HEAD,)
    assert {"kakao_id", "account_key"} <= columns


async def test_login_after_someone_else_signed_up_keeps_their_fields(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The login path (UPDATE ... RETURNING) touches last_login_at only, and says "not created"."""
    async with sessions() as session:
        first, created = await users.sign_up_or_log_in(
            session, kakao_id=5, user_name="first", email=None, now=T0
        )
    assert created and first.email is None
    later = T0 + timedelta(minutes=5)
    async with sessions() as session:
        again, created = await users.sign_up_or_log_in(
            session, kakao_id=5, user_name="second", email="second@example.com", now=later
        )
        stored = await users.get_user(session, first.id)
    assert not created
    assert stored is not None
    for user in (again, stored):
        assert (user.id, user.user_name, user.email) == (first.id, "first", None)
        assert (user.created_at, user.updated_at, user.last_login_at) == (T0, T0, later)


@pytest.fixture
def own_postgres() -> Iterator[ThrowawayPostgres]:
    """A server of this test's own, to restart without disturbing the shared one."""
    with ThrowawayPostgres() as server:
        yield server


async def test_pooled_connections_survive_a_postgresql_restart(
    own_postgres: ThrowawayPostgres,
) -> None:
    """Without pool_pre_ping, the connections a restart closed are replaced at checkout: the
    first requests after the restart succeed, all at once too."""
    engine = db.create_engine(own_postgres.create_database("restart"))
    try:
        await db.migrate(engine)
        sessions = db.session_factory(engine)

        async def look_up() -> bool:
            async with sessions() as session:
                return await users.is_user(session, 7)

        await asyncio.gather(*(look_up() for _ in range(5)))
        assert engine.pool.checkedin() > 1  # type: ignore[attr-defined]
        log = str(own_postgres.folder / "log")
        await asyncio.to_thread(
            own_postgres._run, "pg_ctl", "-D", str(own_postgres.data), "-w", "-l", log, "restart"
        )
        assert await asyncio.gather(*(look_up() for _ in range(5))) == [False] * 5
        async with sessions() as session:
            _, created = await users.sign_up_or_log_in(
                session, kakao_id=7, user_name="x", email=None, now=T0
            )
        assert created
    finally:
        await engine.dispose()


# Ids never reused, account keys, and migration 0002 upgrading a database that has rows.


async def sign_up(engine: AsyncEngine, kakao_id: int) -> users.User:
    user, created = await users.sign_up_or_log_in(
        engine, kakao_id=kakao_id, user_name=f"user {kakao_id}", email=None, now=T0
    )
    assert created
    return user


async def delete(engine: AsyncEngine, user_id: int) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM users WHERE id = :id"), {"id": user_id})


async def test_an_id_is_never_handed_out_twice(engine: AsyncEngine) -> None:
    """Deleting the newest account used to give its id to the next sign-up on SQLite."""
    first = await sign_up(engine, 1)
    newest = await sign_up(engine, 2)
    await delete(engine, newest.id)
    after = await sign_up(engine, 3)
    assert after.id > newest.id > first.id


async def test_every_account_gets_its_own_random_key(engine: AsyncEngine) -> None:
    made = [await sign_up(engine, kakao_id) for kakao_id in range(1, 21)]
    keys = {user.account_key for user in made}
    assert len(keys) == 20 and all(len(key) >= 22 for key in keys)
    again, created = await users.sign_up_or_log_in(
        engine, kakao_id=1, user_name="x", email=None, now=T0
    )
    assert not created and again.account_key == made[0].account_key  # a log-in keeps it


async def migrate_to(engine: AsyncEngine, revision: str) -> None:
    def run(connection: object) -> None:
        config = db.alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


ROWS_OF_0001 = [
    (1, 101, "김카카오", "kim@example.com"),
    (2, 102, "second", None),
    (3, 103, "newest", None),
]


async def make_0001_database(url: str) -> AsyncEngine:
    """A database as the service left it before 0002: three accounts, ids 1 to 3 (given by
    the database, as the service's inserts are: PostgreSQL's sequence skips no explicit id)."""
    engine = db.create_engine(url)
    await migrate_to(engine, "0001")
    async with engine.begin() as connection:
        for _, kakao_id, name, email in ROWS_OF_0001:
            await connection.execute(
                text(
                    "INSERT INTO users (kakao_id, user_name, email, created_at, updated_at,"
                    " last_login_at) VALUES (:k, :n, :e, :t, :t, :t)"
                ),
                {"k": kakao_id, "n": name, "e": email, "t": T0},
            )
    return engine


async def rows(
    engine: AsyncEngine,
    columns: str = "id, kakao_id, user_name, email, account_key",
    table: str = "users",
) -> list[tuple[object, ...]]:
    async with engine.connect() as connection:
        result = await connection.execute(text(f"SELECT {columns} FROM {table} ORDER BY 1"))
        return [tuple(row) for row in result]


async def rows_of_0001(engine: AsyncEngine) -> list[tuple[object, ...]]:
    return await rows(engine, "id, kakao_id, user_name, email")


async def test_0002_upgrades_a_0001_database_in_place(database_url: str) -> None:
    engine = await make_0001_database(database_url)
    try:
        await db.migrate(engine)
        kept = await rows(engine)
        assert [row[:4] for row in kept] == ROWS_OF_0001
        keys = [row[4] for row in kept]
        assert len(set(keys)) == 3 and all(isinstance(key, str) and len(key) >= 22 for key in keys)
        # the schema is 0002's: keys are required, constraints kept, and ids only count up
        async with engine.connect() as connection:
            version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
        assert version == HEAD
        async with engine.begin() as connection:
            with pytest.raises(IntegrityError):
                await connection.execute(text("UPDATE users SET account_key = NULL"))
        async with engine.begin() as connection:
            with pytest.raises(IntegrityError):
                await connection.execute(text("UPDATE users SET email = '' WHERE id = 1"))
        async with engine.begin() as connection:
            with pytest.raises(IntegrityError):
                await connection.execute(text("UPDATE users SET kakao_id = 101 WHERE id = 2"))
        await delete(engine, 3)
        assert (await sign_up(engine, 104)).id == 4
        assert (await sign_up(engine, 101 + 1000)).id == 5
        logged_in, created = await users.sign_up_or_log_in(
            engine, kakao_id=101, user_name="x", email=None, now=T0
        )
        assert not created and (logged_in.id, logged_in.account_key) == (1, keys[0])
    finally:
        await engine.dispose()


async def test_0002_on_sqlite_is_autoincrement_and_one_transaction(sqlite_url: str) -> None:
    """A failed upgrade leaves the 0001 database as it was; the next start completes it."""
    engine = await make_0001_database(sqlite_url)
    try:
        async with engine.begin() as connection:  # the rebuilt table's name, taken
            await connection.execute(text("CREATE TABLE _users_0002 (x INTEGER)"))
        with pytest.raises(OperationalError):
            await db.migrate(engine)
        async with engine.connect() as connection:
            version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
            columns = (await connection.exec_driver_sql("PRAGMA table_info(users)")).all()
        assert version == "0001"
        assert "account_key" not in {column[1] for column in columns}
        assert [row[:4] for row in await rows_of_0001(engine)] == ROWS_OF_0001

        async with engine.begin() as connection:
            await connection.execute(text("DROP TABLE _users_0002"))
        await db.migrate(engine)
        async with engine.connect() as connection:
            schema = await connection.scalar(
                text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'")
            )
            sequence = await connection.scalar(
                text("SELECT seq FROM sqlite_sequence WHERE name = 'users'")
            )
        assert "AUTOINCREMENT" in schema and sequence == 3
        assert [row[:4] for row in await rows(engine)] == ROWS_OF_0001
    finally:
        await engine.dispose()


async def test_0002_downgrades_to_0001_with_rows_kept(database_url: str) -> None:
    engine = await make_0001_database(database_url)
    try:
        await db.migrate(engine)

        def downgrade(connection: object) -> None:
            config = db.alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0001")

        async with engine.begin() as connection:
            await connection.run_sync(downgrade)
        assert await rows_of_0001(engine) == ROWS_OF_0001
        await db.migrate(engine)  # and up again: new keys for everyone
        assert [row[:4] for row in await rows(engine)] == ROWS_OF_0001
    finally:
        await engine.dispose()


# Deletions racing sign-ins (issue 19, items 4 and 5): a sign-in Kakao vouched for before a
# deletion cannot re-create the account after it.


async def test_a_sign_in_checked_before_a_deletion_does_not_re_create_it(
    engine: AsyncEngine,
) -> None:
    for deletion in ("one", "all"):
        user, _ = await users.sign_up_or_log_in(
            engine, kakao_id=7, user_name="x", email=None, now=datetime.now(UTC)
        )
        checked = datetime.now(UTC)  # Kakao said yes, then the account was deleted
        if deletion == "one":
            assert await users.delete_account(engine, user.id)
        else:
            assert await users.delete_all_accounts(engine) == 1
        with pytest.raises(users.KakaoCheckOutdated):
            await users.sign_up_or_log_in(
                engine,
                kakao_id=7,
                user_name="x",
                email=None,
                now=datetime.now(UTC),
                vouched_at=checked,
            )
        assert await rows(engine, "id") == []
        # checked after the deletion: a new account, with a new id
        again, created = await users.sign_up_or_log_in(
            engine, kakao_id=7, user_name="x", email=None, now=datetime.now(UTC)
        )
        assert created and again.id > user.id
        assert await users.delete_account(engine, again.id)


async def test_a_sign_in_checked_too_long_ago_is_refused(engine: AsyncEngine) -> None:
    """Deletions are remembered for UNLINK_MEMORY: an older check cannot be trusted."""
    now = datetime.now(UTC)
    with pytest.raises(users.KakaoCheckOutdated):
        await users.sign_up_or_log_in(
            engine,
            kakao_id=8,
            user_name="x",
            email=None,
            now=now,
            vouched_at=now - users.UNLINK_MEMORY - timedelta(seconds=1),
        )


async def test_deletions_are_remembered_once_per_person_and_then_forgotten(
    engine: AsyncEngine,
) -> None:
    for _ in range(2):
        user, _ = await users.sign_up_or_log_in(
            engine, kakao_id=9, user_name="x", email=None, now=datetime.now(UTC)
        )
        await users.delete_account(engine, user.id)
    assert [row[0] for row in await rows(engine, "kakao_id", "kakao_unlinks")] == [9]
    async with engine.begin() as connection:  # as if that deletion was long ago
        await connection.execute(
            text("UPDATE kakao_unlinks SET unlinked_at = :old"),
            {"old": datetime.now(UTC) - users.UNLINK_MEMORY - timedelta(minutes=1)},
        )
    await users.delete_all_accounts(engine)
    assert await rows(engine, "kakao_id", "kakao_unlinks") == []


async def test_on_postgresql_a_sign_up_waits_for_a_deletion_of_that_person(
    postgres_url: str,
) -> None:
    """The upsert runs under the person's advisory lock, so it reads `kakao_unlinks` after a
    deletion holding that lock has committed, not before (its wait for the deleted row would
    otherwise end in an insert that the deletion's record came too late to stop)."""
    engine = db.create_engine(postgres_url)
    await db.migrate(engine)
    try:
        checked = datetime.now(UTC)
        async with engine.connect() as deleting:
            await users.lock_person(deleting, 11)
            signing_up = asyncio.ensure_future(
                users.sign_up_or_log_in(
                    engine,
                    kakao_id=11,
                    user_name="x",
                    email=None,
                    now=datetime.now(UTC),
                    vouched_at=checked,
                )
            )
            while not await _waits_for_an_advisory_lock(engine):
                assert not signing_up.done()
                await asyncio.sleep(0.01)
            await deleting.execute(
                text("INSERT INTO kakao_unlinks VALUES (11, :now)"), {"now": datetime.now(UTC)}
            )
            await deleting.commit()
            with pytest.raises(users.KakaoCheckOutdated):
                await signing_up
        assert await rows(engine, "id") == []
    finally:
        await engine.dispose()


async def _waits_for_an_advisory_lock(engine: AsyncEngine) -> bool:
    query = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    async with engine.connect() as connection:
        return bool(await connection.scalar(query))


class _DriverError(Exception):
    """A driver's error as asyncpg raises it: with a SQLSTATE."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


async def test_a_deadlock_or_serialization_failure_is_retried_then_a_503() -> None:
    calls: list[int] = []

    async def twice_deadlocked() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise _DriverError("40P01")
        return "done"

    assert await users._retrying(twice_deadlocked) == "done" and len(calls) == 3

    async def always_failing() -> None:
        raise DBAPIError("SELECT 1", None, _DriverError("40001"))

    with pytest.raises(ApiError) as raised:
        async with db.database_errors():
            await users._retrying(always_failing)
    assert raised.value.code == "DATABASE_UNAVAILABLE"

    async def a_bug() -> None:
        calls.append(1)
        raise _DriverError("23502")  # not null violation: not retried, stays a bug (500)

    calls.clear()
    with pytest.raises(_DriverError):
        await users._retrying(a_bug)
    assert len(calls) == 1


async def test_look_up_answers_the_account_and_the_withdrawn_items_in_one_statement(
    engine: AsyncEngine,
) -> None:
    """GET /auth/kakao's one statement: whether there is an account, and the consent items the
    account-status webhook recorded as withdrawn (sorted, none once agreed again)."""
    assert await users.look_up(engine, 42) == (False, ())
    await secevents.withdraw(engine, 42, ["profile_nickname", "account_email"])
    await secevents.withdraw(engine, 43, ["gender"])  # another person's: not 42's
    assert await users.look_up(engine, 42) == (False, ("account_email", "profile_nickname"))
    await secevents.agreed(engine, 42, ["account_email"])
    assert await users.look_up(engine, 42) == (False, ("profile_nickname",))
