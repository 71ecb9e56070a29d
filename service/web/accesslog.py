"""The access log: one line per request, `STATUS METHOD PATH (ADDRESS) MS`, never the query.

Tornado's own line shows `request.uri`, query string included, so
`GET /auth/kakao?access_token=...` would log the token. This one shows `request.path` (the
path alone), escaped as every value taken from a request is (see `logsafe`).
"""

from __future__ import annotations

import logging

from tornado.web import RequestHandler

from logsafe import escape

#: Tornado's own access logger, so log configuration aimed at it keeps working
access_log = logging.getLogger("tornado.access")


def log_request(handler: RequestHandler) -> None:
    """The Application's `log_function`; levels as Tornado's: INFO, 4xx WARNING, 5xx ERROR."""
    status = handler.get_status()
    if status < 400:
        level = logging.INFO
    elif status < 500:
        level = logging.WARNING
    else:
        level = logging.ERROR
    request = handler.request
    access_log.log(
        level,
        "%d %s %s (%s) %.2fms",
        status,
        escape(request.method),
        escape(request.path),
        escape(request.remote_ip),
        1000.0 * request.request_time(),
    )
