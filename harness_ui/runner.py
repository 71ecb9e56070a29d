"""`run_all.py` without `--smoke`: start the stack, say where everything is, wait for Ctrl-C.

The banner lists the three URLs and every fake user's token, because the first thing a
frontend developer wants is a token to paste into their own app or a curl command.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
import webbrowser
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import aiohttp
from sqlalchemy.engine import make_url

from harness_ui.config import StackConfig
from harness_ui.smoke import usable_token
from harness_ui.stack import RunningStack, start_stack
from mock_kakao.world.kakaoapp import AppSettings


def should_open_browser(
    no_browser: bool, environ: Mapping[str, str] = os.environ, platform: str = sys.platform
) -> bool:
    """Open the page unless told not to, on CI, or on a Linux box with no display to show it."""
    if no_browser or environ.get("CI"):
        return False
    if platform.startswith("linux"):
        return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))
    return True


async def fetch_users(stack: RunningStack) -> list[dict[str, Any]]:
    """The fake's users through its admin API (the same view the page has)."""
    timeout = aiohttp.ClientTimeout(total=5)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(f"{stack.kakao_url}/_mock/users") as response,
    ):
        return (await response.json())["users"]


def token_table(users: list[dict[str, Any]], app_id: int | None) -> list[str]:
    rows = [("id", "label", "access token")]
    for user in users:
        token = usable_token(user, app_id)
        shown = "(none yet: New token on the page)" if token is None else token["access_token"]
        if token is not None and token.get("expired"):
            shown += "  (expired)"
        rows.append((str(user["id"]), user.get("label") or "", shown))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    return [f"  {r[0].ljust(widths[0])}  {r[1].ljust(widths[1])}  {r[2]}" for r in rows]


def app_keys_lines(app: AppSettings | None) -> list[str]:
    """The fake app's keys, as a frontend (JavaScript key) and a backend (REST, admin) need
    them; the client secret only as on or off."""
    if app is None:
        return []
    keys = [
        f"REST API key {app.rest_api_key} (client_id of /oauth/token)",
        f"JavaScript key {app.javascript_key} (Kakao.init)",
        f"admin key {app.admin_key}",
    ]
    if app.native_app_key:
        keys.append(f"native app key {app.native_app_key}")
    keys.append(f"client secret {'on' if app.client_secret else 'off'}")
    return [f"{'':16}{key}" for key in keys]


def banner(stack: RunningStack, users: list[dict[str, Any]], ready_seconds: float) -> str:
    database = make_url(stack.config.effective_database_url).render_as_string(hide_password=True)
    example = next(
        (
            t["access_token"]
            for u in users
            if (t := usable_token(u, stack.app_id)) and not t.get("expired")
        ),
        "<token>",
    )
    lines = [
        f"kakao-login-harness is ready in {ready_seconds:.2f} s",
        "",
        f"  Harness page  {stack.ui_url}",
        f"  Service       {stack.service_url}   database {database}",
        f"  Fake Kakao    {stack.kakao_url}   app id {stack.app_id}",
        *app_keys_lines(stack.kakao_app),
        "",
        "Fake Kakao users (send the token as Authorization to GET/POST /auth/kakao):",
        *token_table(users, stack.app_id),
        "",
        f"Try: curl -H 'Authorization: {example}' {stack.service_url}/auth/kakao",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def _stop_on_signals() -> tuple[asyncio.Event, list[float], Callable[[], None]]:
    """An event set by SIGINT (Ctrl-C) or SIGTERM, handled in the loop so shutdown is orderly.

    Installed before start-up, so a signal that arrives while starting still stops cleanly.
    Returns the event, the `time.monotonic()` of the first signal (once one came), and a
    function that removes the handlers again.
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signalled: list[float] = []

    def on_signal() -> None:
        if not signalled:
            signalled.append(time.monotonic())
        stop.set()

    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, on_signal)

    def remove() -> None:
        for sig in signals:
            loop.remove_signal_handler(sig)

    return stop, signalled, remove


async def serve(
    config: StackConfig,
    open_browser: bool,
    started: float | None = None,
    out: Callable[[str], None] = print,
) -> int:
    """Run until a stop signal; returns the exit status. StartupError propagates to the caller.

    `started` is a `time.monotonic()` from the very start of the process, so "ready in" counts
    the imports too: that is what a person waits for.
    """
    started = time.monotonic() if started is None else started
    stop, signalled, remove_handlers = _stop_on_signals()
    try:
        stack = await start_stack(config)
        try:
            users = await fetch_users(stack)
            out(banner(stack, users, time.monotonic() - started))
            sys.stdout.flush()
            if open_browser:
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(None, webbrowser.open, stack.ui_url)
            await stop.wait()
        finally:
            stopping = signalled[0] if signalled else time.monotonic()
            await stack.stop()
    finally:
        remove_handlers()
    # From the signal on; run_all.main exits right after (see exit_now), so this is the time
    # a person waits for the prompt back.
    out(f"Stopped in {time.monotonic() - stopping:.2f} s.")
    return 0


def exit_now(status: int) -> NoReturn:
    """End the process at once, its output flushed, skipping the interpreter's teardown.

    Everything is stopped and closed by now (servers, database, files); what is left is
    Python freeing every module's objects one by one, which took 1.2-1.9 s after "Stopped in
    0.01 s" was printed (SQLAlchemy, Alembic, cryptography, aiohttp and Tornado loaded).
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
