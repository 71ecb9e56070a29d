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
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
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
    """`logging.basicConfig(level, fmt)` on stderr, with a :class:`SafeFormatter`."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(SafeFormatter(fmt))
    logging.basicConfig(level=level, handlers=[handler])


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
