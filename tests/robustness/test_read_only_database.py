"""A database that answers reads but refuses writes: `/healthz` says 503, not 200 (issue 10,
item 7). Every log-in writes (`last_login_at`), so such a service cannot do its job.

SQLite: the file made read-only (0444) as an operator would, the service started on it, then
the file made writable again. As root a file mode stops nothing, so the service runs as root
without its capabilities (tests/support/unprivileged.py), to which modes apply.
PostgreSQL: `default_transaction_read_only=on` through ALTER SYSTEM and a reload, as a
read-only switch (or a standby, where `transaction_read_only` is on too) looks to the service.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg

from mock_kakao.testing import MockKakao
from tests.e2e.test_run_all import http
from tests.robustness.contract import Contract
from tests.robustness.support import CheckedService
from tests.service.support import (
    FULL_CONSENT_ID,
    FULL_CONSENT_TOKEN,
    SECRET_KEY,
    make_settings,
    running_service,
)
from tests.support.postgres import ThrowawayPostgres, free_port
from tests.support.unprivileged import unprivileged

ROOT = Path(__file__).resolve().parents[2]
DOWN = {"message": "DATABASE_UNAVAILABLE"}
DEADLINE = 30.0
SIGN_IN = {"kakao_id": FULL_CONSENT_ID, "user_name": "김카카오", "email": None}
KAKAO = {"Authorization": f"Bearer {FULL_CONSENT_TOKEN}"}


@contextmanager
def unprivileged_service(database: Path, kakao_url: str, log: Path) -> Iterator[str]:
    """`python -m service` without root's capabilities, on `database`; yields its URL once it
    answers `/healthz` at all (a read-only database must not stop it from starting)."""
    port = free_port()
    env = {
        **os.environ,
        "SECRET_KEY": SECRET_KEY,
        "KAKAO_API_URL": kakao_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("ab") as out:
        process = subprocess.Popen(
            unprivileged(sys.executable, "-m", "service"),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + DEADLINE
        while True:
            try:
                http("GET", f"{url}/healthz")
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, log.read_text()


def test_sqlite_read_only_file_is_unhealthy_until_writable(
    tmp_path: Path, mock_kakao: MockKakao
) -> None:
    database = tmp_path / "db" / "service.sqlite3"
    log = tmp_path / "service.log"
    with unprivileged_service(database, mock_kakao.url, log) as url:
        assert http("POST", f"{url}/auth/kakao", SIGN_IN, KAKAO)[0] == 201

    for path in database.parent.iterdir():  # the file, and -wal/-shm should they be left
        path.chmod(0o444)
    with unprivileged_service(database, mock_kakao.url, log) as url:
        assert http("GET", f"{url}/healthz") == (503, DOWN)
        status, body = http("GET", f"{url}/auth/kakao", headers=KAKAO)
        assert (status, body["result"]["is_user"]) == (200, True)  # reads still work
        assert http("POST", f"{url}/auth/kakao", SIGN_IN, KAKAO) == (503, DOWN)

        for path in database.parent.iterdir():
            path.chmod(0o600)
        # No restart: connections opened read-only are dropped, new ones can write.
        assert http("GET", f"{url}/healthz") == (200, {"status": "ok"})
        assert http("POST", f"{url}/auth/kakao", SIGN_IN, KAKAO)[0] == 200
    output = log.read_text()
    assert "Traceback" not in output
    assert "readonly database" in output


async def _set_read_only(server: ThrowawayPostgres, on: bool) -> None:
    connection = await asyncpg.connect(server.url().replace("+asyncpg", ""))
    try:
        await connection.execute("SET default_transaction_read_only = off")
        value = "on" if on else "off"
        await connection.execute(f"ALTER SYSTEM SET default_transaction_read_only = {value}")
        await connection.execute("SELECT pg_reload_conf()")
    finally:
        await connection.close()


async def _until_health_is(service: CheckedService, status: int) -> Any:
    """Sessions take a reload when they next go idle: poll until the service's do."""
    deadline = time.monotonic() + DEADLINE
    while (answer := await service.request("GET", "/healthz")).status != status:
        assert time.monotonic() < deadline, answer
        await asyncio.sleep(0.05)
    return answer


async def test_postgresql_in_read_only_mode_is_unhealthy_until_writable(
    mock_kakao: MockKakao, contract: Contract
) -> None:
    with ThrowawayPostgres() as server:
        settings = make_settings(mock_kakao.url, server.create_database("readonly"))
        async with running_service(settings) as running:
            service = CheckedService(running, contract)
            assert (await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)).status == 201

            await _set_read_only(server, on=True)
            answer = await _until_health_is(service, 503)
            assert answer.body == DOWN
            assert (await service.look_up(FULL_CONSENT_TOKEN)).body["result"]["is_user"]
            answer = await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)
            assert (answer.status, answer.body) == (503, DOWN)

            await _set_read_only(server, on=False)
            await _until_health_is(service, 200)
            assert (await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)).status == 200
