"""Slow bodies and too many connections, on every server (issue 19 item 12).

A body dribbled a byte at a time must not hold a connection past the server's body deadline:
the fake answers 408 in the dialect of the path (kauth's, kapi's, the control API's) and
closes; the service (Tornado's body timeout) and the page close. Each server also takes at
most its cap of connections at once, closing the ones over it at once, so in run_all one part
cannot take the file descriptors the others need: under a low `ulimit -n`, slow connections
to the fake leave the service's `/healthz` answering.

Bounds are generous ("closed eventually", see tests/support/slow_client.py); no timing is
asserted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import web

from harness_ui.server import create_app as create_page_app
from mock_kakao.app import start_server
from mock_kakao.web.limits import CappedRunner
from mock_kakao.world.state import FakeKakao
from service.settings import Settings, SettingsError
from tests.e2e.test_run_all import ROOT, RUN_ALL, ZERO_PORTS, RunAll, clean_env, wait_for_banner
from tests.service.support import make_settings, running_service
from tests.support.postgres import free_port
from tests.support.slow_client import LONG_DRIP, answer_then_close

DEADLINE = 0.5  # every server's body deadline here
CAP = 5  # every server's connection cap here

TOKEN_HEAD = (
    b"POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\n"
)
STATE_HEAD = (
    b"PUT /_mock/state HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n"
)
KAPI_HEAD = (
    b"POST /v1/user/unlink HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: KakaoAK mock-admin-key\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\n"
)


def _status_and_body(received: bytes) -> tuple[int, Any]:
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


@pytest.fixture
async def fake_url() -> AsyncIterator[str]:
    runner, url = await start_server(
        FakeKakao.from_file(), "127.0.0.1", 0, body_timeout=DEADLINE, max_connections=CAP
    )
    try:
        yield url
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("head", "body"),
    [
        pytest.param(
            TOKEN_HEAD,
            {"error": "invalid_request", "error_code": "KOE001"},
            id="kauth /oauth/token",
        ),
        pytest.param(STATE_HEAD, {"error": "REQUEST_TIMEOUT"}, id="control PUT /_mock/state"),
        pytest.param(KAPI_HEAD, {"code": -2}, id="kapi /v1/user/unlink"),
    ],
)
async def test_the_fake_answers_a_slow_body_408_in_its_dialect_and_closes(
    fake_url: str, head: bytes, body: dict[str, Any]
) -> None:
    received = await answer_then_close(fake_url, head, drip=LONG_DRIP)
    status, answer = _status_and_body(received)
    assert status == 408
    assert answer.items() >= body.items()
    assert b"Connection: close" in received.split(b"\r\n\r\n")[0]


async def test_the_service_closes_a_slow_body(mock_kakao: Any, tmp_path: Path) -> None:
    settings = make_settings(
        mock_kakao.url,
        f"sqlite+aiosqlite:///{tmp_path / 'service.sqlite3'}",
        http_body_timeout=DEADLINE,
    )
    head = (
        b"POST /auth/kakao HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer x\r\n"
        b"Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n"
    )
    async with running_service(settings) as service:
        assert await answer_then_close(service.url, head, drip=LONG_DRIP) == b""


@contextlib.asynccontextmanager
async def page_server(**limits: Any) -> AsyncIterator[str]:
    app = create_page_app("http://127.0.0.1:1", "http://127.0.0.1:2", 10001, **limits)
    runner = CappedRunner(app, max_connections=CAP, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_the_page_closes_a_slow_body() -> None:
    head = (
        b"POST /config.json HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n"
    )
    async with page_server(body_timeout=DEADLINE) as url:
        received = await answer_then_close(url, head, drip=LONG_DRIP)
    assert received == b"" or received.startswith(b"HTTP/1.1 405")


# -- connection caps -------------------------------------------------------------------------


async def _open(url: str, count: int) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    address = urlsplit(url)
    return [await asyncio.open_connection(address.hostname, address.port) for _ in range(count)]


async def _closed_by_server(reader: asyncio.StreamReader) -> bool:
    """Whether the server closed this idle connection (EOF or reset) within a generous bound."""
    try:
        async with asyncio.timeout(5):
            return await reader.read(1) == b""
    except ConnectionError:
        return True
    except TimeoutError:
        return False


async def _check_cap(url: str) -> None:
    """CAP idle connections are kept; the next one is closed at once; once one of the CAP
    goes, a new one is served."""
    held = await _open(url, CAP)
    try:
        [(over_reader, over_writer)] = await _open(url, 1)
        assert await _closed_by_server(over_reader)
        over_writer.close()
        for reader, _ in held:
            assert not reader.at_eof()
        held.pop()[1].close()
        await asyncio.sleep(0.2)  # the server sees the close
        [(reader, writer)] = await _open(url, 1)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        async with asyncio.timeout(10):
            assert (await reader.read()).startswith(b"HTTP/1.1 ")
        writer.close()
    finally:
        for _, writer in held:
            writer.close()


async def test_the_fake_closes_connections_over_its_cap(fake_url: str) -> None:
    await _check_cap(fake_url)


async def test_the_page_closes_connections_over_its_cap() -> None:
    async with page_server() as url:
        await _check_cap(url)


async def test_the_service_closes_connections_over_its_cap(mock_kakao: Any, tmp_path: Path) -> None:
    settings = make_settings(
        mock_kakao.url,
        f"sqlite+aiosqlite:///{tmp_path / 'service.sqlite3'}",
        http_max_connections=CAP,
    )
    async with running_service(settings) as service:
        await _check_cap(service.url)


def test_the_service_cap_is_a_setting_with_a_default() -> None:
    assert Settings.from_env({"SECRET_KEY": "k" * 32}).http_max_connections == 400
    environ = {"SECRET_KEY": "k" * 32, "HTTP_MAX_CONNECTIONS": "7"}
    assert Settings.from_env(environ).http_max_connections == 7
    with pytest.raises(SettingsError, match="HTTP_MAX_CONNECTIONS"):
        Settings.from_env({"SECRET_KEY": "k" * 32, "HTTP_MAX_CONNECTIONS": "0"})


# -- starvation in run_all -------------------------------------------------------------------

#: run_all's descriptors: low enough that 300 connections to the fake would take them all
FD_LIMIT = 256
SLOW_CONNECTIONS = 300


def _low_fd_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))


@contextlib.contextmanager
def run_all_with_few_descriptors(tmp_path: Path) -> Iterator[RunAll]:
    stdout_path, stderr_path = tmp_path / "run.stdout", tmp_path / "run.stderr"
    args = [*RUN_ALL, "--no-browser", *ZERO_PORTS, f"--data-dir={tmp_path / 'data'}"]
    # Caps that fit FD_LIMIT, as the defaults fit 1024.
    env = clean_env(
        MOCK_KAKAO_MAX_CONNECTIONS="60", HTTP_MAX_CONNECTIONS="60", HARNESS_UI_MAX_CONNECTIONS="20"
    )
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=stdout, stderr=stderr, preexec_fn=_low_fd_limit
        )
    run = RunAll(process, stdout_path, stderr_path)
    try:
        wait_for_banner(run)
        yield run
    finally:
        process.kill()
        process.wait()


def _healthz(url: str) -> int | None:
    """The service's /healthz status, or None when it does not answer within 10 s."""
    address = urlsplit(url)
    try:
        with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
    except OSError:
        return None
    return int(received.split()[1]) if received.startswith(b"HTTP/") else None


