"""HTTP over a bare socket: requests an HTTP client would refuse to send, or would fix up."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit


def raw_exchange(url: str, request: bytes) -> tuple[bytes, dict[str, str], bytes]:
    """Send ``request`` as it is; the status line, headers and body of the answer."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


def raw_get(url: str, target: bytes) -> tuple[bytes, dict[str, str], bytes]:
    return raw_exchange(
        url, b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
