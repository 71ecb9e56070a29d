"""``python -m mock_kakao`` as a real subprocess: starts fast, says where, refuses remote hosts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mock_kakao.files.usersfile import MAX_USERS_FILE_BYTES
from tests.support import brokenfiles as broken
from tests.support.unprivileged import unprivileged

ROOT = Path(__file__).resolve().parents[2]


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCK_KAKAO_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return {**env, **extra}


@contextmanager
def running(*args: str, **env: str) -> Iterator[tuple[str, str]]:
    """Start the fake; yield (its base URL, the line that announced it); stop it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_kakao", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(**env),
        cwd=ROOT,
    )
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        assert "listening on http://" in line, process.stderr.read()  # type: ignore[union-attr]
        url = line.split("listening on ")[1].split()[0]
        yield url, line
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def get_json(url: str, host: str | None = None) -> dict:
    """GET ``url`` (with another ``Host`` header if given); the JSON body, even of a 4xx."""
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        return json.load(error)


def test_starts_quickly_on_loopback_and_says_so():
    started = time.monotonic()
    with running("--port", "0") as (url, line):
        startup = time.monotonic() - started
        assert url.startswith("http://127.0.0.1:")
        assert "loopback only" in line
        assert len(get_json(url + "/_mock/users")["users"]) == 10
        assert get_json(url + "/_mock/users", host="evil.example")["error"] == "FORBIDDEN_HOST"
    assert startup < 5  # generous for a loaded CI machine; on a desk it is ~0.3 s


def test_flags_set_users_file_app_id_and_client_id(tmp_path):
    users = tmp_path / "users.toml"
    users.write_text('[[users]]\nid = 3\nnickname = "셋"\n', encoding="utf-8")
    with running(
        "--port", "0", "--users", str(users), "--app-id", "777", "--rest-api-key", "k"
    ) as (url, _):
        config = get_json(url + "/_mock/config")
        assert (config["app_id"], config["rest_api_key"]) == (777, "k")
        assert [user["id"] for user in get_json(url + "/_mock/users")["users"]] == [3]


def test_environment_variables_configure_it():
    with running(
        MOCK_KAKAO_PORT="0",
        MOCK_KAKAO_APP_ID="888",
        MOCK_KAKAO_REDIRECT_URIS="https://a.example/,https://b.example/",
    ) as (url, _):
        config = get_json(url + "/_mock/config")
        assert config["app_id"] == 888
        # added to the default app's exact list, in the order given, after the defaults
        assert config["rest_api_redirect_uris"][-2:] == ["https://a.example/", "https://b.example/"]


def test_refuses_a_non_loopback_host_without_allow_remote():
    result = subprocess.run(
        [sys.executable, "-m", "mock_kakao", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        env=environment(),
        cwd=ROOT,
        timeout=30,
    )
    assert result.returncode == 2
    assert "--allow-remote" in result.stderr and "loopback" in result.stderr
    assert "listening" not in result.stdout


def test_allow_remote_binds_and_warns():
    with running("--host", "0.0.0.0", "--port", "0", "--allow-remote") as (url, line):
        assert "REACHABLE FROM THE NETWORK" in line
        port = url.rsplit(":", 1)[1]
        assert get_json(f"http://127.0.0.1:{port}/_mock/config")["app_id"] == 10001
        config = get_json(f"http://127.0.0.1:{port}/_mock/config", host="kakao.lan")
        assert config["app_id"] == 10001  # --allow-remote reaches the admin guard


#: a users file that cannot be one: (how it is broken, words the line must contain, run
#: unprivileged); the line names the file, exit status 2, and it is never rewritten
BROKEN_USERS_FILES = {
    **broken.NOT_A_READABLE_FILE,
    "missing": (lambda path: None, "no such users file", False),
    "nested deeply": (broken.deeply_nested, "nested too deeply", False),
    "huge": (broken.huge(MAX_USERS_FILE_BYTES + 1), f"over {MAX_USERS_FILE_BYTES} bytes", False),
    "not an object": (lambda path: path.write_text("[]"), "must be an object", False),
}


def refused_start(*args: str, as_user: bool = False) -> str:
    """The fake's one line on stderr, having checked it exits 2 without a traceback."""
    command = [sys.executable, "-m", "mock_kakao", "--port", "0", *args]
    result = subprocess.run(
        unprivileged(*command) if as_user else command,
        capture_output=True,
        text=True,
        env=environment(),
        cwd=ROOT,
        timeout=30,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("case", BROKEN_USERS_FILES)
def test_a_broken_users_file_is_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    breaks, says, as_user = BROKEN_USERS_FILES[case]
    users = tmp_path / "users.json"
    breaks(users)
    before = broken.fingerprint(users) if case != "missing" else None
    line = refused_start("--users", str(users), as_user=as_user)
    assert line.startswith("mock_kakao: bad --users: ")
    assert says in line and str(users) in line, line
    assert (broken.fingerprint(users) if case != "missing" else None) == before


def test_a_users_toml_nested_deeply_is_one_line_and_exit_2(tmp_path: Path) -> None:
    users = tmp_path / "users.toml"
    users.write_text("users = " + "[" * broken.DEEP)
    line = refused_start("--users", str(users))
    assert "nested too deeply" in line and str(users) in line, line


def test_admin_key_and_unlink_webhook_flags_and_environment():
    with running(
        "--port",
        "0",
        "--admin-key",
        "cli-admin-key",
        "--unlink-webhook-url",
        "http://127.0.0.1:1/unlink",
        MOCK_KAKAO_UNLINK_WEBHOOK_METHOD="GET",
    ) as (url, _):
        app = get_json(url + "/_mock/app")
        assert (app["admin_key"], app["unlink_webhook_method"]) == ("cli-admin-key", "GET")
        assert app["unlink_webhook_url"] == "http://127.0.0.1:1/unlink"


def test_bad_admin_key_or_webhook_settings_are_one_line_errors():
    for args, env in (
        (["--admin-key", "a b"], {}),
        (["--unlink-webhook-url", "not a url"], {}),
        ([], {"MOCK_KAKAO_UNLINK_WEBHOOK_METHOD": "PUT"}),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "mock_kakao", "--port", "0", *args],
            capture_output=True,
            text=True,
            env=environment(**env),
            cwd=ROOT,
            timeout=30,
        )
        assert result.returncode == 2, (args, env, result.stderr)
        assert "Traceback" not in result.stderr


def test_a_webhook_url_off_this_machine_needs_allow_remote():
    result = subprocess.run(
        [sys.executable, "-m", "mock_kakao", "--port", "0"],
        capture_output=True,
        text=True,
        env=environment(MOCK_KAKAO_UNLINK_WEBHOOK_URL="http://192.0.2.1/unlink"),
        cwd=ROOT,
        timeout=30,
    )
    assert result.returncode == 2, result.stderr
    assert "--allow-remote" in result.stderr and "192.0.2.1" in result.stderr
    assert "listening" not in result.stdout