def test_slow_connections_to_the_fake_do_not_starve_the_service(tmp_path: Path) -> None:
    with run_all_with_few_descriptors(tmp_path) as run:
        kakao = urlsplit(run.urls["kakao"])
        slow = []
        try:
            for _ in range(SLOW_CONNECTIONS):
                sock = socket.create_connection((kakao.hostname, kakao.port), timeout=5)
                sock.sendall(TOKEN_HEAD[: len(TOKEN_HEAD) - 10])  # a head that never ends
                slow.append(sock)
            time.sleep(1.5)  # the fake has accepted (or refused) them all
            assert _healthz(run.urls["service"]) == 200
            log_bytes = run.stderr_path.stat().st_size
        finally:
            for sock in slow:
                sock.close()
        print(
            f"\nrun_all under ulimit -n {FD_LIMIT}, {SLOW_CONNECTIONS} slow connections: "
            f"stderr {log_bytes} bytes"
        )


async def test_the_page_started_alone_closes_connections_over_its_cap() -> None:
    """`python -m harness_ui` (the page without run_all) has the same cap, from its flag."""
    port = free_port()
    page = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "harness_ui", "--port", str(port), "--max-connections", str(CAP)),
        stdout=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        async with asyncio.timeout(30):
            while True:
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                except ConnectionRefusedError:
                    assert page.returncode is None, "python -m harness_ui exited"
                    await asyncio.sleep(0.1)
                    continue
                writer.close()
                break
        await asyncio.sleep(0.2)  # the probe's close is seen before the cap is counted
        await _check_cap(url)
    finally:
        page.terminate()
        async with asyncio.timeout(10):
            await page.wait()
