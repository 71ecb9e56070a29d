"""Typed keys for what the aiohttp application carries (aiohttp's ``web.AppKey``)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from mock_kakao.world.state import FakeKakao

STATE = web.AppKey("state", FakeKakao)
# Set when the server shuts down, so a ``hang`` fault lets go instead of holding shutdown.
CLOSING = web.AppKey("closing", asyncio.Event)
# The server was started with --allow-remote: the admin API skips its loopback Host check.
ALLOW_REMOTE = web.AppKey("allow_remote", bool)
