"""``create_app``: kapi, kauth and the admin API of one fake Kakao on one aiohttp application."""

from __future__ import annotations

import asyncio

from aiohttp import web

from mock_kakao import admin, kapi, kauth
from mock_kakao.appkeys import CLOSING, STATE
from mock_kakao.errors import FakeKakaoError
from mock_kakao.middleware import Handler, cors_middleware, kakao_middleware
from mock_kakao.state import FakeKakao


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn errors raised by handlers (kapi, kauth, admin, pages) into their exact bodies."""
    try:
        return await handler(request)
    except FakeKakaoError as exc:
        return exc.response()


async def _release_hanging_requests(app: web.Application) -> None:
    app[CLOSING].set()


def create_app(state: FakeKakao) -> web.Application:
    """The fake on one application; run it with aiohttp's runners or test server."""
    app = web.Application(middlewares=[cors_middleware, kakao_middleware, error_middleware])
    app[STATE] = state
    app[CLOSING] = asyncio.Event()
    app.on_shutdown.append(_release_hanging_requests)
    app.add_routes(kapi.routes)
    app.add_routes(kauth.routes)
    app.add_routes(admin.routes)
    return app
