"""The database goes away, mid-flight too: 503 DATABASE_UNAVAILABLE, never a 500, and the
running service recovers by itself once the database is back.

PostgreSQL: a server of the test's own is stopped (`pg_ctl stop`) and started again on the
same port while the service keeps running. SQLite: the file's folder disappears and comes
back. (SQLite locked by another connection past the busy timeout, 5 s, is
tests/service/test_http.py::test_a_locked_sqlite_database_is_503, recovery included.)
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy.exc

from mock_kakao.testing import MockKakao
from service.db import database_errors
from service.errors import ApiError
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


@pytest.mark.parametrize("mode", ["immediate", "fast"])
async def test_postgresql_stopped_mid_flight_and_restarted(
    own_postgres: ThrowawayPostgres, mock_kakao: MockKakao, contract: Contract, mode: str
) -> None:
    """`immediate` drops connections without a word; `fast` first tells every session it is
    terminated (SQLSTATE 57P01), which drivers report differently."""
    settings = make_settings(mock_kakao.url, own_postgres.create_database("trouble"))
    async with running_service(settings) as running:
        service = CheckedService(running, contract)
        jwt = (await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)).body["token"]

        async def sign_in_later(n: int) -> Any:
            await asyncio.sleep(n * 0.005)
            return await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)

        requests = [asyncio.ensure_future(sign_in_later(n)) for n in range(IN_FLIGHT)]
        await asyncio.sleep(0.02)
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


@pytest.mark.parametrize("sqlstate", ["08006", "57P01", "57P02", "57P03", "53300"])
async def test_a_server_that_is_not_serving_is_503(sqlstate: str) -> None:
    with pytest.raises(ApiError) as caught:
        async with database_errors():
            raise driver_error(sqlstate)
    assert caught.value.code == "DATABASE_UNAVAILABLE"


async def test_a_broken_query_stays_a_bug() -> None:
    with pytest.raises(sqlalchemy.exc.DBAPIError):
        async with database_errors():
            raise driver_error("42P01")  # undefined table: a broken deployment, not an outage
