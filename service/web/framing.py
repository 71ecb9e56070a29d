"""Refuse a request whose body length is ambiguous with our JSON 400, not Tornado's bare one.

Content-Length together with Transfer-Encoding, Content-Lengths that disagree, one that is not
a number, or a Transfer-Encoding other than `chunked` leave the end of the body (and so the
start of the next request) open to interpretation: the stuff of request smuggling. Tornado
refuses them, but only when it starts reading the body, from inside its private connection code,
with a bodyless `400 Bad Request`. HTTPServer takes any `HTTPServerConnectionDelegate` in place
of the Application, and a delegate may take the connection over with `detach()` while it looks
at the headers (Tornado's documented hook for protocols like websockets). So `FramingGuard`
looks first and answers `{"message": "BAD_REQUEST"}` itself; it then closes the connection,
since nothing after such a head can be trusted to be the next request.

Heads Tornado cannot parse at all (a bare CR, a NUL, a malformed header or request line) never
reach a delegate, so they still get Tornado's bare 400 (see the README's robustness notes).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable

from tornado import httputil
from tornado.iostream import StreamClosedError

log = logging.getLogger(__name__)

_BODY = json.dumps({"message": "BAD_REQUEST"}).encode()
#: sent whole, then the connection is closed: there is no request left to route
REFUSAL = (
    b"HTTP/1.1 400 Bad Request\r\n"
    b"Content-Type: application/json; charset=utf-8\r\n"
    b"Cache-Control: no-store\r\n"
    b"Connection: close\r\n"
    b"Content-Length: " + str(len(_BODY)).encode() + b"\r\n\r\n" + _BODY
)
_DIGITS = re.compile(r"[0-9]+")
#: how Tornado splits a repeated Content-Length (it joins repeated headers with commas)
_LIST = re.compile(r",[ \t]*")


def framing_problem(headers: httputil.HTTPHeaders) -> str | None:
    """Why the body's length is ambiguous, or None when it is not.

    At least as strict as Tornado's own reading of the body, so anything Tornado would refuse
    there is refused here first. Identical repeated Content-Lengths stay allowed, as there.
    """
    transfer = headers.get("Transfer-Encoding")
    length = headers.get("Content-Length")
    if transfer is not None and length is not None:
        return "both Content-Length and Transfer-Encoding"
    if transfer is not None and transfer.lower() != "chunked":
        return "a Transfer-Encoding other than chunked"
    if length is None:
        return None
    lengths = set(_LIST.split(length))
    if not all(_DIGITS.fullmatch(value) for value in lengths):
        return "a Content-Length that is not a number"
    if len(lengths) > 1:
        return "Content-Lengths that disagree"
    return None


class FramingGuard(httputil.HTTPServerConnectionDelegate):
    """Wraps the Application: the same requests reach it, less those with ambiguous framing."""

    def __init__(self, app: httputil.HTTPServerConnectionDelegate) -> None:
        self.app = app

    def start_request(
        self, server_conn: object, request_conn: httputil.HTTPConnection
    ) -> httputil.HTTPMessageDelegate:
        return _Checked(self.app.start_request(server_conn, request_conn), request_conn)

    def on_close(self, server_conn: object) -> None:
        self.app.on_close(server_conn)


class _Checked(httputil.HTTPMessageDelegate):
    """One request: its headers are checked before the Application sees them."""

    def __init__(
        self, inner: httputil.HTTPMessageDelegate, connection: httputil.HTTPConnection
    ) -> None:
        self.inner = inner
        self.connection = connection

    def headers_received(
        self,
        start_line: httputil.RequestStartLine | httputil.ResponseStartLine,
        headers: httputil.HTTPHeaders,
    ) -> Awaitable[None] | None:
        problem = framing_problem(headers)
        if problem is None:
            return self.inner.headers_received(start_line, headers)
        remote = getattr(self.connection.context, "remote_ip", "?")  # type: ignore[attr-defined]
        log.info("400 BAD_REQUEST: %s (from %s)", problem, remote)
        stream = self.connection.detach()  # type: ignore[attr-defined]
        try:
            written = stream.write(REFUSAL)
        except StreamClosedError:
            return None
        written.add_done_callback(lambda _future: stream.close())
        return None

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        return self.inner.data_received(chunk)

    def finish(self) -> None:
        self.inner.finish()

    def on_connection_close(self) -> None:
        self.inner.on_connection_close()
