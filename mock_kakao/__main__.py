"""``python -m mock_kakao``: run the fake Kakao on its own.

Binds 127.0.0.1 by default. The admin API under ``/_mock/`` can rewrite every user and token, so
binding anything but loopback needs the explicit ``--allow-remote``. Without it the admin API
also refuses requests addressed to a non-loopback ``Host`` (DNS rebinding); with it, only its
Origin and Content-Type checks remain (see :mod:`mock_kakao.web.middleware`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import logsafe
from mock_kakao.app import MAX_CONNECTIONS, start_server
from mock_kakao.files.usersfile import UsersFileError
from mock_kakao.web.limits import BODY_TIMEOUT
from mock_kakao.web.loopback import is_loopback_host
from mock_kakao.world.kakaoapp import (
    DEFAULT_ADMIN_KEY,
    DEFAULT_JAVASCRIPT_KEY,
    DEFAULT_REST_API_KEY,
    DEFAULT_WEBHOOK_METHOD,
    WEBHOOK_METHODS,
    KakaoApp,
    valid_admin_key,
    valid_issuer,
    valid_webhook_url,
)
from mock_kakao.world.persist import StateFileError, keys_file_for, open_state
from mock_kakao.world.signing import KeyFileError
from mock_kakao.world.state import FakeKakao
from mock_kakao.world.webhook import may_call

#: the app's keys: flag, environment variable, default (None: off unless given)
KEY_FLAGS = (
    ("--rest-api-key", "MOCK_KAKAO_REST_API_KEY", DEFAULT_REST_API_KEY, "the REST API key"),
    ("--javascript-key", "MOCK_KAKAO_JAVASCRIPT_KEY", DEFAULT_JAVASCRIPT_KEY, "the JavaScript key"),
    ("--admin-key", "MOCK_KAKAO_ADMIN_KEY", DEFAULT_ADMIN_KEY, "the admin key"),
    ("--native-app-key", "MOCK_KAKAO_NATIVE_APP_KEY", None, "the native app key"),
    ("--client-secret", "MOCK_KAKAO_CLIENT_SECRET", None, "the client secret /oauth/token needs"),
)


def parse_args(argv: Sequence[str] | None, environ: Mapping[str, str]) -> argparse.Namespace:
    """Flags, each defaulting to its environment variable, then to the documented default."""
    env = environ.get
    parser = argparse.ArgumentParser(
        prog="python -m mock_kakao",
        description="An offline fake of Kakao's login servers (kapi + kauth) with an admin API.",
    )
    parser.add_argument(
        "--host",
        default=env("MOCK_KAKAO_HOST", "127.0.0.1"),
        help="address to bind (env MOCK_KAKAO_HOST; default 127.0.0.1)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(env("MOCK_KAKAO_PORT", "8001")),
        help="port, 0 for a free one (env MOCK_KAKAO_PORT; default 8001)",
    )
    parser.add_argument(
        "--users",
        default=env("MOCK_KAKAO_USERS") or None,
        help="users file, JSON or .toml (env MOCK_KAKAO_USERS; default: the bundled set)",
    )
    parser.add_argument(
        "--app-id",
        type=int,
        default=int(env("MOCK_KAKAO_APP_ID")) if env("MOCK_KAKAO_APP_ID") else None,
        help="app_id of tokens (env MOCK_KAKAO_APP_ID; default: the users file's, else 10001)",
    )
    for flag, variable, default, meaning in KEY_FLAGS:
        setting = flag[2:].replace("-", "_")
        parser.add_argument(
            flag,
            default=env(variable) or None,
            help=f"{meaning} (env {variable}; default: the users file's app.{setting}, "
            f"else {default or 'none'})",
        )
    parser.add_argument(
        "--redirect-uri",
        action="append",
        dest="redirect_uris",
        metavar="URI",
        help="one more redirect URI of the REST API key, matched exactly, repeatable (env "
        "MOCK_KAKAO_REDIRECT_URIS, comma-separated; added to the default app's list, README)",
    )
    parser.add_argument(
        "--js-redirect-uri",
        action="append",
        dest="javascript_redirect_uris",
        metavar="URI",
        help="one more redirect URI of the JavaScript key, matched exactly, repeatable (env "
        "MOCK_KAKAO_JS_REDIRECT_URIS, comma-separated; added to the default app's list)",
    )
    parser.add_argument(
        "--logout-redirect-uri",
        action="append",
        dest="logout_redirect_uris",
        metavar="URI",
        help="one more logout redirect URI (GET /oauth/logout), matched exactly, repeatable "
        "(env MOCK_KAKAO_LOGOUT_REDIRECT_URIS, comma-separated; added to the default list)",
    )
    parser.add_argument(
        "--web-domain",
        action="append",
        dest="web_domains",
        metavar="ORIGIN",
        help="one more web domain (JavaScript SDK domain) of the JavaScript key, e.g. "
        "https://app.example.com, repeatable (env MOCK_KAKAO_WEB_DOMAINS, comma-separated; "
        "added to the default app's list)",
    )
    parser.add_argument(
        "--keys-file",
        default=env("MOCK_KAKAO_KEYS_FILE") or None,
        help="JSON file keeping the id_token signing keys across restarts, created (mode 0600) "
        "on first start (env MOCK_KAKAO_KEYS_FILE; default: new keys in memory per start)",
    )
    parser.add_argument(
        "--state",
        type=Path,
        default=env("MOCK_KAKAO_STATE") or None,
        metavar="FILE",
        help="JSON file keeping the fake's state (users, tokens, consents, app settings, clock, "
        "faults) across restarts: loaded at start, saved when it changes and at exit; the "
        "signing keys go to --keys-file, else FILE's sibling NAME.keys.json "
        "(env MOCK_KAKAO_STATE; default: none, the state lives in memory)",
    )
    parser.add_argument(
        "--issuer",
        default=env("MOCK_KAKAO_ISSUER") or None,
        help="the iss of id_tokens and discovery, e.g. https://kauth.kakao.com "
        "(env MOCK_KAKAO_ISSUER; default: the fake's base URL as the client reached it)",
    )
    parser.add_argument(
        "--oidc",
        action=argparse.BooleanOptionalAction,
        default=_env_switch(env("MOCK_KAKAO_OIDC")),
        help="the app's OpenID Connect switch: off, no id_token is issued whatever the scope "
        "(env MOCK_KAKAO_OIDC=on|off; default: the users file's app.oidc, else off, as on a "
        "new Kakao app)",
    )
    parser.add_argument(
        "--unlink-webhook-url",
        default=env("MOCK_KAKAO_UNLINK_WEBHOOK_URL") or None,
        help="the app's unlink webhook, called when a person disconnects on Kakao's side "
        "(env MOCK_KAKAO_UNLINK_WEBHOOK_URL; default: the users file's app.unlink_webhook_url, "
        "else none)",
    )
    parser.add_argument(
        "--unlink-webhook-method",
        choices=WEBHOOK_METHODS,
        default=env("MOCK_KAKAO_UNLINK_WEBHOOK_METHOD") or None,
        help="GET (fields in the query) or POST (a form body) (env "
        "MOCK_KAKAO_UNLINK_WEBHOOK_METHOD; default: the users file's "
        f"app.unlink_webhook_method, else {DEFAULT_WEBHOOK_METHOD})",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host, and admin requests addressed to any host name "
        "(this exposes the admin API to the network)",
    )
    parser.add_argument(
        "--body-timeout",
        type=float,
        default=env("MOCK_KAKAO_BODY_TIMEOUT") or BODY_TIMEOUT,  # argparse converts a string
        metavar="SECONDS",
        help="seconds a request body has once its head is in; later: 408, connection closed "
        f"(env MOCK_KAKAO_BODY_TIMEOUT; default {BODY_TIMEOUT:g})",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=env("MOCK_KAKAO_MAX_CONNECTIONS") or MAX_CONNECTIONS,
        metavar="N",
        help="connections served at once, more are closed as soon as accepted "
        f"(env MOCK_KAKAO_MAX_CONNECTIONS; default {MAX_CONNECTIONS})",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)
    if not (math.isfinite(args.body_timeout) and args.body_timeout > 0):
        parser.error("--body-timeout must be a positive number of seconds")
    if args.max_connections <= 0:
        parser.error("--max-connections must be a positive integer")
    if args.redirect_uris is None:
        args.redirect_uris = _env_list(env("MOCK_KAKAO_REDIRECT_URIS", ""))
    if args.javascript_redirect_uris is None:
        args.javascript_redirect_uris = _env_list(env("MOCK_KAKAO_JS_REDIRECT_URIS", ""))
    if args.logout_redirect_uris is None:
        args.logout_redirect_uris = _env_list(env("MOCK_KAKAO_LOGOUT_REDIRECT_URIS", ""))
    if args.state is not None and args.keys_file is None:
        args.keys_file = keys_file_for(args.state)
    if args.web_domains is None:
        args.web_domains = _env_list(env("MOCK_KAKAO_WEB_DOMAINS", ""))
    if args.oidc is _BAD_SWITCH:
        parser.error("MOCK_KAKAO_OIDC must be on or off (also 1/0, true/false)")
    if args.admin_key is not None and not valid_admin_key(args.admin_key):
        parser.error("--admin-key must be 1-256 printable ASCII characters without spaces")
    if args.unlink_webhook_url is not None and not valid_webhook_url(args.unlink_webhook_url):
        parser.error(f"--unlink-webhook-url must be an http(s) URL: {args.unlink_webhook_url!r}")
    if args.unlink_webhook_url is not None and not may_call(
        args.unlink_webhook_url, args.allow_remote
    ):
        parser.error(
            "--unlink-webhook-url must name this machine (localhost, 127.0.0.0/8 or [::1]) "
            f"unless --allow-remote is given: {args.unlink_webhook_url!r}"
        )
    if args.unlink_webhook_method not in (None, *WEBHOOK_METHODS):
        parser.error("MOCK_KAKAO_UNLINK_WEBHOOK_METHOD must be GET or POST")
    if args.issuer is not None and not valid_issuer(args.issuer):
        parser.error(f"--issuer must be an http(s) URL without query or fragment: {args.issuer!r}")
    if not is_loopback_host(args.host) and not args.allow_remote:
        parser.error(
            f"refusing to bind {args.host}: the admin API (/_mock/) must stay on loopback; "
            "pass --allow-remote if you really mean it"
        )
    return args


_BAD_SWITCH = object()


def _env_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _env_switch(value: str | None) -> object:
    """MOCK_KAKAO_OIDC: None when unset, else True/False (or a marker parse_args refuses)."""
    if not value:
        return None
    return {"on": True, "1": True, "true": True, "off": False, "0": False, "false": False}.get(
        value.strip().lower(), _BAD_SWITCH
    )


def keys_line(app: KakaoApp) -> str:
    """The app's keys for a start-up banner; the client secret only as on or off."""
    settings = app.settings
    native = f" native_app_key={settings.native_app_key}" if settings.native_app_key else ""
    return (
        f"rest_api_key={settings.rest_api_key} javascript_key={settings.javascript_key} "
        f"admin_key={settings.admin_key}{native} "
        f"client_secret={'on' if settings.client_secret else 'off'} "
        f"oidc={'on' if settings.oidc else 'off'}"
    )


