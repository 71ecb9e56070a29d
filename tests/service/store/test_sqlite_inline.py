"""SQLite statements inline on the event loop (service.store.sqlite_inline), on real SQLite files.

What must hold: the loop never waits for SQLite's file lock (a busy file sends the statement
through the pool, which waits in its thread), the WAL is checkpointed although the inline
connection never does it itself, and disposing the engine leaves no connection to the file.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.store import db, sqlite_inline, users
from service.store.sqlite_inline import InlineSQLite

T0 = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
LOGIN = "UPDATE users SET last_login_at = ? WHERE kakao_id = ? RETURNING id"


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "inline.sqlite3"


@pytest.fixture
async def engine(database: Path) -> AsyncIterator[AsyncEngine]:
    engine = db.create_engine(f"sqlite+aiosqlite:///{database}")
    await db.migrate(engine)
    yield engine
    await engine.dispose()


async def log_in(engine: AsyncEngine, kakao_id: int, now: datetime = T0) -> tuple[int, bool]:
    user, created = await users.sign_up_or_log_in(
        engine, kakao_id=kakao_id, user_name=f"user {kakao_id}", email=None, now=now
    )
    return user.id, created


def open_files(path: Path) -> list[str]:
    """This process's open file descriptors on `path` (the database file itself)."""
    fds = Path("/proc/self/fd")
    return [fd.name for fd in fds.iterdir() if _target(fd) == str(path)]


def _target(fd: Path) -> str:
    try:
        return os.readlink(fd)
    except OSError:  # closed while listing
        return ""


