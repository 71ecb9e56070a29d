"""What a value taken from a request may look like in a log: one line, and no raw request bytes.

Shared by all three servers (the service, the fake Kakao, the harness page), so it is a
top-level module of its own: the service must not depend on the fake, and the fake, usable on
its own as a pytest plugin, must not import Tornado by importing the service. It needs only the
standard library.

Three layers, each closing the class where the one before cannot reach:

* :func:`escape` at every call site that logs a request's path, method, header or id. It works
  whatever handler and format the logs end up in (a test's ``caplog``, an embedding app's).
* :class:`SafeFormatter`, installed by each server's entry point through :func:`configure`,
  escapes every record it writes, third-party records and exception messages included.
* :class:`RawRequestFilter`, installed by :func:`guard_parser_logs` when an app is built, keeps
  Tornado's and aiohttp's complaints about requests they could not parse to what was wrong:
  both quote the raw bytes, query-string and ``Authorization`` tokens included.

And :class:`AcceptErrorFilter` (:func:`limit_accept_errors`, from each entry point) keeps a
server out of file descriptors from writing a traceback per failed ``accept()``.
"""

from __future__ import annotations

import errno
import logging
import math
import re
import sys
import time
import traceback
from collections.abc import Callable
from typing import IO, Any

#: Python's own short escapes; every other unprintable character becomes \xNN, \uNNNN or \UNNNNNNNN
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

#: the loggers the HTTP parsers of Tornado and aiohttp complain on, and the modules of the
#: exceptions they raise for a request they could not parse
PARSER_LOGGERS = ("tornado.general", "aiohttp.server")
PARSER_ERROR_MODULES = frozenset({"tornado.httputil", "aiohttp.http_exceptions"})

#: a Python repr of a str or bytes literal: how both parsers quote what they were sent
_QUOTED = re.compile(r"""b?'(?:[^'\\\n]|\\.)*'|b?"(?:[^"\\\n]|\\.)*\"""")
OMITTED = "(omitted)"


def _escaped_char(char: str) -> str:
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escape(value: object) -> str:
    """`value` as one printable line: control characters written as Python escapes.

    Escapes what `str.isprintable` calls unprintable: C0 and C1 controls (CR, LF, NEL U+0085,
    ESC), the line and paragraph separators U+2028/U+2029, bidirectional overrides, zero-width
    characters, lone surrogates (which would also make a UTF-8 log stream raise). Korean, emoji
    and every other printable character stay as they are, so the log stays readable.
    """
    text = str(value)
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escaped_char(char) for char in text)


def _safe_traceback(error: traceback.TracebackException) -> list[str]:
    """The lines `traceback` would print, with every exception message made one line.

    The frames come from source files; the messages may quote anything a request carried.
    """
    lines: list[str] = []
    if error.__cause__ is not None:
        lines += _safe_traceback(error.__cause__)
        lines.append("\nThe above exception was the direct cause of the following exception:\n\n")
    elif error.__context__ is not None and not error.__suppress_context__:
        lines += _safe_traceback(error.__context__)
        lines.append("\nDuring handling of the above exception, another exception occurred:\n\n")
    if error.stack:
        lines.append("Traceback (most recent call last):\n")
        lines += error.stack.format()
    lines += [escape(line.rstrip("\n")) + "\n" for line in error.format_exception_only()]
    return lines


class SafeFormatter(logging.Formatter):
    """A Formatter whose records cannot start a line of their own making.

    The record's line is escaped whole; a traceback keeps its own line breaks but each
    exception message in it is escaped. A traceback cached on the record by another handler's
    formatter is not trusted: it is formatted again here.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:
        return escape(super().formatMessage(record))

    def formatException(self, ei: Any) -> str:
        text = "".join(_safe_traceback(traceback.TracebackException(*ei[:3])))
        return text.rstrip("\n")

    def format(self, record: logging.LogRecord) -> str:
        if not record.exc_info:
            return super().format(record)
        cached, record.exc_text = record.exc_text, None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached


def configure(level: int | str, fmt: str, stream: IO[str] | None = None) -> None:
    """`logging.basicConfig(level, fmt)` on stderr, with a :class:`SafeFormatter`; accept
    errors once per interval (:func:`limit_accept_errors`)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(SafeFormatter(fmt))
    logging.basicConfig(level=level, handlers=[handler])
    limit_accept_errors()


