"""The harness's plain functions: settings, browser choice, URLs, the secret, the smoke table,
and the page's server (over a real socket, no browser)."""

from __future__ import annotations

import contextlib
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp import web

from harness_ui.config import config_from_args, parse_args
from harness_ui.keyfile import load_or_create_secret
from harness_ui.runner import should_open_browser
from harness_ui.server import EXAMPLE_DIR, create_app
from harness_ui.smoke import CaseResult, format_table
from harness_ui.stack import page_origins, url_for


def test_flags_beat_environment_which_beats_defaults() -> None:
    defaults = config_from_args(parse_args([], environ={}))
    assert (defaults.service_port, defaults.kakao_port, defaults.ui_port) == (8000, 8001, 8002)
    assert defaults.effective_database_url.endswith("/var/kakao_login.sqlite3")

    env = {"HARNESS_SERVICE_PORT": "9000", "HARNESS_DATA_DIR": "/tmp/x", "HARNESS_APP_ID": "7"}
    from_env = config_from_args(parse_args([], environ=env))
    assert (from_env.service_port, from_env.app_id) == (9000, 7)
    assert from_env.effective_database_url == "sqlite+aiosqlite:////tmp/x/kakao_login.sqlite3"
    assert from_env.secret_key_path == Path("/tmp/x/secret_key")

    flagged = config_from_args(parse_args(["--service-port", "9100"], environ=env))
    assert flagged.service_port == 9100


def test_no_browser_on_ci_without_a_display_or_when_asked() -> None:
    desk = {"DISPLAY": ":0"}
    assert should_open_browser(False, desk, "linux")
    assert not should_open_browser(True, desk, "linux")
    assert not should_open_browser(False, {**desk, "CI": "true"}, "linux")
    assert not should_open_browser(False, {}, "linux")
    assert should_open_browser(False, {"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert should_open_browser(False, {}, "darwin")
    assert parse_args([], environ={"HARNESS_NO_BROWSER": "1"}).no_browser


def test_urls_a_browser_can_open() -> None:
    assert url_for("127.0.0.1", 8000) == "http://127.0.0.1:8000"
    assert url_for("0.0.0.0", 8000) == "http://127.0.0.1:8000"
    assert url_for("::1", 8000) == "http://[::1]:8000"
    assert page_origins("http://127.0.0.1:8002") == (
        "http://127.0.0.1:8002",
        "http://localhost:8002",
    )


def test_the_secret_is_made_once_private_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret_key"
    secret = load_or_create_secret(path)
    assert len(secret) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret(path) == secret


def test_smoke_table_lines_up_and_marks_failures() -> None:
    table = format_table(
        [
            CaseResult("a case", "201 CREATE_ACCOUNT", "201 CREATE_ACCOUNT"),
            CaseResult("b", "x", "y"),
        ]
    ).splitlines()
    assert table[0].split() == ["case", "expected", "got", "ok"]
    assert table[2].endswith("ok") and table[3].endswith("FAIL")
    assert table[0].index("expected") == table[2].index("201 CREATE_ACCOUNT")


@contextlib.asynccontextmanager
async def page_server() -> AsyncIterator[aiohttp.ClientSession]:
    """The page's server on a free port (fake at :8001, service at :8000), and a client."""
    app = create_app("http://127.0.0.1:8000/", "http://127.0.0.1:8001", 10001, "key", "js-key")
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
            yield session
    finally:
        await runner.cleanup()


async def test_page_server_serves_config_and_static_files_with_a_strict_csp() -> None:
    async with page_server() as session:
        async with session.get("/config.json") as response:
            assert await response.json() == {
                "service_url": "http://127.0.0.1:8000",
                "kakao_url": "http://127.0.0.1:8001",
                "sdk_url": "http://127.0.0.1:8001/kakao_js_sdk/2.7.2/kakao.min.js",
                "app_id": 10001,
                "client_id": "key",
                "javascript_key": "js-key",
                "admin_token": None,
            }
        for path in ("/", "/callback"):
            async with session.get(path) as response:
                assert response.status == 200
                assert 'data-testid="kakao-sign-in"' in await response.text()
                csp = response.headers["Content-Security-Policy"]
                assert "connect-src 'self' http://127.0.0.1:8000 http://127.0.0.1:8001" in csp
                assert "script-src 'self' http://127.0.0.1:8001;" in csp  # the SDK
        async with session.get("/static/app.js") as response:
            assert response.status == 200
            assert "javascript" in response.content_type


async def test_the_example_is_served_with_this_stacks_urls_and_keys_in_its_config() -> None:
    checked_in = (EXAMPLE_DIR / "config.js").read_text(encoding="utf-8").splitlines()
    async with page_server() as session:
        async with session.get("/example", allow_redirects=False) as response:
            assert (response.status, response.headers["Location"]) == (302, "/example/")
        async with session.get("/example/") as response:
            assert 'data-testid="kakao-login"' in await response.text()
            assert (
                "script-src 'self' http://127.0.0.1:8001;"
                in response.headers["Content-Security-Policy"]
            )
        async with session.get("/example/app.js") as response:
            assert "Kakao.Auth.authorize" in await response.text()
        async with session.get("/example/config.js") as response:
            assert "javascript" in response.content_type
            served = (await response.text()).splitlines()
    changed = {a: b for a, b in zip(checked_in, served, strict=True) if a != b}
    assert sorted(changed.values()) == [
        'const JAVASCRIPT_KEY = "js-key";',
        'const REST_API_KEY = "key";',
    ]  # the URLs in the file are already those of this test's fake and service


async def test_only_the_page_itself_reads_config_json_and_its_admin_token() -> None:
    """Another site's page (Sec-Fetch-Site, Origin) and a DNS-rebound name (Host) get 403."""
    admin_token = "a" * 43
    app = create_app("http://127.0.0.1:8000", "http://127.0.0.1:8001", 1, admin_token=admin_token)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    own = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(own) as session:
            for headers in (
                {},
                {"Sec-Fetch-Site": "same-origin", "Origin": own},
                {"Sec-Fetch-Site": "none"},
                {"Host": f"localhost:{port}"},
            ):
                async with session.get("/config.json", headers=headers) as response:
                    assert response.status == 200, headers
                    assert (await response.json())["admin_token"] == admin_token
                    assert "Access-Control-Allow-Origin" not in response.headers
            for headers in (
                {"Sec-Fetch-Site": "cross-site"},
                {"Sec-Fetch-Site": "same-site"},
                {"Origin": "http://evil.example"},
                {"Origin": f"http://localhost:{port}"},  # another origin, however local
                {"Host": f"rebound.example:{port}"},
                {"Host": "bad host"},
            ):
                async with session.get("/config.json", headers=headers) as response:
                    assert response.status == 403, headers
                    assert admin_token not in await response.text()
    finally:
        await runner.cleanup()
