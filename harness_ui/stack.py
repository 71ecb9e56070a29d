"""Start and stop the fake Kakao, the service and the harness page in the running asyncio loop.

Shared by `run_all.py`, its `--smoke` check and the browser tests, so all three exercise the
same wiring: the service's `KAKAO_API_URL` points at the fake, its `KAKAO_APP_ID` is the fake's
app and its `KAKAO_ADMIN_KEY` the fake's admin key, the fake's unlink webhook calls the
service, its CORS origins include the page, and the page is told where both are.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from harness_ui import ports
from harness_ui.config import PORT_FLAGS, UI_MAX_CONNECTIONS, StackConfig
from harness_ui.errors import StartupError
from harness_ui.keyfile import load_or_create_secret
from harness_ui.server import create_app as create_ui_app
from mock_kakao.app import IDLE_TIMEOUT, MAX_CONNECTIONS
from mock_kakao.app import create_app as create_kakao_app
from mock_kakao.web.errors import ControlError
from mock_kakao.web.limits import BODY_TIMEOUT, CappedRunner
from mock_kakao.web.loopback import is_loopback_host
from mock_kakao.world.kakaoapp import AppSettings, KakaoApp
from mock_kakao.world.persist import StateFileError, open_state
from mock_kakao.world.signing import KeyFileError
from mock_kakao.world.state import FakeKakao
from service.app import create_app as create_service_app
from service.app import drain, make_server
from service.settings import Settings, SettingsError
from service.store.datafiles import DataFileError, ensure_private_dir
from service.store.db import failure_line

#: where the service receives Kakao's unlink webhook
UNLINK_WEBHOOK_PATH = "/auth/kakao/unlink"

log = logging.getLogger(__name__)

#: Stopping must take under 2 s. The service, stopped before the fake it calls, gets most of
#: it to let running requests finish; the page and the fake then have nothing left in flight.
SERVICE_GRACE_SECONDS = 1.5
STOP_GRACE_SECONDS = 0.2
#: A last bound on any one stopper, should closing itself hang.
STOPPER_TIMEOUT = SERVICE_GRACE_SECONDS + 0.5

Stopper = Callable[[], Awaitable[None]]


def env_number(name: str, default: float, kind: type = float) -> Any:
    """A positive number from the environment (unset or empty: `default`); StartupError names
    the variable otherwise."""
    raw = os.environ.get(name, "")
    if not raw.strip():
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or value <= 0:
        raise StartupError(f"run_all: {name} must be a positive number, not {raw!r}")
    return value


@dataclass
class RunningStack:
    """The three servers, listening. `stop()` closes them (and the database) in reverse order."""

    config: StackConfig
    kakao_url: str
    service_url: str
    ui_url: str
    app_id: int | None
    client_id: str | None
    #: the fake app's settings (all its keys), once the fake runs
    kakao_app: AppSettings | None = None
    _stoppers: list[Stopper] = field(default_factory=list, repr=False)
    #: the fake's JavaScript key (``Kakao.init``); ``client_id`` is its REST API key
    javascript_key: str | None = None
    #: the service's ADMIN_TOKEN, new each run; only the page gets it (never printed or logged)
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

    async def stop(self) -> None:
        """Stop everything, even when one part fails to stop; such failures are logged."""
        while self._stoppers:
            stopper = self._stoppers.pop()
            try:
                await asyncio.wait_for(stopper(), timeout=STOPPER_TIMEOUT)
            except Exception:
                log.exception("stopping %s failed", getattr(stopper, "__qualname__", stopper))

    async def __aenter__(self) -> RunningStack:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


def url_for(host: str, port: int) -> str:
    """A URL a browser on this machine can open (a wildcard bind is reached via loopback)."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def page_origins(ui_url: str) -> tuple[str, ...]:
    """The page's origin, plus its loopback twins: both names are typed into browsers."""
    port = urlsplit(ui_url).port
    twins = {ui_url, f"http://127.0.0.1:{port}", f"http://localhost:{port}"}
    return tuple(sorted(twins))


#: the page's paths a sign-in comes back to: its own callback and the example's
PAGE_CALLBACK_PATHS = ("/callback", "/example/callback.html")


