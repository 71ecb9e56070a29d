"""`python -m harness_ui`: the page alone, for a service and a fake Kakao started elsewhere
(`python -m service`, `python -m mock_kakao`). `run_all.py` is the usual way to start all three.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import textwrap
from collections.abc import Mapping

from aiohttp import web

import logsafe
from harness_ui.config import DEFAULT_APP_ID, UI_MAX_CONNECTIONS
from harness_ui.server import create_app
from mock_kakao.app import IDLE_TIMEOUT
from mock_kakao.web.limits import CappedRunner
from mock_kakao.world.kakaoapp import DEFAULT_JAVASCRIPT_KEY, DEFAULT_REST_API_KEY

#: (flag, environment variable, default, type, metavar, help); flag beats variable beats default
OPTIONS: tuple[tuple[str, str, object, type, str, str], ...] = (
    ("--host", "HARNESS_HOST", "127.0.0.1", str, "HOST", "address the page's server binds to"),
    ("--port", "HARNESS_UI_PORT", 8002, int, "PORT", "the page's port"),
    (
        "--service-url",
        "HARNESS_SERVICE_URL",
        "http://127.0.0.1:8000",
        str,
        "URL",
        "where the service answers (python -m service); its CORS_ORIGINS must name this page",
    ),
    (
        "--kakao-url",
        "HARNESS_KAKAO_URL",
        "http://127.0.0.1:8001",
        str,
        "URL",
        "where the fake Kakao answers (python -m mock_kakao)",
    ),
    (
        "--app-id",
        "HARNESS_APP_ID",
        DEFAULT_APP_ID,
        int,
        "ID",
        "the fake's app id, whose tokens the page picks",
    ),
    (
        "--client-id",
        "HARNESS_CLIENT_ID",
        DEFAULT_REST_API_KEY,
        str,
        "KEY",
        "the fake's REST API key, for the redirect flow's code exchange",
    ),
    (
        "--javascript-key",
        "HARNESS_JAVASCRIPT_KEY",
        DEFAULT_JAVASCRIPT_KEY,
        str,
        "KEY",
        "the fake's JavaScript key, for Kakao.init and the SDK's authorize",
    ),
    (
        "--admin-token",
        "HARNESS_ADMIN_TOKEN",
        None,
        str,
        "TOKEN",
        "the service's ADMIN_TOKEN, for the Service accounts panel (default: none, panel off; "
        "prefer the variable, a flag shows in ps)",
    ),
    (
        "--max-connections",
        "HARNESS_UI_MAX_CONNECTIONS",
        UI_MAX_CONNECTIONS,
        int,
        "N",
        "connections the page serves at once; more are closed as soon as they are accepted",
    ),
)


class _HelpFormatter(argparse.HelpFormatter):
    """Wraps at spaces only: a default such as `mock-rest-api-key` split at a hyphen reads as
    two words, and copied from the terminal it is the wrong key."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


def build_parser(environ: Mapping[str, str] = os.environ) -> argparse.ArgumentParser:
    """Every option with its help, its environment variable and its default, in `--help`."""
    parser = argparse.ArgumentParser(
        prog="python -m harness_ui", description=__doc__, formatter_class=_HelpFormatter
    )
    for flag, env, default, type_, metavar, help_ in OPTIONS:
        raw = environ.get(env)
        value = default if raw is None or raw == "" else raw
        shown = "" if default is None else f"; default {default}"
        parser.add_argument(
            flag,
            dest=flag.removeprefix("--").replace("-", "_"),
            type=type_,
            default=value,
            metavar=metavar,
            help=f"{help_} [env {env}{shown}]",
        )
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.max_connections <= 0:
        parser.error("--max-connections must be a positive integer")
    logsafe.limit_accept_errors()  # out of descriptors: one line per interval, not per attempt
    app = create_app(
        args.service_url,
        args.kakao_url,
        args.app_id,
        args.client_id,
        args.javascript_key,
        admin_token=args.admin_token,
    )
    # SIGTERM, SIGINT: serve's cleanup has run when asyncio.run gives them back
    with contextlib.suppress(web.GracefulExit, KeyboardInterrupt):
        asyncio.run(serve(app, args.host, args.port, args.max_connections))


async def serve(app: web.Application, host: str, port: int, max_connections: int) -> None:
    """What ``web.run_app`` does (until SIGINT or SIGTERM), through the runner run_all uses:
    requests the parser refuses answered as JSON, at most `max_connections` at once."""
    runner = CappedRunner(
        app, max_connections=max_connections, handle_signals=True, keepalive_timeout=IDLE_TIMEOUT
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    main()
