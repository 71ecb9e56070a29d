"""The health check proves a write commits (issue 19 item 6), on SQLite and PostgreSQL.

The full disk itself is tests/robustness/test_full_disk.py; here: migration 0004's one-row
table, rewritten by every check, PostgreSQL's disk-full error (SQLSTATE 53100, raised by the
real server) as 503 DATABASE_UNAVAILABLE, and SQLite's free-space reserve.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.errors import ApiError
from service.store import db


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = db.create_engine(database_url)
    await db.migrate(engine)
    yield engine
    await engine.dispose()


async def health_rows(engine: AsyncEngine) -> list[tuple[int, object]]:
    async with engine.connect() as connection:
        return (await connection.execute(text("SELECT id, checked_at FROM health_checks"))).all()


async def test_every_check_commits_the_same_one_row(engine: AsyncEngine) -> None:
    assert await health_rows(engine) == []
    await db.ping(engine)
    (first,) = await health_rows(engine)
    assert first[0] == 1 and first[1] is not None
    await db.ping(engine)
    await db.ping(engine)
    assert [row[0] for row in await health_rows(engine)] == [1]  # the table never grows


async def test_postgresql_disk_full_is_503(postgres_url: str) -> None:
    """PostgreSQL's own error 53100 (what "could not extend file" carries), raised for real by
    a trigger. It used to pass as a bug: a 500 for a sign-up, and nothing in the health check
    wrote, so it was 200."""
    engine = db.create_engine(postgres_url)
    try:
        await db.migrate(engine)
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    "RAISE EXCEPTION 'could not extend file' USING ERRCODE = 'disk_full'; END $$"
                )
            )
            await connection.execute(
                text(
                    "CREATE TRIGGER disk_full BEFORE INSERT OR UPDATE ON health_checks "
                    "FOR EACH ROW EXECUTE FUNCTION disk_full()"
                )
            )
        with pytest.raises(ApiError) as raised:
            await db.ping(engine)
        assert raised.value.code == "DATABASE_UNAVAILABLE"
    finally:
        await engine.dispose()


async def test_sqlite_below_the_free_space_reserve_is_503(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'service.sqlite3'}")
    try:
        await db.migrate(engine)
        await db.ping(engine)
        monkeypatch.setattr(db, "HEALTH_MIN_FREE_BYTES", 1 << 62)  # more than any disk has
        with pytest.raises(ApiError) as raised:
            await db.ping(engine)
        assert raised.value.code == "DATABASE_UNAVAILABLE"
    finally:
        await engine.dispose()


# -- the probe: concurrent /healthz requests share one write ---------------------------------


def count_health_writes(engine: AsyncEngine) -> list[str]:
    """The statements that write the health row, as the engine runs them."""
    writes: list[str] = []

    def seen(connection, cursor, statement, parameters, context, executemany) -> None:
        if "health_checks" in statement and not statement.lstrip().upper().startswith("SELECT"):
            writes.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    return writes


async def test_concurrent_checks_share_one_write_and_a_later_one_writes_again(
    engine: AsyncEngine,
) -> None:
    writes = count_health_writes(engine)
    probe = db.HealthProbe(engine)
    await asyncio.gather(*(probe.check() for _ in range(20)))
    assert len(writes) == 1
    await probe.check()  # never answered from an older result
    assert len(writes) == 2


async def test_a_failing_check_fails_every_request_sharing_it_and_the_next_asks_again(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(SQLite: its free-space reserve is a failure a test can switch off and on.)"""
    engine = db.create_engine(sqlite_url)
    try:
        await db.migrate(engine)
        probe = db.HealthProbe(engine)
        monkeypatch.setattr(db, "HEALTH_MIN_FREE_BYTES", 2**62)  # more than any disk has
        answers = await asyncio.gather(*(probe.check() for _ in range(5)), return_exceptions=True)
        assert [getattr(a, "code", a) for a in answers] == ["DATABASE_UNAVAILABLE"] * 5
        monkeypatch.setattr(db, "HEALTH_MIN_FREE_BYTES", 1024 * 1024)
        await probe.check()  # healthy again at once
    finally:
        await engine.dispose()
