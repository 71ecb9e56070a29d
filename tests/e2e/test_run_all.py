"""run_all.py as a new user runs it: a real process, real ports, real signals."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN_ALL = [sys.executable, str(ROOT / "run_all.py")]
#: Generous: CI machines are slower than desks. The < 2 s targets are printed, not asserted.
READY_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
#: how much shorter than the measured exit "Stopped in" may say: signal delivery, the kernel
#: ending the process, and this test's wait for it
STOPPED_IN_SLACK = 0.5
_no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
KAKAO_TOKEN = "mock-token-full-consent"
SIGN_UP = {"kakao_id": 4000000001, "user_name": "김카카오", "email": "kim@example.com"}
ZERO_PORTS = ("--service-port=0", "--kakao-port=0", "--ui-port=0")
#: the banner's label of each URL, and the name the tests use for it
BANNER_NAMES = {"Harness page": "ui", "Service": "service", "Fake Kakao": "kakao"}
BANNER_URL = re.compile(r"^  (Harness page|Service|Fake Kakao)\s+(http://\S+)", re.MULTILINE)


def clean_env(**extra: str) -> dict[str, str]:
    """No CI display tricks and no inherited harness settings: only what each test passes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    env.pop("SECRET_KEY", None)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
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


@dataclass
class RunAll:
    """A running `run_all.py`; its stdout and stderr go to files, so a chatty run never blocks
    on a full pipe."""

    process: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path
    urls: dict[str, str] = field(default_factory=dict)

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def stop(self, sig: signal.Signals) -> tuple[int, str, float]:
        """Send `sig`; (exit status, stdout, seconds it took to exit)."""
        started = time.monotonic()
        self.process.send_signal(sig)
        code = self.process.wait(timeout=STOP_TIMEOUT)
        return code, self.stdout, time.monotonic() - started


def banner_urls(stdout: str) -> dict[str, str] | None:
    """The three URLs from the ready banner, or None before it is complete."""
    found = dict(BANNER_URL.findall(stdout))
    if len(found) < len(BANNER_NAMES):
        return None
    return {key: found[name] for name, key in BANNER_NAMES.items()}


