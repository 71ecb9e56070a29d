"""At most so many connections at once: Tornado's HTTPServer has no such limit of its own.

Every connection is a file descriptor. Without a cap, slow or idle clients (each held up to the
header and body timeouts) can take all of them, and in run_all the fake's and the page's
clients would take the service's: 1,100 slow connections to the fake left it none to accept
``/healthz`` with. Over the cap a new connection is closed as soon as it is accepted, before a
byte is read, and a warning says so at most once per interval.
"""

from __future__ import annotations

import logging
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.iostream import IOStream

from logsafe import ACCEPT_ERROR_INTERVAL, Throttle

log = logging.getLogger(__name__)


class CappedHTTPServer(HTTPServer):
    """An HTTPServer serving at most `max_connections` connections (an extra keyword)."""

    def initialize(self, *args: Any, max_connections: int, **kwargs: Any) -> None:  # type: ignore[override]
        super().initialize(*args, **kwargs)
        self.max_connections = max_connections
        self.open_connections = 0
        self._warn = Throttle(ACCEPT_ERROR_INTERVAL)

    def handle_stream(self, stream: IOStream, address: tuple) -> None:
        if self.open_connections >= self.max_connections:
            stream.close()
            suppressed = self._warn.allow()
            if suppressed is not None:
                log.warning(
                    "%d connections open, the most this service takes (HTTP_MAX_CONNECTIONS): "
                    "closing new ones (%d more closed since the last warning)",
                    self.open_connections,
                    suppressed,
                )
            return
        self.open_connections += 1
        super().handle_stream(stream, address)

    def on_close(self, server_conn: object) -> None:
        # called once per connection handle_stream served, when it closes
        super().on_close(server_conn)
        self.open_connections -= 1
