"""What the three servers log about hostile requests: never a query-string token, never raw
request bytes, never a line the client wrote.

Every server gets the same raw requests (tokens in query strings, in a malformed request line, in
a header with a control character; paths that try to start a forged log line with %0a, %0d,
U+2028, NEL and friends, decoded and raw). Then its log is scanned: no secret, and no line (as
`str.splitlines` splits, so U+2028 and NEL count as line breaks) that starts with the forged
record. The real entry points run as processes (`python -m service` at DEBUG, `python -m
mock_kakao`, `run_all.py`), so their own log formatting is tested; the same servers also run in
this process with the root logger at DEBUG, as the fake does when it is a pytest plugin, so the
escaping at each call site is tested under a formatter that is not ours.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import time
import traceback
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from harness_ui.server import create_app as create_page_app
from logsafe import SafeFormatter, escape
from mock_kakao.testing import MockKakao
from tests.e2e.test_run_all import run_all
from tests.mock_kakao.test_cli import environment
from tests.robustness.processes import service_process
from tests.robustness.support import CheckedService, assert_no_secrets, raw_exchange

SECRET = "SECRET-in-the-query-0123456789"
HEADER_SECRET = "SECRET-in-a-header-0123456789"
#: a whole log record, as the servers' formats write one, that a request tries to forge
FORGED = "1999-12-31 23:59:59,999 WARNING service.store.db: FORGED"
FORGED_URL = FORGED.replace(" ", "%20").encode()
#: what the client puts between a real path and the forged record: each a line break to someone
BREAKS = [b"%0a", b"%0d", b"%0d%0a", b"%e2%80%a8", b"%e2%80%a9", b"%c2%85", b"%0b", b"%0c", b"\x85"]
KOREAN = "/v2/user/me/한국어"


def _get(target: bytes, *headers: bytes, method: bytes = b"GET") -> bytes:
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1", *headers]
    return b"\r\n".join([*lines, b"Connection: close", b"", b""])


HOSTILE: list[bytes] = [
    _get(b"/auth/kakao?access_token=" + SECRET.encode()),
    _get(b"/v2/user/me?access_token=" + SECRET.encode() + b"&x=1"),
    _get(b"/oauth/authorize?code=" + SECRET.encode()),
    # refused by the parsers, which used to quote the request line or header they choked on
    _get(b"/v2/user/me?access_token=" + SECRET.encode() + b"\x01"),
    _get(b"/v2/user/me", b"Authorization: Bearer " + HEADER_SECRET.encode() + b"\x01"),
    _get(b"/v2/user/me?access_token=" + SECRET.encode(), b"X-Bad: a\x01b"),
    _get(b"/x?access_token=" + SECRET.encode(), method=b"G\x01T"),
    _get(b"/v2/user/me%0a" + FORGED.encode()),  # raw spaces: a malformed request line
    *[_get(b"/v2/user/me" + separator + FORGED_URL) for separator in BREAKS],
    _get(KOREAN.encode()),  # raw UTF-8, which the fake decodes
    _get(b"/v2/user/me/%ED%95%9C%EA%B5%AD%EC%96%B4"),
]


async def send_hostile_requests(url: str) -> None:
    for request in HOSTILE:
        await raw_exchange(url, request)


def assert_clean(log: str, *, logs_paths: bool = True) -> None:
    """No secret, no forged line; and (where paths are logged) the forged text is there, on the
    line of the request that carried it, so the check is not passing on an empty log."""
    assert_no_secrets(log, SECRET, HEADER_SECRET)
    forged_lines = [line for line in log.splitlines() if line.startswith(FORGED[:10])]
    assert not forged_lines, f"forged log lines: {forged_lines}"
    carried = [line for line in log.splitlines() if "FORGED" in line]
    for line in carried:
        assert "/v2/user/me" in line.split("FORGED")[0], line
    if logs_paths:
        assert len(carried) >= len(BREAKS) - 1, log[-3000:]


# The entry points, as real processes


def test_service_process_logs_paths_only_and_one_line_each(
    tmp_path: Path, mock_kakao: MockKakao
) -> None:
    log_path = tmp_path / "service.log"
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'service.sqlite3'}"
    with service_process(log_path, kakao_url=mock_kakao.url, database_url=database_url) as running:
        asyncio.run(send_hostile_requests(running.url))
    log = running.output
    assert "DEBUG" in log and "tornado.access" in log
    assert_clean(log)


@contextmanager
def fake_process(stderr_path: Path) -> Iterator[str]:
    """`python -m mock_kakao` on a free port, its stderr into a file; yields its URL."""
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "mock_kakao", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=environment(),
            cwd=Path(__file__).resolve().parents[2],
        )
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        assert "listening on http://" in line, stderr_path.read_text()
        yield line.split("listening on ")[1].split()[0]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_fake_process_logs_paths_only_and_one_line_each(tmp_path: Path) -> None:
    stderr_path = tmp_path / "mock_kakao.stderr"
    with fake_process(stderr_path) as url:
        asyncio.run(send_hostile_requests(url))
        time.sleep(0.2)  # the log lines of the last requests
    log = stderr_path.read_text()
    assert "mock_kakao.requests" in log and "aiohttp.server" in log
    assert f"GET {KOREAN} 404" in log  # Korean stays readable
    assert_clean(log)


def test_run_all_logs_paths_only_and_one_line_each(tmp_path: Path) -> None:
    with run_all(tmp_path) as run:
        for name in ("service", "kakao", "ui"):
            asyncio.run(send_hostile_requests(run.urls[name]))
        time.sleep(0.2)
        log = run.stderr
    assert "tornado.access" in log and "mock_kakao.requests" in log
    assert_clean(log)


# The same servers in this process, logging at DEBUG through pytest's own formatter


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    for name in (None, "aiohttp", "tornado", "mock_kakao", "service"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


async def test_in_process_fake_escapes_at_debug(
    mock_kakao: MockKakao, debug_logs: pytest.LogCaptureFixture
) -> None:
    await send_hostile_requests(mock_kakao.url)
    assert f"GET {KOREAN} 404" in debug_logs.text
    assert_clean(debug_logs.text)


async def test_in_process_service_escapes_at_debug(
    service: CheckedService, debug_logs: pytest.LogCaptureFixture
) -> None:
    await send_hostile_requests(service.url)
    assert "tornado.access" in debug_logs.text
    assert_clean(debug_logs.text)


@pytest.fixture
async def page_url(mock_kakao: MockKakao) -> AsyncIterator[str]:
    """The page's server, served as harness_ui.stack serves it (no aiohttp access log: its
    `%r` is the request line, query included)."""
    app = create_page_app("http://127.0.0.1:1", mock_kakao.url, 10001)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_in_process_page_server_escapes_at_debug(
    page_url: str, debug_logs: pytest.LogCaptureFixture
) -> None:
    await send_hostile_requests(page_url)
    assert "aiohttp.server" in debug_logs.text  # it did complain about the malformed ones
    assert_clean(debug_logs.text, logs_paths=False)  # the page's server logs no request lines


# The pieces


@given(st.text())
def test_escaped_text_is_one_printable_line(text: str) -> None:
    escaped = escape(text)
    assert escaped.isprintable() and len(escaped.splitlines()) <= 1
    if text.isprintable():
        assert escaped == text  # Korean, emoji and the rest unchanged


def test_formatter_keeps_tracebacks_but_not_lines_from_their_messages() -> None:
    try:
        try:
            int(f"42\n{FORGED}\u2028{FORGED}")
        except ValueError as error:
            raise RuntimeError(f"bad id\r\n{FORGED}") from error
    except RuntimeError:
        record = logging.LogRecord(
            "service", logging.ERROR, __file__, 1, "in %s", (f"/a\n{FORGED}",), sys.exc_info()
        )
    record.exc_text = traceback.format_exc()  # cached, unescaped, by another handler
    text = SafeFormatter("%(levelname)s %(name)s: %(message)s").format(record)
    assert text.startswith("ERROR service: in /a\\n1999-12-31")
    assert "Traceback (most recent call last):" in text and "direct cause" in text
    assert "ValueError: invalid literal for int() with base 10: '42\\n1999" in text
    assert "RuntimeError: bad id\\r\\n1999-12-31" in text
    assert not [line for line in text.splitlines() if line.startswith(FORGED[:10])]
