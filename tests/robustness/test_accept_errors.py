"""A server out of file descriptors logs its failing ``accept()`` once per interval (issue 19
item 12): before, asyncio's accept loop (the fake) and Tornado's (the service) wrote a traceback
per attempt, 484 MB in 100 s under run_all.

Each server runs as a real process under a low ``ulimit -n`` (its connection cap set above it,
so the descriptors do run out) and gets many connections; the test counts what it logged.
"""

from __future__ import annotations

import errno
import logging
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import logsafe
from tests.service.support import SECRET_KEY
from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parents[2]
FD_LIMIT = 64
CONNECTIONS = 150
#: how long the connections are held: well within AcceptErrorFilter's 10 s
HELD_SECONDS = 3.0
TOO_MANY = "Too many open files"


def _low_fd_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)


@contextmanager
def server_process(kind: str, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """`python -m mock_kakao` or `python -m service` on a free port under FD_LIMIT."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if kind == "fake":
        args = ["-m", "mock_kakao", "--port", str(port)]
        env["MOCK_KAKAO_MAX_CONNECTIONS"] = "10000"
    else:
        args = ["-m", "service"]
        env.update(
            SECRET_KEY=SECRET_KEY,
            KAKAO_API_URL="http://127.0.0.1:1",
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'service.sqlite3'}",
            HOST="127.0.0.1",
            PORT=str(port),
            HTTP_MAX_CONNECTIONS="10000",
        )
    log = tmp_path / f"{kind}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
            preexec_fn=_low_fd_limit,
        )
    try:
        _wait_for_port(port, process, log)
        yield port, log
    finally:
        process.kill()
        process.wait()


@pytest.mark.parametrize("kind", ["fake", "service"])
def test_out_of_descriptors_is_logged_once_per_interval(kind: str, tmp_path: Path) -> None:
    with server_process(kind, tmp_path) as (port, log):
        before = log.stat().st_size
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(CONNECTIONS)]
        try:
            time.sleep(HELD_SECONDS)
            written = log.stat().st_size - before
            text = log.read_text(errors="replace")
        finally:
            for sock in held:
                sock.close()
    print(
        f"\n{kind} under ulimit -n {FD_LIMIT}, {CONNECTIONS} connections for {HELD_SECONDS} s: "
        f"{written} log bytes, {text.count(TOO_MANY)} '{TOO_MANY}'"
    )
    assert 1 <= text.count(TOO_MANY) <= 2  # one record: its message and its traceback
    assert written < 20_000


def _record(message: str, error: BaseException | None) -> logging.LogRecord:
    exc_info = (type(error), error, None) if error is not None else None
    return logging.LogRecord("asyncio", logging.ERROR, __file__, 1, message, None, exc_info)


def test_the_filter_lets_one_accept_error_through_per_interval_and_counts_the_rest() -> None:
    now = [0.0]
    accept_filter = logsafe.AcceptErrorFilter(10.0, clock=lambda: now[0])
    emfile = OSError(errno.EMFILE, TOO_MANY)
    passed = []
    for second in range(25):
        now[0] = float(second)
        for _ in range(100):
            record = _record("socket.accept() out of system resource", emfile)
            if accept_filter.filter(record):
                passed.append(record)
    assert len(passed) == 3  # at 0, 10 and 20 s
    assert passed[0].exc_info is not None  # the first keeps its traceback
    assert "999 more such records" in passed[1].getMessage()
    assert passed[1].exc_info is None
    other = _record("Exception in callback", ValueError("not an accept error"))
    assert accept_filter.filter(other) and other.exc_info is not None