def page_registrations(ui_url: str) -> dict[str, tuple[str, ...]]:
    """What the fake's app registers for the page on whatever port it got (the default app's
    lists name only run_all's default port): the JavaScript key's callbacks and web domains,
    and the page itself as a logout redirect URI. Both sign-ins use the JavaScript key."""
    origins = page_origins(ui_url)
    return {
        "javascript_redirect_uris": tuple(
            origin + path for origin in origins for path in PAGE_CALLBACK_PATHS
        ),
        "web_domains": origins,
        "logout_redirect_uris": tuple(origin + "/" for origin in origins),
    }


def check_host(config: StackConfig) -> None:
    """Refuse a non-loopback host unless asked for by name, as `python -m mock_kakao` does.

    The fake's admin API (/_mock/) has no authentication and shows every token in full.
    """
    if not is_loopback_host(config.host) and not config.allow_remote:
        raise StartupError(
            f"run_all: refusing to bind {config.host}: the fake Kakao's admin API (/_mock/) "
            "has no authentication and must stay on loopback; pass --allow-remote "
            "(HARNESS_ALLOW_REMOTE=1) if you really mean it"
        )


def _bind_all(config: StackConfig) -> dict[str, list[socket.socket]]:
    """All three ports or none: a busy third port must not leave the first two bound. Every
    port that cannot be had is named, so one attempt tells a person all they must change."""
    wanted = {"kakao": config.kakao_port, "service": config.service_port, "ui": config.ui_port}
    bound: dict[str, list[socket.socket]] = {}
    refused: list[ports.PortUnavailableError] = []
    try:
        for name, port in wanted.items():
            try:
                bound[name] = ports.bind(config.host, port, PORT_FLAGS[name])
            except ports.PortUnavailableError as error:
                refused.append(error)
        if refused:
            raise ports.all_unavailable(refused)
    except BaseException:
        for sockets in bound.values():
            ports.close_all(sockets)
        raise
    return bound


async def _serve_aiohttp(
    app: web.Application, sockets: list[socket.socket], max_connections: int
) -> Stopper:
    runner = CappedRunner(
        app,
        max_connections=max_connections,
        shutdown_timeout=STOP_GRACE_SECONDS,
        access_log=None,
        keepalive_timeout=IDLE_TIMEOUT,
    )
    await runner.setup()
    for sock in sockets:
        await web.SockSite(runner, sock).start()
    return runner.cleanup


async def _start_kakao(
    config: StackConfig,
    sockets: list[socket.socket],
    url: str,
    webhook_url: str,
    ui_url: str,
) -> tuple[Stopper, FakeKakao]:
    """The fake Kakao; its state says which app id and client_id (REST API key) it uses.

    Its id_token signing keys live in `data_dir` (so tokens verify across restarts), its state
    (users, tokens, consents, settings) in `--kakao-state` (saved as it changes), and its
    issuer is pinned to `url`, the address the service is given, whatever name a page uses.
    Its unlink webhook calls the service at `webhook_url`; its admin key is `KAKAO_ADMIN_KEY`
    when that is set, else the users file's (default `mock-admin-key`), and the service gets
    the same one. Its OpenID Connect switch is on (a new Kakao app has it off; the page's
    "Sign in with Kakao (OpenID Connect)" needs it), and it registers the page at `ui_url`.
    """
    try:
        app = KakaoApp(
            issuer=url,
            keys_file=config.kakao_keys_path,
            admin_key=os.environ.get("KAKAO_ADMIN_KEY") or None,
            unlink_webhook_url=webhook_url,
            oidc=True,
            **page_registrations(ui_url),
        )
        state = FakeKakao.from_file(config.users_file, app_id=config.app_id, app=app)
    except ControlError as error:  # a bad KAKAO_ADMIN_KEY
        raise StartupError(f"run_all: the fake Kakao's app: {error.detail}") from None
    except KeyFileError as error:  # names the file; never overwritten, the person decides
        raise StartupError(f"run_all: the fake Kakao's signing keys: {error}") from None
    except (OSError, ValueError) as error:
        raise StartupError(f"run_all: cannot load the fake Kakao users: {error}") from None
    try:
        saver = open_state(state, config.kakao_state_path)
    except StateFileError as error:
        raise StartupError(f"run_all: bad --kakao-state: {error}") from None
    body_timeout = env_number("MOCK_KAKAO_BODY_TIMEOUT", BODY_TIMEOUT)
    max_connections = env_number("MOCK_KAKAO_MAX_CONNECTIONS", MAX_CONNECTIONS, int)
    stop_server = await _serve_aiohttp(
        create_kakao_app(state, allow_remote=config.allow_remote, body_timeout=body_timeout),
        sockets,
        max_connections,
    )
    saver.start()

    async def stop_kakao() -> None:
        await stop_server()
        await saver.close()

    return stop_kakao, state


