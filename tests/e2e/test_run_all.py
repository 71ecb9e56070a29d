"""run_all.py as a new user runs it: a real process, real ports, real signals."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN_ALL = [sys.executable, str(ROOT / "run_all.py")]
#: Generous: CI machines are slower than desks. The < 2 s targets are printed, not asserted.
READY_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
_no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env() -> dict[str, str]:
    """No CI display tricks and no inherited harness settings: only what each test passes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    env.pop("SECRET_KEY", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def http(method: str, url: str, body: object = None, headers: dict | None = None) -> tuple:
    """(status, parsed JSON or text) without raising on 4xx/5xx."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with _no_proxy.open(request, timeout=5) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    text = raw.decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def wait_until_answering(url: str, process: subprocess.Popen) -> float:
    started = time.monotonic()
    while time.monotonic() - started < READY_TIMEOUT:
        if process.poll() is not None:
            pytest.fail(
                f"run_all.py exited early with {process.returncode}: {process.stderr.read()}"
            )
        try:
            http("GET", url)
            return time.monotonic() - started
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"run_all.py did not answer on {url} within {READY_TIMEOUT} s")


@contextmanager
def run_all(data_dir: Path, *extra: str) -> Iterator[tuple[subprocess.Popen, dict[str, str]]]:
    """run_all.py on free ports, --no-browser; yields the process and the three URLs."""
    ports = {"service": free_port(), "kakao": free_port(), "ui": free_port()}
    args = [
        *RUN_ALL,
        "--no-browser",
        f"--service-port={ports['service']}",
        f"--kakao-port={ports['kakao']}",
        f"--ui-port={ports['ui']}",
        f"--data-dir={data_dir}",
        *extra,
    ]
    process = subprocess.Popen(
        args, cwd=ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    try:
        wait_until_answering(f"{urls['ui']}/config.json", process)
        yield process, urls
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def stop(process: subprocess.Popen, sig: signal.Signals) -> tuple[int, str, float]:
    started = time.monotonic()
    process.send_signal(sig)
    out, _err = process.communicate(timeout=STOP_TIMEOUT)
    return process.returncode, out, time.monotonic() - started


def test_smoke_runs_every_case_and_exits_0() -> None:
    result = subprocess.run(
        [*RUN_ALL, "--smoke"],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    header = result.stdout.splitlines()[0].split()
    assert header == ["case", "expected", "got", "ok"]
    for outcome in (
        "201 CREATE_ACCOUNT",
        "200 LOGIN_SUCCESS",
        "401 INVALID_TOKEN",
        "403 KAKAO_ID_MISMATCH",
        "502 KAKAO_UNAVAILABLE",
    ):
        assert outcome in result.stdout
    assert "FAIL" not in result.stdout
    assert "all as expected" in result.stdout


@pytest.mark.parametrize("flag", ["--service-port", "--kakao-port", "--ui-port"])
def test_a_busy_port_is_one_line_naming_the_flag(tmp_path: Path, flag: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        ports = {f: str(free_port()) for f in ("--service-port", "--kakao-port", "--ui-port")}
        ports[flag] = str(port)
        args = [*RUN_ALL, "--no-browser", f"--data-dir={tmp_path}"]
        args += [item for pair in ports.items() for item in pair]
        result = subprocess.run(
            args, cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=30
        )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(port) in lines[0] and flag in lines[0]
    assert "Traceback" not in result.stderr


def test_starts_answers_on_all_three_urls_and_stops_on_sigterm(tmp_path: Path) -> None:
    with run_all(tmp_path) as (process, urls):
        status, page = http("GET", f"{urls['ui']}/")
        assert status == 200 and "Kakao login harness" in page
        status, config = http("GET", f"{urls['ui']}/config.json")
        assert config["service_url"] == urls["service"] and config["kakao_url"] == urls["kakao"]
        assert http("GET", f"{urls['service']}/healthz")[0] == 200
        status, users = http("GET", f"{urls['kakao']}/_mock/users")
        assert status == 200 and len(users["users"]) == 8

        code, out, seconds = stop(process, signal.SIGTERM)
    assert code == 0
    assert "Stopped" in out
    assert seconds < STOP_TIMEOUT
    assert urls["service"] in out and urls["kakao"] in out and urls["ui"] in out
    assert "mock-token-full-consent" in out  # the token table


def test_accounts_and_tokens_survive_a_restart(tmp_path: Path) -> None:
    """The SQLite file and the generated secret live in --data-dir, so a JWT from the first
    run still opens /users/me in the second."""
    token = {"Authorization": "mock-token-full-consent"}
    with run_all(tmp_path) as (process, urls):
        sign_up = {"kakao_id": 4000000001, "user_name": "김카카오", "email": "kim@example.com"}
        status, body = http("POST", f"{urls['service']}/auth/kakao", sign_up, token)
        assert status == 201, body
        jwt = body["token"]
        assert stop(process, signal.SIGINT)[0] == 0
    # SQLite deletes its write-ahead log when the last connection closes: the engine was disposed.
    assert not (tmp_path / "kakao_login.sqlite3-wal").exists()

    secret = tmp_path / "secret_key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    with run_all(tmp_path) as (process, urls):
        status, body = http(
            "GET", f"{urls['service']}/users/me", headers={"Authorization": f"Bearer {jwt}"}
        )
        assert status == 200, body
        assert body["result"]["kakao_id"] == 4000000001
        assert stop(process, signal.SIGTERM)[0] == 0
