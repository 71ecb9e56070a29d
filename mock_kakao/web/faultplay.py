"""Acting out a fault on one request: the I/O half of :mod:`mock_kakao.world.faults`."""

from __future__ import annotations

import asyncio

from aiohttp import web

from mock_kakao.web.errors import is_kauth, kapi_error, kauth_error
from mock_kakao.world.faults import Fault

HANG_CAP_SECONDS = 120.0  # a hang outlives any sane client timeout, but not a whole CI run
_POLL_SECONDS = 0.05

# Valid JSON cut short, as a proxy might deliver it: starts like Kakao's answer, never ends.
MALFORMED_BODY = b'{"id": 4000000001, "connected_at": "2024-01-01T00:00:00Z", "kakao_account": {'


def error_response(path: str, fault: Fault) -> web.Response:
    """Kakao's error body for ``fault``: the kauth shape on kauth's paths (``/oauth/``,
    ``/.well-known/``), kapi's elsewhere."""
    if is_kauth(path):
        error = "server_error" if fault.status >= 500 else "invalid_request"
        error_code = fault.code if isinstance(fault.code, str) else "KOE003"
        return kauth_error(fault.status, error, fault.msg, error_code)
    return kapi_error(fault.status, fault.code, fault.msg)  # type: ignore[arg-type]


async def hold_until_gone(request: web.Request, closing: asyncio.Event) -> None:
    """Wait until the client disconnects, the server shuts down, or the cap passes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + HANG_CAP_SECONDS
    while loop.time() < deadline and not closing.is_set():
        transport = request.transport
        if transport is None or transport.is_closing():
            return
        await asyncio.sleep(_POLL_SECONDS)


def drop(request: web.Request) -> web.Response:
    """Close the connection without a byte of HTTP answer, like a crashed upstream.

    The returned response is never sent: aiohttp finds the transport gone and treats it as a
    premature client disconnection, quietly.
    """
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response(status=503)


async def play(request: web.Request, fault: Fault, closing: asyncio.Event) -> web.Response:
    """The answer ``fault`` gives (for ``drop`` and ``hang``: none, the connection is gone)."""
    if fault.kind == "error":
        return error_response(request.path, fault)
    if fault.kind == "malformed":
        return web.Response(status=200, body=MALFORMED_BODY, content_type="application/json")
    if fault.kind == "hang":
        await hold_until_gone(request, closing)
    return drop(request)  # "drop", and a "hang" that has ended: nobody waits for an answer