async def _start_service(
    config: StackConfig, sockets: list[socket.socket], stack: RunningStack, admin_key: str
) -> Stopper:
    """The service, pointed at the fake (kapi, and kauth's keys for id_tokens) and open (CORS)
    to the page, whose admin token it takes (the admin API, for the page's Accounts panel).
    Other service settings
    (KAKAO_TIMEOUT, JWT_TTL, JWT_ISSUER, SECRET_KEY, HTTP_HEADER_TIMEOUT, HTTP_BODY_TIMEOUT) may
    still come from the environment."""
    try:
        settings = Settings.from_env(
            os.environ,
            kakao_api_url=stack.kakao_url,
            kakao_app_id=stack.app_id,
            # id_tokens: the fake's JWKS, its pinned issuer, and its app's keys as their audience
            kakao_auth_url=stack.kakao_url,
            kakao_issuer=stack.kakao_url,
            kakao_app_keys=stack.kakao_app.login_keys if stack.kakao_app else (),
            kakao_admin_key=admin_key,
            database_url=config.effective_database_url,
            secret_key=os.environ.get("SECRET_KEY")
            or load_or_create_secret(config.secret_key_path),
            cors_origins=page_origins(stack.ui_url),
            admin_token=stack.admin_token,
            host=config.host,
            port=ports.bound_port(sockets),
        )
    except SettingsError as error:  # a bad setting, or a data directory it cannot use
        raise StartupError(f"run_all: {error}") from None
    try:
        app = await create_service_app(settings)
    # SettingsError: the SQLite file's folder, or the file (service.store.datafiles, db)
    except SettingsError as error:
        raise StartupError(f"run_all: {error}") from None
    except Exception as error:  # the start-up boundary: any database failure is one line
        reason = failure_line(error)
        raise StartupError(f"run_all: the service could not open its database: {reason}") from None
    server = make_server(app)
    server.add_sockets(sockets)

    async def stop_service() -> None:
        await drain(server, app, SERVICE_GRACE_SECONDS)

    return stop_service


async def start_stack(config: StackConfig) -> RunningStack:
    """Bind, then start the fake, the service and the page. Raises StartupError (one line)."""
    check_host(config)
    sockets = _bind_all(config)  # busy ports first: a refused start leaves no data folder behind
    try:
        # Before anything writes there: the fake's keys and state, the service's key and database.
        ensure_private_dir(config.data_dir)
    except DataFileError as error:
        for socks in sockets.values():
            ports.close_all(socks)
        raise StartupError(f"run_all: {error}") from None
    urls = {name: url_for(config.host, ports.bound_port(socks)) for name, socks in sockets.items()}
    stack = RunningStack(config, urls["kakao"], urls["service"], urls["ui"], None, None)
    # Sockets not yet handed to a server are closed by this stopper if start-up fails halfway.
    unused = dict(sockets)

    async def close_unused() -> None:
        for socks in unused.values():
            ports.close_all(socks)

    stack._stoppers.append(close_unused)
    try:
        stop_kakao, state = await _start_kakao(
            config,
            unused["kakao"],
            stack.kakao_url,
            stack.service_url + UNLINK_WEBHOOK_PATH,
            stack.ui_url,
        )
        stack._stoppers.append(stop_kakao)
        del unused["kakao"]  # from here on the server owns (and closes) its sockets
        stack.app_id, stack.kakao_app = state.app_id, state.app.settings
        stack.client_id = state.app.settings.rest_api_key
        stack.javascript_key = state.app.settings.javascript_key
        stack._stoppers.append(
            await _start_service(config, unused["service"], stack, state.app.admin_key)
        )
        del unused["service"]
        ui_app = create_ui_app(
            stack.service_url,
            stack.kakao_url,
            state.app_id,
            stack.client_id,
            stack.javascript_key,
            admin_token=stack.admin_token,
            allow_remote=config.allow_remote,
        )
        ui_cap = env_number("HARNESS_UI_MAX_CONNECTIONS", UI_MAX_CONNECTIONS, int)
        stack._stoppers.append(await _serve_aiohttp(ui_app, unused["ui"], ui_cap))
        del unused["ui"]
    except BaseException:
        await stack.stop()
        raise
    return stack