async def test_a_write_waits_for_another_writer_off_the_loop(
    engine: AsyncEngine, database: Path
) -> None:
    assert await log_in(engine, 1) == (1, True)
    blocker = sqlite3.connect(database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process's write transaction: the file's lock
    blocker.execute("UPDATE users SET user_name = 'blocker' WHERE kakao_id = 1")
    try:
        waiting = asyncio.create_task(log_in(engine, 2))
        longest_stall = 0.0
        for _ in range(20):
            before = time.monotonic()
            await asyncio.sleep(0.01)
            longest_stall = max(longest_stall, time.monotonic() - before)
            # reads go on meanwhile, from the last committed state
            assert await users.is_user(engine, 1)
            assert not await users.is_user(engine, 2)
        assert not waiting.done()
        # A loop blocked in SQLite's busy handler would stall for its whole timeout (the pool's
        # is 5 s); a generous bound, far from it, so a busy machine cannot fail this.
        assert longest_stall < 1.0
    finally:
        blocker.execute("COMMIT")
        blocker.close()
    assert await waiting == (2, True)
    assert await log_in(engine, 2) == (2, False)


def test_a_busy_file_is_answered_at_once_not_waited_for(database: Path) -> None:
    with sqlite3.connect(database) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, kakao_id, last_login_at)")
        setup.execute("INSERT INTO users (kakao_id) VALUES (7)")
    setup.close()
    inline = InlineSQLite(str(database))
    blocker = sqlite3.connect(database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        assert inline.fetch(LOGIN, ("now", 7)) is None  # the pool's turn
        # A busy_timeout would have slept (the pool's is 5 s); this one gives up at once.
        assert time.monotonic() - started < 1.0
        assert inline.fetch("SELECT kakao_id FROM users", ()) == [(7,)]  # WAL: reads go on
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert inline.fetch(LOGIN, ("now", 7)) == [(1,)]
    inline.close()


def test_an_error_of_python_s_own_sends_the_statement_to_the_pool(database: Path) -> None:
    with sqlite3.connect(database) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE users (kakao_id, user_name)")
        setup.execute("INSERT INTO users VALUES (7, CAST(x'ff' AS TEXT))")  # not UTF-8
    setup.close()
    inline = InlineSQLite(str(database))
    # sqlite3 raises "Could not decode to UTF-8": an error without an SQLite error code
    assert inline.fetch("SELECT user_name FROM users", ()) is None
    assert inline.fetch("SELECT kakao_id FROM users", ()) == [(7,)]  # and it carries on
    inline.close()


def test_a_file_that_is_not_in_wal_mode_goes_through_the_pool(database: Path) -> None:
    with sqlite3.connect(database) as setup:
        setup.execute("CREATE TABLE users (kakao_id)")
    setup.close()
    inline = InlineSQLite(str(database))
    assert inline.fetch("SELECT kakao_id FROM users", ()) is None
    assert not inline.enabled
    assert open_files(database) == []


def test_a_missing_file_is_not_created(database: Path) -> None:
    inline = InlineSQLite(str(database))
    assert inline.fetch("SELECT 1", ()) is None
    assert not database.exists()
    assert inline.enabled  # it may appear later (e.g. a folder moved back)


@pytest.mark.parametrize(("every", "checkpointed"), [(10, True), (10_000, False)])
async def test_inline_writes_are_checkpointed_through_the_pool(
    engine: AsyncEngine,
    database: Path,
    monkeypatch: pytest.MonkeyPatch,
    every: int,
    checkpointed: bool,
) -> None:
    monkeypatch.setattr(sqlite_inline, "CHECKPOINT_EVERY", every)
    inline = users._store(engine)[1].inline
    assert inline is not None
    await log_in(engine, 1)
    for minute in range(300):
        await log_in(engine, 1, T0 + timedelta(minutes=minute))
        await inline.wait_for_checkpoint()
    wal = database.with_name(database.name + "-wal").stat().st_size
    # Every log-in appends at least one 4 KiB page to the WAL; once checkpointed, SQLite
    # writes the WAL from its start again, so it stays a few checkpoints long.
    three_hundred_pages = 300 * 4096
    if checkpointed:
        assert wal < three_hundred_pages / 4
    else:
        assert wal > three_hundred_pages


async def test_writes_go_back_inline_after_writes_through_the_pool(
    engine: AsyncEngine, database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer sends a wave of log-ins through the pool; the next waves go inline.

    A write through the pool holds SQLite's lock across thread hops: an inline write that
    tried meanwhile fell back too, and under load every later one did (the cascade, seen in
    the bench as 1,200 of 4,000 log-ins through the pool and half the throughput).
    """
    pool_writes = 0
    real_run = users._run

    async def counting_run(*args: object) -> tuple[users.User, bool]:
        nonlocal pool_writes
        pool_writes += 1
        return await real_run(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(users, "_run", counting_run)
    await log_in(engine, 1)
    blocker = sqlite3.connect(database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process writing: inline writes are refused
    first_wave = asyncio.gather(*(log_in(engine, 1, T0) for _ in range(100)))
    await asyncio.sleep(0.2)
    blocker.execute("COMMIT")
    blocker.close()
    await first_wave
    assert pool_writes >= 1  # the first in line waited for the file in the pool
    for wave in range(1, 6):
        now = T0 + timedelta(minutes=wave)
        await asyncio.gather(*(log_in(engine, 1, now) for _ in range(100)))
    # 600 log-ins: the few that met the other writer, not hundreds
    assert pool_writes < 50


async def test_concurrent_sign_ups_through_the_pool_make_one_account(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fallback path on its own: the asyncio.Lock, the commit, steps 1 and 2 via aiosqlite."""
    monkeypatch.setattr(users, "_inline_sqlite", lambda _engine: None)
    engine = db.create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        await db.migrate(engine)
        assert users._store(engine)[1].inline is None
        outcomes = await asyncio.gather(*(log_in(engine, 99) for _ in range(25)))
        assert sorted(created for _, created in outcomes) == [False] * 24 + [True]
        assert {user_id for user_id, _ in outcomes} == {1}
        with sqlite3.connect(database) as check:
            assert check.execute("SELECT count(*) FROM users").fetchone() == (1,)
        check.close()
    finally:
        await engine.dispose()


async def test_closing_before_dispose_leaves_no_connection_and_no_wal(
    engine: AsyncEngine, database: Path
) -> None:
    await log_in(engine, 1)
    await users.close(engine)  # as the service's close_app does, then dispose
    await engine.dispose()
    assert open_files(database) == []
    # the pool's last connection ran SQLite's closing checkpoint and removed the WAL
    assert not database.with_name(database.name + "-wal").exists()
    with sqlite3.connect(database) as check:
        assert check.execute("SELECT kakao_id FROM users").fetchall() == [(1,)]
    check.close()


async def test_the_wal_stays_bounded_while_writes_go_on_during_checkpoints(
    engine: AsyncEngine, database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Steady load: fifty clients, each logging in one of 2,000 users, then a short pause.

    SQLite starts the WAL afresh only once a checkpoint has copied all of it; inline writes
    that kept appending while a passive checkpoint ran kept it from ever catching up, and the
    WAL grew by every write (found in review: 35 MB after 6,000 log-ins, 85 MB after 20,000).
    """
    monkeypatch.setattr(sqlite_inline, "CHECKPOINT_EVERY", 200)
    pauses = random.Random(7)
    total = 4000
    done = 0

    async def client(number: int) -> None:
        nonlocal done
        while done < total:
            await log_in(engine, 1 + (number * 7919 + done) % 2000)
            done += 1
            await asyncio.sleep(pauses.expovariate(1 / 0.02))  # the request's Kakao call

    await asyncio.gather(*(client(number) for number in range(50)))
    wal = database.with_name(database.name + "-wal").stat().st_size
    # It grows to hold what is written between two checkpoints that catch up, not more
    assert wal < 4 * 1024 * 1024, f"WAL of {wal / 2**20:.1f} MiB after {total} log-ins"


async def test_dispose_leaves_no_connection_to_the_file(
    engine: AsyncEngine, database: Path
) -> None:
    await log_in(engine, 1)
    assert await users.is_user(engine, 1)
    assert open_files(database) != []
    await engine.dispose()
    assert open_files(database) == []
    assert await users.is_user(engine, 1)  # and the next statement opens it again
