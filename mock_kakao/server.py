"""Binding the application to a socket, shared by ``python -m mock_kakao`` and MockKakao."""

from __future__ import annotations

import ipaddress

from aiohttp import web

from mock_kakao.app import create_app
from mock_kakao.state import FakeKakao

# A ``hang`` fault lets go when the server shuts down; this only bounds the unexpected.
SHUTDOWN_TIMEOUT = 2.0


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def base_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def start_server(state: FakeKakao, host: str, port: int) -> tuple[web.AppRunner, str]:
    """Serve ``state`` on ``host:port`` (port 0: a free one); returns the runner and base URL.

    aiohttp's access log is off: it would print query strings carrying OAuth codes. The
    request-log middleware logs every request instead, with tokens redacted.
    """
    runner = web.AppRunner(create_app(state), access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_port = runner.addresses[0][1]
    return runner, base_url(host, bound_port)
