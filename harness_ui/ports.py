"""Bind every listening socket before starting anything.

Binding first means a busy port is reported as one clear line naming the flag that chose it,
before any server has started (nothing to unwind), and port 0 ("any free port") works: the
real port is known before the service is told where the fake Kakao is.
"""

from __future__ import annotations

import errno
import socket

from tornado.netutil import bind_sockets

from harness_ui.errors import StartupError

_REASONS = {
    errno.EADDRINUSE: "port {port} is already in use; stop what uses it or pass another {flag}",
    errno.EACCES: "port {port} needs privileges to bind; pass another {flag}",
    errno.EADDRNOTAVAIL: "{host} is not an address of this machine; check --host",
}


class PortUnavailableError(StartupError):
    """We cannot listen where we were asked to; `str()` is the one-line message for the user."""

    def __init__(self, host: str, port: int, flag: str, template: str) -> None:
        self.reason = f"cannot listen on {host}:{port} ({flag}): " + template.format(
            host=host, port=port, flag=flag
        )
        super().__init__(f"run_all: {self.reason}")
        self.port = port
        self.flag = flag


def all_unavailable(errors: list[PortUnavailableError]) -> StartupError:
    """One error naming every port that could not be had (the one error itself if alone)."""
    if len(errors) == 1:
        return errors[0]
    return StartupError("run_all: " + "; ".join(error.reason for error in errors))


def bind(host: str, port: int, flag: str) -> list[socket.socket]:
    """Listening, non-blocking sockets for host:port (one per address family the host has)."""
    try:
        return bind_sockets(port, address=host)
    except OSError as error:
        template = _REASONS.get(error.errno or 0)
        if template is None:
            raise
        raise PortUnavailableError(host, port, flag, template) from None


def bound_port(sockets: list[socket.socket]) -> int:
    return sockets[0].getsockname()[1]


def close_all(sockets: list[socket.socket]) -> None:
    for sock in sockets:
        sock.close()
