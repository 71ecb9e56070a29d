"""Fixtures for mock_kakao's own tests: a client session over real sockets.

The fake itself comes from the package's pytest plugin (``mock_kakao`` fixture), exactly as
other projects will use it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from mock_kakao.testing import MockKakao


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A client whose cookie jar accepts the fake's 127.0.0.1 cookies (as a browser would)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


@pytest.fixture
def kakao(mock_kakao: MockKakao) -> MockKakao:
    """The plugin's fake, reset to the bundled default users."""
    return mock_kakao