def wait_for_banner(run: RunAll) -> None:
    """Until run_all printed where it listens (every port is 0: it picks, the banner says)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while (urls := banner_urls(run.stdout)) is None:
        if run.process.poll() is not None:
            pytest.fail(f"run_all.py exited early with {run.process.returncode}: {run.stderr}")
        if time.monotonic() > deadline:
            pytest.fail(f"run_all.py printed no banner within {READY_TIMEOUT} s: {run.stderr}")
        time.sleep(0.05)
    run.urls = urls


@contextmanager
def run_all(tmp_path: Path, *extra: str, **env: str) -> Iterator[RunAll]:
    """run_all.py on free ports, --no-browser, data in tmp_path/data; yields it once ready."""
    runs = len(list(tmp_path.glob("run-*.stdout")))
    stdout_path, stderr_path = tmp_path / f"run-{runs}.stdout", tmp_path / f"run-{runs}.stderr"
    args = [*RUN_ALL, "--no-browser", *ZERO_PORTS, f"--data-dir={tmp_path / 'data'}", *extra]
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            args, cwd=ROOT, env=clean_env(**env), stdout=stdout, stderr=stderr
        )
    run = RunAll(process, stdout_path, stderr_path)
    try:
        wait_for_banner(run)
        yield run
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def run_to_end(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """run_all.py with `args`, for a run that ends by itself (--smoke, or refusing to start)."""
    return subprocess.run(
        [*RUN_ALL, *args],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_smoke_runs_every_case_and_exits_0() -> None:
    result = run_to_end("--smoke", timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    header = result.stdout.splitlines()[0].split()
    assert header == ["case", "expected", "got", "ok"]
    for outcome in (
        "201 CREATE_ACCOUNT",
        "200 LOGIN_SUCCESS",
        "401 INVALID_TOKEN",
        "403 KAKAO_ID_MISMATCH",
        "502 KAKAO_UNAVAILABLE",
        "401 TOKEN_FOR_ANOTHER_APP",
    ):
        assert outcome in result.stdout
    # Kakao id_tokens (issue 11): a login with one, and the two refusals
    cases = [line.split("  ")[0] for line in result.stdout.splitlines()]
    assert "id_token (4000000001): GET /auth/kakao, Bearer" in cases
    assert "id_token (4000000001): POST /auth/kakao with its nonce" in cases
    assert "id_token of another app: GET /auth/kakao" in cases
    assert "expired id_token: GET /auth/kakao" in cases
    assert "FAIL" not in result.stdout
    assert "all as expected" in result.stdout


def sign_up(run: RunAll) -> str:
    """Sign the full-consent user up through the service; our JWT."""
    url = f"{run.urls['service']}/auth/kakao"
    status, body = http("POST", url, SIGN_UP, {"Authorization": KAKAO_TOKEN})
    assert status == 201, body
    return body["token"]


def bearer(jwt: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt}"}


def run_and_refuse(*args: str) -> subprocess.CompletedProcess[str]:
    """run_all.py expected to refuse to start: exit 2, one line on stderr, no traceback."""
    result = run_to_end("--no-browser", *args, timeout=30)
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result


@pytest.mark.parametrize("flag", ["--service-port", "--kakao-port", "--ui-port"])
def test_a_busy_port_is_one_line_naming_the_flag(tmp_path: Path, flag: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        ports = {f: "0" for f in ("--service-port", "--kakao-port", "--ui-port")}
        ports[flag] = str(port)
        args = [f"--data-dir={tmp_path}", *(item for pair in ports.items() for item in pair)]
        result = run_and_refuse(*args)
    assert str(port) in result.stderr and flag in result.stderr


def test_several_busy_ports_are_all_named_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as first, socket.socket() as second:
        for busy in (first, second):
            busy.bind(("127.0.0.1", 0))
            busy.listen()
        service_port, ui_port = first.getsockname()[1], second.getsockname()[1]
        result = run_and_refuse(
            f"--data-dir={tmp_path / 'data'}",
            f"--service-port={service_port}",
            "--kakao-port=0",
            f"--ui-port={ui_port}",
        )
    for port, flag in ((service_port, "--service-port"), (ui_port, "--ui-port")):
        assert f"127.0.0.1:{port} ({flag})" in result.stderr
    assert "--kakao-port" not in result.stderr
    assert not (tmp_path / "data").exists()  # a refused start leaves no data folder behind


@pytest.mark.parametrize("smoke", [[], ["--smoke"]], ids=["serve", "smoke"])
def test_a_non_loopback_host_needs_allow_remote(tmp_path: Path, smoke: list[str]) -> None:
    """The fake's admin API has no authentication and shows every token in full."""
    result = run_and_refuse(*smoke, "--host", "0.0.0.0", *ZERO_PORTS, f"--data-dir={tmp_path}")
    assert "0.0.0.0" in result.stderr and "--allow-remote" in result.stderr


def test_allow_remote_binds_everywhere_and_tells_the_fake(tmp_path: Path) -> None:
    """With HARNESS_ALLOW_REMOTE the fake's admin API answers requests addressed to a
    non-loopback name too (what a colleague on the network sends); without it, it refuses them."""
    with run_all(tmp_path, "--host", "0.0.0.0", HARNESS_ALLOW_REMOTE="1") as run:
        kakao = run.urls["kakao"]
        status, users = http("GET", f"{kakao}/_mock/users", headers={"Host": "harness.example"})
        assert status == 200 and len(users["users"]) == 10
        assert http("GET", f"{run.urls['service']}/healthz")[0] == 200
        assert run.stop(signal.SIGTERM)[0] == 0