async def serve(args: argparse.Namespace) -> None:
    app = KakaoApp(
        oidc=args.oidc,
        issuer=args.issuer,
        keys_file=args.keys_file,
        rest_api_key=args.rest_api_key,
        javascript_key=args.javascript_key,
        admin_key=args.admin_key,
        native_app_key=args.native_app_key,
        client_secret=args.client_secret,
        rest_api_redirect_uris=args.redirect_uris,
        javascript_redirect_uris=args.javascript_redirect_uris,
        web_domains=args.web_domains,
        logout_redirect_uris=args.logout_redirect_uris,
        unlink_webhook_url=args.unlink_webhook_url,
        unlink_webhook_method=args.unlink_webhook_method,
    )
    state = FakeKakao.from_file(args.users, app_id=args.app_id, app=app)
    saver = open_state(state, args.state) if args.state is not None else None
    runner, url = await start_server(
        state,
        args.host,
        args.port,
        allow_remote=args.allow_remote,
        body_timeout=args.body_timeout,
        max_connections=args.max_connections,
    )
    if saver is not None:
        saver.start()
    # Before the banner: a SIGTERM sent as soon as it is read still saves the state.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    scope = "loopback only" if is_loopback_host(args.host) else "REACHABLE FROM THE NETWORK"
    print(f"mock_kakao listening on {url} ({scope}); admin API at {url}/_mock/", flush=True)
    print(
        f"app_id={state.app_id} {keys_line(state.app)} users={len(state.users)} "
        f"unlink_webhook={state.app.unlink_webhook_url or '-'} state={args.state or '-'}",
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        if saver is not None:
            await saver.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv, os.environ)
    logsafe.configure(
        logging.WARNING if args.quiet else logging.INFO, "%(asctime)s %(name)s %(message)s"
    )
    try:
        asyncio.run(serve(args))
    except KeyFileError as exc:  # a key file we must not overwrite: the user decides
        print(f"mock_kakao: bad --keys-file: {exc}", file=sys.stderr)
        return 2
    except StateFileError as exc:  # the same for the state file
        print(f"mock_kakao: bad --state: {exc}", file=sys.stderr)
        return 2
    except UsersFileError as exc:  # the file names itself; the person fixes it
        print(f"mock_kakao: bad --users: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"mock_kakao: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