def describe_parse_error(error: BaseException) -> str:
    """What a parser found wrong with a request, without the bytes it quoted: one line."""
    text = _QUOTED.sub(OMITTED, str(error))
    words = [word for word in text.split() if word.strip("^")]
    return f"{type(error).__name__}: {' '.join(words)}"


def _is_parse_error(value: object) -> bool:
    return isinstance(value, BaseException) and type(value).__module__ in PARSER_ERROR_MODULES


class RawRequestFilter(logging.Filter):
    """Replaces a parse error in a record, as an argument or as its exception, by its description.

    Tornado logs ``Malformed HTTP message from %s: %s`` with the error as an argument (e.g.
    ``Invalid header value 'Bearer <token>\\x01'``); aiohttp logs ``Error handling request`` with
    the error and its traceback, whose message quotes the request line or header it choked on.
    The traceback of a parse error points into the parser, so nothing of use is lost.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(map(_is_parse_error, record.args)):
            record.args = tuple(
                describe_parse_error(arg) if _is_parse_error(arg) else arg  # type: ignore[arg-type]
                for arg in record.args
            )
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and _is_parse_error(error):
            record.msg = f"{record.getMessage()}: {describe_parse_error(error)}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def guard_parser_logs() -> None:
    """Put :class:`RawRequestFilter` on the parsers' loggers, once. Every server calls it when
    its app is built, so the filter is there however the app is served (and in tests)."""
    for name in PARSER_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(known, RawRequestFilter) for known in logger.filters):
            logger.addFilter(RawRequestFilter())


#: what an accept loop that ran out of descriptors (or memory) fails with
ACCEPT_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
#: seconds between two accept-error records let through
ACCEPT_ERROR_INTERVAL = 10.0


class Throttle:
    """At most one "yes" per `interval` seconds, counting the "no"s in between.

    For a condition that recurs on every event-loop turn while it lasts (out of descriptors,
    connections over a cap): one line per interval says it still lasts and how often it hit.
    """

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._next = -math.inf
        self.suppressed = 0

    def allow(self) -> int | None:
        """None: stay quiet (counted). Else how many were kept quiet since the last "yes"."""
        now = self._clock()
        if now < self._next:
            self.suppressed += 1
            return None
        self._next = now + self.interval
        suppressed, self.suppressed = self.suppressed, 0
        return suppressed


def _accept_error(record: logging.LogRecord) -> bool:
    error = record.exc_info[1] if record.exc_info else None
    return isinstance(error, OSError) and error.errno in ACCEPT_ERRNOS


class AcceptErrorFilter(logging.Filter):
    """Lets asyncio's records of a failed ``accept()`` (EMFILE and kin) through once per interval.

    Out of descriptors, asyncio logs "socket.accept() out of system resource" with a traceback
    every second per listening socket, and Tornado's accept handler raises from a callback that
    stays ready, logged ("Exception in callback ...") on every turn of the loop: hundreds of MB a
    minute. The first record passes; the next one after `interval` passes with how many were
    dropped in between added to its message, and its traceback dropped (the first one had it).
    """

    def __init__(self, interval: float = ACCEPT_ERROR_INTERVAL, **throttle: Any) -> None:
        super().__init__()
        self.throttle = Throttle(interval, **throttle)
        self._seen = False

    def filter(self, record: logging.LogRecord) -> bool:
        if not _accept_error(record):
            return True
        suppressed = self.throttle.allow()
        if suppressed is None:
            return False
        if self._seen:
            error = record.exc_info[1] if record.exc_info else None
            record.msg = (
                f"{record.getMessage()}: {error} (still failing; {suppressed} more such "
                f"records in the last {self.throttle.interval:g} s were not logged)"
            )
            record.args = None
            record.exc_info = None
            record.exc_text = None
        self._seen = True
        return True


def limit_accept_errors(interval: float = ACCEPT_ERROR_INTERVAL) -> None:
    """Put :class:`AcceptErrorFilter` on the ``asyncio`` logger, once. Each entry point calls
    it, so a server out of descriptors writes one line per interval, not one per attempt."""
    logger = logging.getLogger("asyncio")
    if not any(isinstance(known, AcceptErrorFilter) for known in logger.filters):
        logger.addFilter(AcceptErrorFilter(interval))
