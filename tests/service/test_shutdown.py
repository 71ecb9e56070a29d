"""Shutting down: requests already being answered finish first (`service.app.drain`).

`python -m service` and run_all both stop through `drain`; run_all's path is tested in
tests/harness_ui/test_stack.py. The fake Kakao's latency keeps the requests in flight long
enough to stop the service under them; the tests wait for the service's own in-flight count,
not for a guessed moment.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import pytest
import tornado.web
from tornado.httpserver import HTTPServer
from tornado.testing import bind_unused_port

from mock_kakao.testing import MockKakao
from service.__main__ import NO_ADMIN_KEY_WARNING, NO_APP_ID_WARNING, warn_about_settings
from service.app import create_app, drain, make_server
from service.store import db
from tests.service.support import (
    FULL_CONSENT_ID,
    FULL_CONSENT_TOKEN,
    make_settings,
    status_of,
    wait_until,
)

IN_FLIGHT = 5
SIGN_IN = {"kakao_id": FULL_CONSENT_ID, "user_name": "이름", "email": None}


@dataclass
class Served:
    app: tornado.web.Application
    server: HTTPServer
    url: str
    drained: bool = False

    @property
    def in_flight(self) -> int:
        return self.app.settings["services"].in_flight.count

    async def drain(self, grace: float) -> None:
        self.drained = True
        await drain(self.server, self.app, grace)


@asynccontextmanager
async def served(kakao_url: str, sqlite_url: str) -> AsyncIterator[Served]:
    """The service on a free port; the test drains it, or this does if the test failed first."""
    app = await create_app(make_settings(kakao_url, sqlite_url))
    sock, port = bind_unused_port()
    server = make_server(app)
    server.add_sockets([sock])
    service = Served(app, server, f"http://127.0.0.1:{port}")
    try:
        yield service
    finally:
        if not service.drained:
            await service.drain(grace=0)


async def sign_in(http: aiohttp.ClientSession, url: str) -> int | str:
    headers = {"Authorization": f"Bearer {FULL_CONSENT_TOKEN}"}
    return await status_of(http, "POST", f"{url}/auth/kakao", json=SIGN_IN, headers=headers)


async def test_drain_lets_requests_in_flight_finish(mock_kakao: MockKakao, sqlite_url: str) -> None:
    mock_kakao.add_fault("latency", latency_ms=400)
    async with served(mock_kakao.url, sqlite_url) as service, aiohttp.ClientSession() as http:
        requests = [asyncio.ensure_future(sign_in(http, service.url)) for _ in range(IN_FLIGHT)]
        await wait_until(lambda: service.in_flight == IN_FLIGHT)
        await service.drain(grace=5.0)
        statuses = await asyncio.gather(*requests)
    assert sorted(statuses) == [200] * (IN_FLIGHT - 1) + [201], statuses
    assert service.in_flight == 0


async def test_drain_cuts_off_what_outlasts_the_grace(
    mock_kakao: MockKakao, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The grace bounds the stop: run_all must stop within 2 s whatever is running."""
    mock_kakao.add_fault("latency", latency_ms=3000)
    async with served(mock_kakao.url, sqlite_url) as service, aiohttp.ClientSession() as http:
        request = asyncio.ensure_future(sign_in(http, service.url))
        await wait_until(lambda: service.in_flight == 1)
        started = time.monotonic()
        await service.drain(grace=0.2)
        assert time.monotonic() - started < 1.0
        assert await request == "ServerDisconnectedError"
    assert "1 requests still running after 0.2 s: cut off" in caplog.text


async def test_drain_refuses_new_connections_while_it_waits(
    mock_kakao: MockKakao, sqlite_url: str
) -> None:
    mock_kakao.add_fault("latency", latency_ms=400)
    async with served(mock_kakao.url, sqlite_url) as service, aiohttp.ClientSession() as http:
        running = asyncio.ensure_future(sign_in(http, service.url))
        await wait_until(lambda: service.in_flight == 1)
        draining = asyncio.ensure_future(service.drain(grace=5.0))
        await asyncio.sleep(0)  # drain has stopped listening
        async with aiohttp.ClientSession() as newcomer:
            assert await sign_in(newcomer, service.url) == "ClientConnectorError"
        await draining
        assert await running == 201


@pytest.mark.parametrize("method", ["GET", "FOO"])
async def test_in_flight_returns_to_zero_after_every_kind_of_answer(
    mock_kakao: MockKakao, sqlite_url: str, method: str
) -> None:
    """Answered, refused before `prepare` (an unknown method) or abandoned by the client."""
    mock_kakao.add_fault("latency", latency_ms=300)
    async with served(mock_kakao.url, sqlite_url) as service, aiohttp.ClientSession() as http:
        async with http.request(method, f"{service.url}/healthz") as response:
            assert response.status in (200, 405)
        abandoned = asyncio.ensure_future(sign_in(http, service.url))
        await wait_until(lambda: service.in_flight == 1)
        abandoned.cancel()  # the client hangs up while the service waits for Kakao
        await asyncio.sleep(0.1)
        assert service.in_flight == 1  # its handler still runs
        await wait_until(lambda: service.in_flight == 0)


async def test_a_body_that_never_arrives_is_not_counted_for_ever(
    mock_kakao: MockKakao, sqlite_url: str
) -> None:
    async with served(mock_kakao.url, sqlite_url) as service:
        port = int(service.url.rsplit(":", 1)[1])
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b'POST /auth/kakao HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"kakao')
        await writer.drain()
        await wait_until(lambda: service.in_flight == 1)
        writer.close()  # the rest of the body never comes
        await wait_until(lambda: service.in_flight == 0)


async def test_drain_waits_for_a_sign_up_whose_client_hung_up(
    mock_kakao: MockKakao, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Its handler still writes the account: shutdown must not close the database under it."""
    mock_kakao.add_fault("latency", latency_ms=400)
    async with served(mock_kakao.url, sqlite_url) as service, aiohttp.ClientSession() as http:
        abandoned = asyncio.ensure_future(sign_in(http, service.url))
        await wait_until(lambda: service.in_flight == 1)
        abandoned.cancel()
        await asyncio.sleep(0.05)
        await service.drain(grace=5.0)
        assert service.in_flight == 0
    engine = db.create_engine(sqlite_url)
    try:
        async with engine.connect() as connection:
            stored = await connection.exec_driver_sql("SELECT kakao_id FROM users")
            assert stored.scalars().all() == [FULL_CONSENT_ID]
    finally:
        await engine.dispose()
    assert "Traceback" not in caplog.text and "ERROR" not in caplog.text


@pytest.mark.parametrize(
    ("app_id", "admin_key", "warned"),
    [
        (None, "k", [NO_APP_ID_WARNING]),
        (10001, "k", []),
        (10001, None, [NO_ADMIN_KEY_WARNING]),
    ],
    ids=["unset", "set", "no admin key"],
)
def test_an_unset_kakao_app_id_or_admin_key_is_a_warning_at_start(
    caplog: pytest.LogCaptureFixture, app_id: int | None, admin_key: str | None, warned: list[str]
) -> None:
    settings = make_settings(
        "http://127.0.0.1:1", "sqlite+aiosqlite://", kakao_app_id=app_id, kakao_admin_key=admin_key
    )
    warn_about_settings(settings, generated_secret=False)
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == warned
