"""``python -m mock_kakao --state FILE`` as real processes: the state survives a restart and a
``kill -9``, and a bad state file stops the start without being touched."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import requests

from mock_kakao.world import persist
from mock_kakao.world.persist import keys_file_for, read_state
from mock_kakao.world.state import FakeKakao
from tests.mock_kakao.helpers import (
    FULL_ID,
    IN_KAKAOTALK,
    REDIRECT_URI,
    exchange_code,
    pick_user,
)
from tests.mock_kakao.test_cli import environment

ROOT = Path(__file__).resolve().parents[3]
ADMIN_KEY = {"Authorization": "KakaoAK mock-admin-key"}
KILL_ROUNDS = 4


@dataclass
class Fake:
    """A fake running in another process: where it is, as the page helpers need it."""

    url: str
    process: subprocess.Popen[str]
    client_id: str = "mock-rest-api-key"

    def authorize_url(self, redirect_uri: str, **params: str) -> str:
        query = {"client_id": self.client_id, "redirect_uri": redirect_uri, "response_type": "code"}
        return f"{self.url}/oauth/authorize?{urllib.parse.urlencode({**query, **params})}"


def session() -> requests.Session:
    http = requests.Session()
    http.trust_env = False  # loopback: never through a proxy from the environment
    return http


def start(state: Path, *args: str) -> Fake:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mock_kakao",
            "--port",
            "0",
            "--quiet",
            "--state",
            str(state),
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
        cwd=ROOT,
    )
    line = process.stdout.readline()  # type: ignore[union-attr]
    assert "listening on http://" in line, process.stderr.read()  # type: ignore[union-attr]
    return Fake(line.split("listening on ")[1].split()[0], process)


@contextmanager
def running(state: Path, *args: str) -> Iterator[Fake]:
    fake = start(state, *args)
    try:
        yield fake
    finally:
        fake.process.send_signal(signal.SIGTERM)
        assert fake.process.wait(timeout=10) == 0


def admin(http: requests.Session, fake: Fake, method: str, path: str, body: object = None):
    answer = http.request(method, fake.url + path, json=body, timeout=10)
    assert answer.status_code < 300, (method, path, answer.status_code, answer.text)
    return answer.json() if answer.content else None


async def test_a_restart_keeps_users_tokens_consents_settings_clock_faults_and_keys(tmp_path):
    state_file = tmp_path / "state.json"
    http = session()
    jar = aiohttp.CookieJar(unsafe=True)
    with running(state_file) as fake:
        admin(http, fake, "POST", "/_mock/users", {"id": 1234, "nickname": "하나"})
        admin(http, fake, "PATCH", "/_mock/users/1234", {"label": "patched"})
        issued = admin(
            http, fake, "POST", "/_mock/users/1234/tokens", {"scope": "openid", "nonce": "n-1"}
        )
        async with aiohttp.ClientSession(cookie_jar=jar) as browser:  # a login without email
            redirect = await pick_user(browser, fake, FULL_ID, consent=("nickname",))  # type: ignore[arg-type]
            status, exchanged = await exchange_code(browser, fake, redirect.query["code"])  # type: ignore[arg-type]
        assert status == 200
        admin(http, fake, "PATCH", "/_mock/app", {"web_domains": ["https://app.example.com"]})
        admin(http, fake, "POST", "/_mock/clock", {"advance": 100})
        admin(http, fake, "POST", "/_mock/faults", {"kind": "error", "path": "/v1/x", "times": 3})
        admin(http, fake, "POST", "/_mock/keys/rotate", {})
        before = admin(http, fake, "GET", "/_mock/state")
        keys = admin(http, fake, "GET", "/_mock/keys")

    assert oct(state_file.stat().st_mode & 0o777) == "0o600"
    assert keys_file_for(state_file).is_file()  # the signing keys: beside it, never inside
    assert "PRIVATE KEY" not in state_file.read_text("utf-8")
    with running(state_file) as fake:
        # everything, with the same expiry times on the fake's clock and the same offset
        assert admin(http, fake, "GET", "/_mock/state") == before
        assert admin(http, fake, "GET", "/_mock/keys") == keys
        me = http.get(
            fake.url + "/v2/user/me",
            headers={"Authorization": f"Bearer {issued['access_token']}"},
            timeout=10,
        )
        assert me.json()["kakao_account"]["profile"]["nickname"] == "하나"
        narrowed = http.get(
            fake.url + "/v2/user/me",
            headers={"Authorization": f"Bearer {exchanged['access_token']}"},
            timeout=10,
        ).json()
        assert narrowed["kakao_account"]["email_needs_agreement"] is True
        info = http.post(fake.url + "/oauth/tokeninfo", data={"id_token": issued["id_token"]})
        assert (info.status_code, info.json()["nonce"]) == (200, "n-1")
        linked = http.get(
            fake.url + "/v2/user/me",
            params={"target_id_type": "user_id", "target_id": str(FULL_ID)},
            headers=ADMIN_KEY,
            timeout=10,
        ).json()  # the consent the person gave is still what the app sees
        assert linked["kakao_account"]["email_needs_agreement"] is True
        app = admin(http, fake, "GET", "/_mock/app")
        assert app["web_domains"] == ["https://app.example.com"]
        # the browser's session cookie is signed per process: in KakaoTalk, where prompt=none
        # could log in silently, the browser must log in again
        async with aiohttp.ClientSession(cookie_jar=jar, headers=IN_KAKAOTALK) as browser:
            url = fake.authorize_url(REDIRECT_URI, prompt="none")
            async with browser.get(url, allow_redirects=False) as answer:
                assert "error=login_required" in answer.headers["Location"]


def test_reset_goes_back_to_the_users_file_and_the_file_follows(tmp_path):
    state_file = tmp_path / "state.json"
    http = session()
    with running(state_file) as fake:
        admin(http, fake, "DELETE", "/_mock/users/4000000001")
        admin(http, fake, "POST", "/_mock/reset")
    with running(state_file) as fake:
        ids = [user["id"] for user in admin(http, fake, "GET", "/_mock/users")["users"]]
        assert 4000000001 in ids


def test_kill_9_during_heavy_changes_never_leaves_a_broken_file(tmp_path):
    state_file = tmp_path / "state.json"
    http = session()
    created = 0
    for _ in range(KILL_ROUNDS):
        fake = start(state_file)
        first = state_file.read_bytes()
        stop = threading.Event()

        def churn(fake: Fake = fake, stop: threading.Event = stop) -> None:
            nonlocal created
            while not stop.is_set():
                created += 1
                body = {"id": 10_000 + created, "nickname": "x" * 200}
                try:
                    http.post(fake.url + "/_mock/users", json=body, timeout=5)
                    http.post(
                        f"{fake.url}/_mock/users/{10_000 + created}/tokens", json={}, timeout=5
                    )
                except requests.ConnectionError:
                    return

        worker = threading.Thread(target=churn)
        worker.start()
        deadline = 200  # the file has been rewritten at least once under load, or we give up
        while state_file.read_bytes() == first and deadline:
            deadline -= 1
            stop.wait(0.05)
        fake.process.send_signal(signal.SIGKILL)
        fake.process.wait(timeout=10)
        stop.set()
        worker.join(timeout=10)
        loaded = read_state(state_file)  # a whole, valid state: never half a file
        assert loaded is not None and len(loaded[0].users) >= 8
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    with running(state_file):
        assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert len(leftovers) <= KILL_ROUNDS  # a killed write leaves at most its temporary file


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"{not json", "not a valid state: the body is not valid JSON"),
        (b"", "not a valid state"),
        (json.dumps({"version": 1}).encode(), "clock is required"),
        (json.dumps({"version": 2}).encode(), "version must be 1"),
        (None, "not a regular file"),
    ],
)
def test_a_bad_state_file_stops_the_start_and_is_left_alone(tmp_path, content, problem):
    state_file = tmp_path / "state.json"
    if content is None:
        state_file.mkdir()
    else:
        state_file.write_bytes(content)
    done = subprocess.run(
        [sys.executable, "-m", "mock_kakao", "--port", "0", "--state", str(state_file)],
        capture_output=True,
        text=True,
        env=environment(),
        cwd=ROOT,
        timeout=30,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(state_file) in lines[0] and problem in lines[0], lines
    assert content is None or state_file.read_bytes() == content


def test_the_state_file_comes_from_the_environment_too(tmp_path):
    state_file = tmp_path / "env-state.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_kakao", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        text=True,
        env=environment(MOCK_KAKAO_STATE=str(state_file)),
        cwd=ROOT,
    )
    try:
        assert "listening on" in process.stdout.readline()  # type: ignore[union-attr]
        assert read_state(state_file) is not None  # written at start
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    assert os.stat(state_file).st_mode & 0o777 == 0o600


async def test_the_periodic_save_writes_the_file_off_the_event_loop(tmp_path, monkeypatch):
    """Issue 19 item 11: the loop run_all shares with the service must not wait on the disk."""
    writers: list[int] = []
    real_write = persist.write_atomic

    def recording_write(path, data):
        writers.append(threading.get_ident())
        real_write(path, data)

    state = FakeKakao.from_file()
    saver = persist.open_state(state, tmp_path / "state.json", interval=0.01)
    monkeypatch.setattr(persist, "write_atomic", recording_write)
    saver.start()
    state.issue_token(FULL_ID)
    state.touch()
    for _ in range(500):  # bounded only for a failure; the save comes within a few intervals
        if writers:
            break
        await asyncio.sleep(0.01)
    await saver.close()
    assert writers and writers[0] != threading.get_ident()
    assert read_state(tmp_path / "state.json") is not None
