"""Binding the application to a socket, shared by ``python -m mock_kakao`` and MockKakao."""

from __future__ import annotations

from aiohttp import web

from mock_kakao.app import create_app
from mock_kakao.loopback import is_loopback_host
from mock_kakao.state import FakeKakao

__all__ = ["base_url", "is_loopback_host", "start_server"]

# A ``hang`` fault lets go when the server shuts down; this only bounds the unexpected.
SHUTDOWN_TIMEOUT = 2.0


def base_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def start_server(
    state: FakeKakao, host: str, port: int, *, allow_remote: bool = False
) -> tuple[web.AppRunner, str]:
    """Serve ``state`` on ``host:port`` (port 0: a free one); returns the runner and base URL.

    aiohttp's access log is off: it would print query strings carrying OAuth codes. The
    request-log middleware logs every request instead, with tokens redacted. ``allow_remote``
    lets the admin API answer requests addressed to a non-loopback name (see ``create_app``).
    """
    app = create_app(state, allow_remote=allow_remote)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_port = runner.addresses[0][1]
    return runner, base_url(host, bound_port)