def test_starts_answers_on_all_three_urls_and_stops_on_sigterm(tmp_path: Path) -> None:
    with run_all(tmp_path) as run:
        urls = run.urls
        status, page = http("GET", f"{urls['ui']}/")
        assert status == 200 and "Kakao login harness" in page
        status, config = http("GET", f"{urls['ui']}/config.json")
        assert config["service_url"] == urls["service"] and config["kakao_url"] == urls["kakao"]
        assert http("GET", f"{urls['service']}/healthz")[0] == 200
        status, users = http("GET", f"{urls['kakao']}/_mock/users")
        assert status == 200 and len(users["users"]) == 10
        status, _ = http("GET", f"{urls['kakao']}/_mock/users", headers={"Host": "evil.example"})
        assert status == 403  # not --allow-remote: the fake keeps its admin API to loopback

        code, out, seconds = run.stop(signal.SIGTERM)
    assert code == 0
    stopped = re.search(r"^Stopped in (\d+\.\d\d) s\.$", out, re.MULTILINE)
    assert stopped is not None
    # It says how long the prompt took to come back: from the signal to the process's exit,
    # so not 0.01 s for an exit that took 1.8 s (the interpreter's teardown came after it).
    # A lower bound only, with room for a loaded machine's scheduling.
    assert float(stopped.group(1)) >= seconds - STOPPED_IN_SLACK
    assert seconds < STOP_TIMEOUT
    assert KAKAO_TOKEN in out  # the token table
    for key in ("REST API key mock-rest-api-key", "JavaScript key mock-javascript-key"):
        assert key in out  # the fake app's keys, for a frontend's Kakao.init and a backend
    assert "admin key mock-admin-key" in out and "client secret off" in out


def test_logs_requests_at_info_without_tokens(tmp_path: Path) -> None:
    """run_all sets up logging (INFO, on stderr): request lines of the service and the fake,
    but neither the Kakao token nor our JWT."""
    with run_all(tmp_path) as run:
        jwt = sign_up(run)
        me = http("GET", f"{run.urls['service']}/users/me", headers=bearer(jwt))
        assert me[0] == 200
        assert run.stop(signal.SIGTERM)[0] == 0
    logged = run.stderr
    assert " INFO tornado.access: 201 POST /auth/kakao " in logged
    assert " INFO tornado.access: 200 GET /users/me " in logged
    assert " INFO mock_kakao.requests: GET /v1/user/access_token_info 200 " in logged
    assert KAKAO_TOKEN not in logged and jwt not in logged


def test_accounts_and_tokens_survive_a_restart(tmp_path: Path) -> None:
    """The SQLite file and the generated secret live in --data-dir, so a JWT from the first
    run still opens /users/me in the second."""
    with run_all(tmp_path) as run:
        jwt = sign_up(run)
        assert run.stop(signal.SIGINT)[0] == 0
    data = tmp_path / "data"
    # SQLite deletes its write-ahead log when the last connection closes: the engine was disposed.
    assert not (data / "kakao_login.sqlite3-wal").exists()

    secret = data / "secret_key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    with run_all(tmp_path) as run:
        status, body = http("GET", f"{run.urls['service']}/users/me", headers=bearer(jwt))
        assert status == 200, body
        assert body["result"]["kakao_id"] == 4000000001
        assert run.stop(signal.SIGTERM)[0] == 0


def test_the_admin_token_is_new_each_run_opens_the_accounts_and_is_never_printed(
    tmp_path: Path,
) -> None:
    """run_all.py hands the service's ADMIN_TOKEN to the page (in /config.json) and nowhere else."""
    tokens = []
    for _run in range(2):
        with run_all(tmp_path) as run:
            urls = run.urls
            _, config = http("GET", f"{urls['ui']}/config.json")
            admin_token = config["admin_token"]
            tokens.append(admin_token)
            assert len(admin_token) >= 32
            status, _ = http("POST", f"{urls['service']}/auth/kakao", SIGN_UP, bearer(KAKAO_TOKEN))
            assert status in (200, 201)
            status, page = http(
                "GET", f"{urls['service']}/admin/accounts", headers=bearer(admin_token)
            )
            assert status == 200 and page["result"][0]["kakao_id"] == SIGN_UP["kakao_id"]
            status, refused = http(
                "GET", f"{urls['service']}/admin/accounts", headers=bearer("x" * 40)
            )
            assert (status, refused) == (401, {"message": "INVALID_ADMIN_TOKEN"})
            forbidden = {"Sec-Fetch-Site": "cross-site"}
            assert http("GET", f"{urls['ui']}/config.json", headers=forbidden)[0] == 403
            code, out, _seconds = run.stop(signal.SIGTERM)
            assert code == 0
            assert admin_token not in out and admin_token not in run.stderr
    assert tokens[0] != tokens[1]
