"""Binding the application to a socket, shared by ``python -m mock_kakao`` and MockKakao."""

from __future__ import annotations

from aiohttp import web

from mock_kakao.app import create_app
from mock_kakao.web.loopback import is_loopback_host
from mock_kakao.world.state import FakeKakao

__all__ = ["base_url", "is_loopback_host", "start_server"]

# A ``hang`` fault lets go when the server shuts down; this only bounds the unexpected.
SHUTDOWN_TIMEOUT = 2.0
#: aiohttp's ``keepalive_timeout``: it closes a connection that has not sent a complete request
#: head this long after connecting or after its last answer, so it bounds a slowloris and an
#: idle keep-alive socket alike (AppRunner's default is 3630 s). Longer than the service's
#: client keeps idle connections to Kakao (30 s), so the fake never closes one the service is
#: about to reuse. Request bodies are read by the handlers, without a timeout of their own.
IDLE_TIMEOUT = 75.0


def base_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def start_server(
    state: FakeKakao,
    host: str,
    port: int,
    *,
    allow_remote: bool = False,
    idle_timeout: float = IDLE_TIMEOUT,
) -> tuple[web.AppRunner, str]:
    """Serve ``state`` on ``host:port`` (port 0: a free one); returns the runner and base URL.

    aiohttp's access log is off: it would print query strings carrying OAuth codes. The
    request-log middleware logs every request instead, with tokens redacted. ``allow_remote``
    lets the admin API answer requests addressed to a non-loopback name (see ``create_app``).
    ``idle_timeout``: see IDLE_TIMEOUT.
    """
    app = create_app(state, allow_remote=allow_remote)
    runner = web.AppRunner(
        app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT, keepalive_timeout=idle_timeout
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_port = runner.addresses[0][1]
    return runner, base_url(host, bound_port)
