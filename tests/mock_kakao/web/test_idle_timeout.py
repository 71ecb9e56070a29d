"""The fake closes a connection that sends no complete request head in time (a slowloris, or
an idle keep-alive socket); aiohttp's own default would hold it for an hour."""

from __future__ import annotations

import pytest

from mock_kakao.app import start_server
from mock_kakao.world.state import FakeKakao
from tests.support.slow_client import answer_then_close, stalled_heads

HEAD = b"GET /v2/user/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer x\r\n"


@pytest.mark.parametrize(
    ("sent", "drip"),
    [
        *stalled_heads(HEAD),
        pytest.param(HEAD + b"\r\n", b"", id="idle after an answer"),
    ],
)
async def test_a_stalled_connection_is_closed(sent: bytes, drip: bytes) -> None:
    runner, url = await start_server(FakeKakao.from_file(), "127.0.0.1", 0, idle_timeout=0.5)
    try:
        received = await answer_then_close(url, sent, drip=drip)
    finally:
        await runner.cleanup()
    if sent.endswith(b"\r\n\r\n"):  # a whole request: answered, then closed when idle
        assert received.startswith(b"HTTP/1.1 401 Unauthorized\r\n")
    else:
        assert received == b""
