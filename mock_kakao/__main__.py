"""``python -m mock_kakao``: run the fake Kakao on its own.

Binds 127.0.0.1 by default. The admin API under ``/_mock/`` can rewrite every user and token, so
binding anything but loopback needs the explicit ``--allow-remote``. Without it the admin API
also refuses requests addressed to a non-loopback ``Host`` (DNS rebinding); with it, only its
Origin and Content-Type checks remain (see :mod:`mock_kakao.middleware`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence

import logsafe
from mock_kakao.kakaoapp import (
    DEFAULT_ADMIN_KEY,
    DEFAULT_WEBHOOK_METHOD,
    WEBHOOK_METHODS,
    KakaoApp,
    valid_admin_key,
    valid_issuer,
    valid_webhook_url,
)
from mock_kakao.server import is_loopback_host, start_server
from mock_kakao.signing import KeyFileError
from mock_kakao.state import DEFAULT_REST_API_KEY, FakeKakao


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
    parser.add_argument(
        "--rest-api-key",
        default=env("MOCK_KAKAO_REST_API_KEY", DEFAULT_REST_API_KEY),
        help="the client_id kauth accepts (env MOCK_KAKAO_REST_API_KEY; "
        f"default {DEFAULT_REST_API_KEY})",
    )
    parser.add_argument(
        "--redirect-uri",
        action="append",
        dest="redirect_uris",
        metavar="PREFIX",
        help="allowed redirect_uri prefix, repeatable (env MOCK_KAKAO_REDIRECT_URIS, "
        "comma-separated; default: any http://localhost:* or http://127.0.0.1:* URL)",
    )
    parser.add_argument(
        "--keys-file",
        default=env("MOCK_KAKAO_KEYS_FILE") or None,
        help="JSON file keeping the id_token signing keys across restarts, created (mode 0600) "
        "on first start (env MOCK_KAKAO_KEYS_FILE; default: new keys in memory per start)",
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
        help="the app's OpenID Connect switch: id_tokens without asking for scope openid "
        "(env MOCK_KAKAO_OIDC=on|off; default: the users file's app.oidc, else on)",
    )
    parser.add_argument(
        "--admin-key",
        default=env("MOCK_KAKAO_ADMIN_KEY") or None,
        help="the app's admin key (Authorization: KakaoAK <key>) for admin-key calls and the "
        "unlink webhook (env MOCK_KAKAO_ADMIN_KEY; default: the users file's app.admin_key, "
        f"else {DEFAULT_ADMIN_KEY})",
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
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)
    if args.redirect_uris is None:
        from_env = env("MOCK_KAKAO_REDIRECT_URIS", "")
        args.redirect_uris = [uri.strip() for uri in from_env.split(",") if uri.strip()]
    if args.oidc is _BAD_SWITCH:
        parser.error("MOCK_KAKAO_OIDC must be on or off (also 1/0, true/false)")
    if args.admin_key is not None and not valid_admin_key(args.admin_key):
        parser.error("--admin-key must be 1-256 printable ASCII characters without spaces")
    if args.unlink_webhook_url is not None and not valid_webhook_url(args.unlink_webhook_url):
        parser.error(f"--unlink-webhook-url must be an http(s) URL: {args.unlink_webhook_url!r}")
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


def _env_switch(value: str | None) -> object:
    """MOCK_KAKAO_OIDC: None when unset, else True/False (or a marker parse_args refuses)."""
    if not value:
        return None
    return {"on": True, "1": True, "true": True, "off": False, "0": False, "false": False}.get(
        value.strip().lower(), _BAD_SWITCH
    )


async def serve(args: argparse.Namespace) -> None:
    state = FakeKakao.from_file(
        args.users,
        app_id=args.app_id,
        rest_api_key=args.rest_api_key,
        redirect_uri_prefixes=args.redirect_uris,
        app=KakaoApp(
            oidc=args.oidc,
            issuer=args.issuer,
            keys_file=args.keys_file,
            admin_key=args.admin_key,
            unlink_webhook_url=args.unlink_webhook_url,
            unlink_webhook_method=args.unlink_webhook_method,
        ),
    )
    runner, url = await start_server(state, args.host, args.port, allow_remote=args.allow_remote)
    scope = "loopback only" if is_loopback_host(args.host) else "REACHABLE FROM THE NETWORK"
    print(f"mock_kakao listening on {url} ({scope}); admin API at {url}/_mock/", flush=True)
    print(
        f"app_id={state.app_id} client_id={state.rest_api_key} users={len(state.users)} "
        f"oidc={'on' if state.app.oidc else 'off'} "
        f"unlink_webhook={state.app.unlink_webhook_url or '-'}",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


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
    except (OSError, ValueError) as exc:
        print(f"mock_kakao: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
