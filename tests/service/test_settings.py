"""Settings from the environment, and `python -m service` refusing to start without a key."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from service.settings import DEFAULT_CORS_ORIGINS, DEFAULT_DATABASE_URL, Settings, SettingsError
from tests.service.support import SECRET_KEY
from tests.support.postgres import free_port

REPO = Path(__file__).resolve().parents[2]


def test_defaults_need_only_a_secret_key() -> None:
    settings = Settings.from_env({"SECRET_KEY": SECRET_KEY})
    assert settings.kakao_api_url == "https://kapi.kakao.com"
    assert settings.kakao_app_id is None
    assert settings.kakao_timeout == 5.0
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.jwt_ttl == 3600
    assert settings.jwt_issuer == "kakao-login-harness"
    assert settings.cors_origins == DEFAULT_CORS_ORIGINS
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "SECRET_KEY": SECRET_KEY,
            "KAKAO_API_URL": "http://127.0.0.1:8001",
            "KAKAO_APP_ID": "10001",
            "KAKAO_TIMEOUT": "0.5",
            "KAKAO_ADMIN_KEY": "an-admin-key",
            "DATABASE_URL": "postgresql+asyncpg://u@h/db",
            "JWT_TTL": "60",
            "JWT_ISSUER": "me",
            "CORS_ORIGINS": "http://a.test, http://b.test/ ,",
            "HOST": "0.0.0.0",
            "PORT": "9000",
        }
    )
    assert settings == Settings(
        secret_key=SECRET_KEY,
        kakao_api_url="http://127.0.0.1:8001",
        kakao_app_id=10001,
        kakao_timeout=0.5,
        kakao_admin_key="an-admin-key",
        database_url="postgresql+asyncpg://u@h/db",
        jwt_ttl=60,
        jwt_issuer="me",
        cors_origins=("http://a.test", "http://b.test"),
        host="0.0.0.0",
        port=9000,
    )


def test_overrides_win_over_the_environment() -> None:
    settings = Settings.from_env({"SECRET_KEY": SECRET_KEY, "PORT": "9000"}, port=9001)
    assert settings.port == 9001


def test_blank_variables_mean_the_default() -> None:
    settings = Settings.from_env({"SECRET_KEY": SECRET_KEY, "KAKAO_APP_ID": ""})
    assert settings.kakao_app_id is None


@pytest.mark.parametrize(
    ("environ", "words"),
    [
        ({}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY is too short"),
        ({"SECRET_KEY": "\x00" * 40}, "SECRET_KEY is not printable text"),
        ({"SECRET_KEY": "k" * 40 + "\x1b[2J"}, "SECRET_KEY is not printable text"),
        ({"SECRET_KEY": SECRET_KEY, "KAKAO_TIMEOUT": "soon"}, "KAKAO_TIMEOUT must be a number"),
        ({"SECRET_KEY": SECRET_KEY, "KAKAO_TIMEOUT": "0"}, "KAKAO_TIMEOUT must be a positive"),
        ({"SECRET_KEY": SECRET_KEY, "PORT": "http"}, "PORT must be an integer"),
        ({"SECRET_KEY": SECRET_KEY, "JWT_TTL": "-1"}, "JWT_TTL must be a positive"),
        ({"SECRET_KEY": SECRET_KEY, "KAKAO_APP_ID": "0"}, "KAKAO_APP_ID must be a positive"),
        ({"SECRET_KEY": SECRET_KEY, "KAKAO_API_URL": "kapi.kakao.com"}, "KAKAO_API_URL"),
        ({"SECRET_KEY": SECRET_KEY, "KAKAO_ADMIN_KEY": "two words"}, "KAKAO_ADMIN_KEY must be"),
        ({"SECRET_KEY": SECRET_KEY, "KAKAO_ADMIN_KEY": "키"}, "KAKAO_ADMIN_KEY must be"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(environ: dict[str, str], words: str) -> None:
    with pytest.raises(SettingsError, match=words):
        Settings.from_env(environ)


def test_the_admin_key_stays_out_of_repr() -> None:
    settings = Settings.from_env({"SECRET_KEY": SECRET_KEY, "KAKAO_ADMIN_KEY": "an-admin-key"})
    assert "an-admin-key" not in repr(settings)


def test_only_an_explicit_flag_generates_a_secret() -> None:
    first = Settings.from_env({}, allow_generated_secret=True)
    second = Settings.from_env({}, allow_generated_secret=True)
    assert len(first.secret_key) >= 32
    assert first.secret_key != second.secret_key
    given = Settings.from_env({"SECRET_KEY": SECRET_KEY}, allow_generated_secret=True)
    assert given.secret_key == SECRET_KEY


def test_unknown_overrides_are_a_programming_error() -> None:
    with pytest.raises(TypeError, match="secret"):
        Settings.from_env({"SECRET_KEY": SECRET_KEY}, secret="x")


def _service_env(**extra: str) -> dict[str, str]:
    unset = {"SECRET_KEY", "DATABASE_URL", "KAKAO_APP_ID", "KAKAO_ADMIN_KEY"}
    environ = {k: v for k, v in os.environ.items() if k not in unset}
    environ.update(extra)
    return environ


def test_python_m_service_without_secret_key_refuses_to_start(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "service", "--database-url", f"sqlite+aiosqlite:///{tmp_path}/x"],
        cwd=REPO,
        env=_service_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("service: SECRET_KEY is not set")
    assert "Traceback" not in result.stderr


def test_python_m_service_with_unreachable_database_says_so_in_one_line() -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nothing"
    result = subprocess.run(
        [sys.executable, "-m", "service", "--database-url", url],
        cwd=REPO,
        env=_service_env(SECRET_KEY=SECRET_KEY),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("service: cannot start:")


def test_python_m_service_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "service", "--generate-secret", "--port", str(port),
            "--database-url", f"sqlite+aiosqlite:///{tmp_path}/run/service.sqlite3",
        ],
        cwd=REPO,
        env=_service_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        body = _wait_for_health(f"http://127.0.0.1:{port}/healthz", process)
        assert body == b'{"status": "ok"}'
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert (tmp_path / "run" / "service.sqlite3").exists()
    # Without KAKAO_APP_ID, tokens of any Kakao app are accepted; without KAKAO_ADMIN_KEY,
    # deletions are not told to Kakao: each said once, at start.
    warned = [line for line in stderr.splitlines() if " WARNING " in line]
    assert [line.split(": ", 1)[1] for line in warned] == [
        "using a generated SECRET_KEY: for local development only",
        "KAKAO_APP_ID is not set: tokens issued to other Kakao apps are not refused",
        "KAKAO_ADMIN_KEY is not set: deleted accounts are not unlinked at Kakao, and the unlink "
        "webhook (/auth/kakao/unlink) refuses every call",
    ]


def _wait_for_health(url: str, process: subprocess.Popen[str]) -> bytes:
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, process.communicate()[1]
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
