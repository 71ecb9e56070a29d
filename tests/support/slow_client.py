"""A client that stalls: sends part of a request, maybe a byte at a time, and waits.

For the slowloris tests of every server here: each must close a stalled connection by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import urlsplit

import pytest

#: "closed eventually": far above the short timeouts the tests set, far below any default
BOUND = 15.0
#: seconds between the bytes a slowloris sends, well within those timeouts
DRIP = 0.1
#: bytes to drip that would outlast BOUND many times over
LONG_DRIP = b"a" * int(10 * BOUND / DRIP)


def stalled_heads(head: bytes) -> list[Any]:
    """(sent, drip) cases that stall before the head is complete; `head` is a partial head."""
    return [
        pytest.param(b"", b"", id="connected, sent nothing"),
        pytest.param(head, b"", id="partial head"),
        pytest.param(head + b"X-Slow: ", LONG_DRIP, id="head, one byte at a time"),
    ]


async def answer_then_close(url: str, sent: bytes, *, drip: bytes = b"") -> bytes:
    """Send `sent`, then `drip` a byte at a time; all the server sent before it closed.

    Fails the test if the server still holds the connection after BOUND seconds.
    """
    address = urlsplit(url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)

    async def dribble() -> None:
        with contextlib.suppress(ConnectionError):
            writer.write(sent)
            await writer.drain()
            for byte in drip:
                await asyncio.sleep(DRIP)
                writer.write(bytes([byte]))
                await writer.drain()

    sending = asyncio.create_task(dribble())
    try:
        async with asyncio.timeout(BOUND):
            received = b""
            with contextlib.suppress(ConnectionError):
                while chunk := await reader.read(65536):
                    received += chunk
            return received
    except TimeoutError:
        pytest.fail(f"the server held a stalled connection open for {BOUND} s")
    finally:
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sending
        writer.close()
