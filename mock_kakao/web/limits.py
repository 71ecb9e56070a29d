"""What one client may hold of an aiohttp server: a body deadline and a connection cap.

Shared by the fake and the harness page (the two aiohttp servers; the service, on Tornado, has
its own in service/web/connections.py).

* aiohttp reads a request's body only when the handler asks for it, with no time limit: a
  client dribbling a byte every 2 s held ``/oauth/token`` open for good.
  :func:`body_deadline_middleware` gives the whole body a fixed time from the end of its head
  (dribbling does not extend it) and, past it, answers 408 and closes the connection.
* Every connection is a file descriptor, and run_all serves three parts from one process: 1,100
  slow connections to the fake left the service none to accept ``/healthz`` with.
  :class:`CappedRunner` serves at most ``max_connections`` at once and closes the ones over it
  as soon as they are accepted, so each part keeps what the others need.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from logsafe import ACCEPT_ERROR_INTERVAL, Throttle
from mock_kakao.web.refusals import JsonRefusalRunner

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: the 408 a server answers in its own error shape
TimeoutAnswer = Callable[[web.Request, float], web.Response]

#: seconds a request's whole body has, from the end of its head (python -m mock_kakao
#: --body-timeout, MOCK_KAKAO_BODY_TIMEOUT); Kakao's bodies are a few hundred bytes
BODY_TIMEOUT = 10.0

#: seconds aiohttp keeps reading a body the handler left unread (a 408's, an early refusal's)
#: after answering, so the client reads the answer instead of a reset; aiohttp's default is 10
LINGERING_TIME = 1.0

log = logging.getLogger(__name__)


def body_deadline_middleware(seconds: float, answer: TimeoutAnswer) -> Any:
    """A middleware: a body not wholly received `seconds` after its head gets `answer`, closed.

    Only the receiving is timed: once the body is in (the parser saw its end, whether or not the
    handler read it yet) the handler may take as long as it needs (a ``latency`` fault, a slow
    webhook). The handler waiting for the body is cancelled at the deadline.
    """

    @web.middleware
    async def body_deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.body_exists or request.content.is_eof():
            return await handler(request)
        task = asyncio.current_task()
        assert task is not None
        expired = False

        def expire() -> None:
            nonlocal expired
            if not request.content.is_eof():
                expired = True
                task.cancel()

        timer = asyncio.get_running_loop().call_later(seconds, expire)
        try:
            return await handler(request)
        except asyncio.CancelledError:
            if not expired or task.uncancel() > 0:
                raise  # cancelled by someone else too (shutdown, the client gone)
            response = answer(request, seconds)
            response.force_close()  # the rest of the body is never read
            return response
        finally:
            timer.cancel()

    return body_deadline


class _Refused(asyncio.Protocol):
    """A connection over the cap: closed as soon as it is made, before a byte is read."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()


class ConnectionCap:
    """The protocol factory the sites get: aiohttp's server, while fewer than `limit`
    connections are open; :class:`_Refused` past it.

    Counted from the protocol's creation (one turn of the loop accepts many connections before
    any is made) until the server hears the connection is lost, through its own
    ``connection_lost``, which every aiohttp connection calls once on its server.
    """

    def __init__(self, server: web.Server, limit: int) -> None:
        self.server = server
        self.limit = limit
        self.open = 0
        self._warn = Throttle(ACCEPT_ERROR_INTERVAL)
        lost = server.connection_lost

        def counted_lost(handler: Any, exc: BaseException | None = None) -> None:
            lost(handler, exc)
            self.open -= 1

        server.connection_lost = counted_lost  # type: ignore[method-assign]

    def __call__(self) -> asyncio.BaseProtocol:
        if self.open >= self.limit:
            suppressed = self._warn.allow()
            if suppressed is not None:
                log.warning(
                    "%d connections open, the most this server takes: closing new ones "
                    "(%d more closed since the last warning)",
                    self.open,
                    suppressed,
                )
            return _Refused()
        self.open += 1
        return self.server()


class CappedRunner(JsonRefusalRunner):
    """``web.AppRunner`` serving at most `max_connections` connections at once (the same
    arguments, plus that one, and LINGERING_TIME by default); its sites get a
    :class:`ConnectionCap`. Like every runner of the harness, it answers a request the parser
    refuses as JSON (mock_kakao.web.refusals)."""

    def __init__(self, app: web.Application, *, max_connections: int, **kwargs: Any) -> None:
        kwargs.setdefault("lingering_time", LINGERING_TIME)
        super().__init__(app, **kwargs)
        self._cap: ConnectionCap | None = None
        self._max_connections = max_connections

    @property
    def server(self) -> Any:
        made = super().server
        if made is None:
            return None
        if self._cap is None or self._cap.server is not made:
            self._cap = ConnectionCap(made, self._max_connections)
        return self._cap
