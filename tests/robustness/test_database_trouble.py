"""The database goes away, mid-flight too: 503 DATABASE_UNAVAILABLE, never a 500, and the
running service recovers by itself once the database is back.

PostgreSQL: a server of the test's own is stopped (`pg_ctl stop`) and started again on the
same port while the service keeps running. SQLite: the file's folder disappears and comes
back. (SQLite locked by another connection past the busy timeout, 5 s, is
tests/service/web/test_http.py::test_a_locked_sqlite_database_is_503, recovery included.)
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
import sqlalchemy.exc
from sqlalchemy.engine import make_url

from mock_kakao.testing import MockKakao
from service.errors import ApiError
from service.store.db import database_errors
from tests.robustness.contract import Contract
from tests.robustness.support import CheckedService, sqlite_folder_gone
from tests.service.support import (
    FULL_CONSENT_ID,
    FULL_CONSENT_TOKEN,
    make_settings,
    running_service,
)
from tests.support.postgres import ThrowawayPostgres

DOWN = {"message": "DATABASE_UNAVAILABLE"}
IN_FLIGHT = 40
LOCK_WAIT_DEADLINE = 30.0


@pytest.fixture
def own_postgres() -> Iterator[ThrowawayPostgres]:
    """A server of this test's own: stopping the shared one would break other tests."""
    with ThrowawayPostgres() as server:
        yield server


async def assert_down(service: CheckedService, jwt: str) -> None:
    for answer in (
        await service.request("GET", "/healthz"),
        await service.look_up(FULL_CONSENT_TOKEN),
        await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID),
        await service.me(jwt),
    ):
        assert (answer.status, answer.body) == (503, DOWN)
        assert "Retry-After" not in answer.headers


async def assert_up(service: CheckedService, jwt: str) -> None:
    assert (await service.request("GET", "/healthz")).status == 200
    assert (await service.look_up(FULL_CONSENT_TOKEN)).body["result"]["is_user"] is True
    assert (await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)).status == 200
    assert (await service.me(jwt)).status == 200


@asynccontextmanager
async def users_table_locked(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """An open transaction of another connection holding an ACCESS EXCLUSIVE lock on `users`:
    every request that touches the table waits inside PostgreSQL until the server goes away."""
    dsn = make_url(database_url).set(drivername="postgresql")
    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        await connection.execute("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        yield connection
    finally:
        with contextlib.suppress(Exception):  # the server was stopped under it
            await connection.close(timeout=1)


async def wait_for_lock_waiters(connection: asyncpg.Connection, count: int) -> None:
    """Until `count` other sessions wait on a lock (the requests are inside the database).

    `connection` is inside a transaction, where pg_stat_activity is a snapshot taken at its
    first read: each poll clears it to see the sessions as they are now.
    """
    deadline = time.monotonic() + LOCK_WAIT_DEADLINE
    query = (
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    while True:
        await connection.execute("SELECT pg_stat_clear_snapshot()")
        waiting = await connection.fetchval(query)
        if waiting >= count:
            return
        assert time.monotonic() < deadline, f"{waiting} of {count} requests wait on the lock"
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("mode", ["immediate", "fast"])
async def test_postgresql_stopped_mid_flight_and_restarted(
    own_postgres: ThrowawayPostgres, mock_kakao: MockKakao, contract: Contract, mode: str
) -> None:
    """`immediate` drops connections without a word; `fast` first tells every session it is
    terminated (SQLSTATE 57P01), which drivers report differently.

    The requests are held inside PostgreSQL by a lock, and the server is stopped only once
    every pooled connection is seen waiting on it: in flight for sure, not by timing."""
    database_url = own_postgres.create_database("trouble")
    settings = make_settings(mock_kakao.url, database_url)
    async with running_service(settings) as running:
        service = CheckedService(running, contract)
        jwt = (await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)).body["token"]
        pool_size = running.services.engine.pool.size()  # type: ignore[attr-defined]

        async with users_table_locked(database_url) as lock_holder:
            requests = [
                asyncio.ensure_future(service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID))
                for _ in range(IN_FLIGHT)
            ]
            await wait_for_lock_waiters(lock_holder, min(IN_FLIGHT, pool_size))
            await asyncio.to_thread(own_postgres.pg_ctl, "-m", mode, "stop")
            statuses = Counter(answer.status for answer in await asyncio.gather(*requests))
        print(f"\nrequests in flight while PostgreSQL stopped: {dict(statuses)}")
        assert set(statuses) <= {200, 503} and statuses[503] > 0

        await assert_down(service, jwt)
        await asyncio.to_thread(
            own_postgres.pg_ctl, "-l", str(own_postgres.folder / "log"), "restart"
        )
        await assert_up(service, jwt)  # the same process, no restart


async def test_sqlite_gone_and_back(service: CheckedService) -> None:
    jwt = (await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)).body["token"]
    async with sqlite_folder_gone(service):
        await assert_down(service, jwt)
    await assert_up(service, jwt)


def driver_error(sqlstate: str) -> sqlalchemy.exc.DBAPIError:
    """What SQLAlchemy raises for a driver error carrying `sqlstate` (as asyncpg's do)."""
    orig = Exception(f"driver error {sqlstate}")
    orig.sqlstate = sqlstate  # type: ignore[attr-defined]
    return sqlalchemy.exc.DBAPIError("SELECT 1", None, orig)


@pytest.mark.parametrize(
    "sqlstate", ["08006", "57P01", "57P02", "57P03", "53100", "53200", "53300"]
)
async def test_a_server_that_is_not_serving_is_503(sqlstate: str) -> None:
    with pytest.raises(ApiError) as caught:
        async with database_errors():
            raise driver_error(sqlstate)
    assert caught.value.code == "DATABASE_UNAVAILABLE"


async def test_a_broken_query_stays_a_bug() -> None:
    with pytest.raises(sqlalchemy.exc.DBAPIError):
        async with database_errors():
            raise driver_error("42P01")  # undefined table: a broken deployment, not an outage


async def test_a_hung_postgresql_is_503_within_the_statement_timeout(
    postgres_url: str,
    mock_kakao: MockKakao,
    contract: Contract,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A PostgreSQL that accepts but never answers must not hold requests for asyncpg's or the
    pool's defaults (60 s, 30 s): the statement timeout turns the hang into a 503, and the
    request after the hang is served normally."""
    monkeypatch.setattr("service.store.db.PG_STATEMENT_TIMEOUT", 1.0)
    settings = make_settings(mock_kakao.url, postgres_url)
    async with running_service(settings) as running:
        service = CheckedService(running, contract)
        jwt = (await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)).body["token"]
        async with users_table_locked(postgres_url):
            # Without a statement timeout this would wait for the lock forever.
            answer = await asyncio.wait_for(
                service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID), timeout=30
            )
        assert (answer.status, answer.body) == (503, DOWN)
        await assert_up(service, jwt)
