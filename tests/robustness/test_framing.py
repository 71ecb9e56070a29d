"""Malformed framing over a raw socket: what no client library would send.

A body whose length is ambiguous (the stuff of request smuggling) is answered with the
service's JSON 400 and the connection is closed. A head Tornado cannot parse at all (a bare CR,
a NUL) never reaches the service's code: Tornado answers a bodyless 400 and closes, as the
README documents. Either way nothing after the head is read as a next request.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest
from tornado.httputil import HTTPHeaders

from service.web.framing import framing_problem
from tests.robustness.support import RAW_TIMEOUT, CheckedService, http_request

#: a second request smuggled behind the first: it must never be answered
SMUGGLED = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
JSON_400 = b'{"message": "BAD_REQUEST"}'


async def everything_answered(url: str, request: bytes) -> bytes:
    """Send `request`; every byte the server sends until it closes the connection."""
    address = urlsplit(url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    try:
        async with asyncio.timeout(RAW_TIMEOUT):
            writer.write(request)
            await writer.drain()
            return await reader.read()  # to the end: the server must close
    finally:
        writer.close()


AMBIGUOUS = {
    "Content-Length and Transfer-Encoding": [
        ("Content-Length", "5"),
        ("Transfer-Encoding", "chunked"),
    ],
    "two different Content-Lengths": [("Content-Length", "5"), ("Content-Length", "0")],
    "a list of different Content-Lengths": [("Content-Length", "5, 0")],
    "a Content-Length that is not a number": [("Content-Length", "+5")],
    "a Content-Length in superscript digits": [("Content-Length", "\u00b2")],
    "a Transfer-Encoding other than chunked": [("Transfer-Encoding", "gzip, chunked")],
    "Transfer-Encoding twice": [("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")],
}


@pytest.mark.parametrize("path", ["/auth/kakao", "/healthz", "/nowhere"])
@pytest.mark.parametrize("headers", AMBIGUOUS.values(), ids=AMBIGUOUS.keys())
async def test_ambiguous_body_framing_is_a_json_400_and_the_connection_closes(
    service: CheckedService, headers: list[tuple[str, str]], path: str
) -> None:
    request = http_request("POST", path, headers, b"0\r\n\r\n" + SMUGGLED)
    received = await everything_answered(service.url, request)
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"\r\nContent-Type: application/json; charset=utf-8" in head
    assert b"\r\nConnection: close" in head
    assert body == JSON_400  # and nothing after it: the smuggled request went unanswered
    assert await service.user_count() == 0
    assert (await service.request("GET", "/healthz")).status == 200


UNPARSABLE = {
    "a bare CR in a header": b"X-Note: a\rb",
    "a NUL in a header": b"X-Note: a\x00b",
    "a bare CR in the request line's path": None,
    "a header line without a colon": b"X-Note",
    "a folded header line": b"X-Note: a\r\n b",
}


@pytest.mark.parametrize("line", UNPARSABLE.values(), ids=UNPARSABLE.keys())
async def test_an_unparsable_head_is_tornados_bare_400_and_the_connection_closes(
    service: CheckedService, line: bytes | None
) -> None:
    """Tornado parses the head before any code of ours sees it and has no hook for its answer:
    a bodyless 400, then the connection closes (see the README's robustness notes)."""
    if line is None:
        head = b"GET /health\rz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    else:
        head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + line + b"\r\n\r\n"
    received = await everything_answered(service.url, head + SMUGGLED)
    assert received == b"HTTP/1.1 400 Bad Request\r\n\r\n"
    assert (await service.request("GET", "/healthz")).status == 200


def test_a_clear_length_passes_the_framing_check() -> None:
    for pairs in (
        [],
        [("Content-Length", "12")],
        [("Content-Length", "12"), ("Content-Length", "12")],  # as Tornado: identical is one
        [("Transfer-Encoding", "Chunked")],
    ):
        headers = HTTPHeaders()
        for name, value in pairs:
            headers.add(name, value)
        assert framing_problem(headers) is None, pairs
