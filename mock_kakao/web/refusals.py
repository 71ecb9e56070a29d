"""Requests aiohttp's parser refuses before any handler runs, answered as JSON.

A request line or header the parser cannot take (a non-ASCII byte in the path, a space too
many, a control character) never reaches the app, so no middleware sees it: aiohttp answers a
bare ``HTTP/1.0 400`` in plain text that also quotes the raw request line back (query-string
codes and tokens included). Clients of the fake parse JSON errors, so every server of the
harness (the fake, the harness page; run_all's and MockKakao's alike) is served by
:class:`JsonRefusalRunner`, which answers the admin API's shape instead:
``400 {"error": "MALFORMED_REQUEST", "detail": ...}``, the detail naming what was wrong and
never what was sent.

aiohttp has no public hook for this answer, so the runner swaps in subclasses of its server
and request handler that override ``RequestHandler.handle_error``; the tests that send such
requests over raw sockets pin the behaviour to the installed aiohttp.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from logsafe import describe_parse_error
from mock_kakao.web.errors import ControlError

MALFORMED_REQUEST = "MALFORMED_REQUEST"


def refusal_response(error: HttpProcessingError) -> web.Response:
    """The JSON answer to a request the parser refused; the connection closes after it, as
    aiohttp's own answer does (where the next request starts is unknown)."""
    status = error.code if 400 <= error.code < 500 else 400
    detail = f"the request could not be parsed ({describe_parse_error(error)})"
    response = ControlError(status, MALFORMED_REQUEST, detail).response()
    response.force_close()
    return response


class JsonRefusalHandler(web.RequestHandler):
    """aiohttp's connection handler, answering parser refusals with :func:`refusal_response`."""

    __slots__ = ()

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        # aiohttp's own first: it logs (through logsafe's filter) and refuses to answer twice
        response = super().handle_error(request, status, exc, message)
        if isinstance(exc, HttpProcessingError):
            return refusal_response(exc)
        return response


class _JsonRefusalServer(web.Server):
    def __call__(self) -> web.RequestHandler:
        return JsonRefusalHandler(self, loop=self._loop, **self._kwargs)


class JsonRefusalRunner(web.AppRunner):
    """``web.AppRunner`` whose connections answer parser refusals as JSON (module docstring)."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _JsonRefusalServer  # adds behaviour only, no state
        return server
