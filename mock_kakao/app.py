"""``create_app`` and ``start_server``: kapi, kauth and the control API of one fake Kakao, on one
aiohttp application bound to one socket (``python -m mock_kakao``, MockKakao and run_all share it).


A path no route serves, or a method a route does not take, answers in the dialect of the part
of Kakao it looks like, never aiohttp's plain-text page, so a client's error parser sees the
shape it expects:

* ``/_mock/...``: the admin shape, 404 ``{"error": "NOT_FOUND", "detail": ...}`` (405:
  ``METHOD_NOT_ALLOWED``);
* ``/oauth/...`` and ``/.well-known/...``: kauth's, ``{"error": "invalid_request",
  "error_description": ..., "error_code": "KOE001"}``;
* anything else: kapi's ``{"msg": ..., "code": -2}``. Kakao documents no answer for an unknown
  API; -2 is its code for a request it cannot make sense of (bad parameter), and the HTTP status
  stays the truthful 404 or 405 (with ``Allow``), which is what clients branch on.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from logsafe import guard_parser_logs
from mock_kakao.control import api as control_api
from mock_kakao.control import appsettings, lifecycle
from mock_kakao.control import secevents as control_secevents
from mock_kakao.control import state as control_state
from mock_kakao.kapi import profile, scopes, serviceterms, shipping, talk
from mock_kakao.kapi import user as kapi_user
from mock_kakao.kauth import login, oidc, ssf, token
from mock_kakao.sdk import routes as sdk_routes
from mock_kakao.web.appkeys import ALLOW_REMOTE, CLOSING, STATE
from mock_kakao.web.errors import FakeKakaoError
from mock_kakao.web.limits import BODY_TIMEOUT, CappedRunner, body_deadline_middleware
from mock_kakao.web.middleware import (
    Handler,
    change_middleware,
    control_guard_middleware,
    cors_middleware,
    error_in_dialect,
    frame_guard_middleware,
    kakao_middleware,
    request_timeout,
    web_domain_middleware,
)
from mock_kakao.world.state import FakeKakao


def unrouted_response(request: web.Request, exc: web.HTTPException) -> web.Response:
    """The JSON 404/405 for a request no route took (see the module docstring)."""
    path = request.path
    if exc.status == 405:
        detail = f"{request.method} is not allowed on {path} (allowed: {exc.headers['Allow']})"
    else:
        detail = f"no API at {path}"
    code = "METHOD_NOT_ALLOWED" if exc.status == 405 else "NOT_FOUND"
    response = error_in_dialect(path, exc.status, code, detail)
    if "Allow" in exc.headers:
        response.headers["Allow"] = exc.headers["Allow"]
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn errors raised by handlers (kapi, kauth, admin, pages) into their exact bodies."""
    unrouted = request.match_info.http_exception
    if unrouted is not None:
        return unrouted_response(request, unrouted)
    try:
        return await handler(request)
    except FakeKakaoError as exc:
        return exc.response()


async def _release_hanging_requests(app: web.Application) -> None:
    app[CLOSING].set()


def create_app(
    state: FakeKakao, *, allow_remote: bool = False, body_timeout: float = BODY_TIMEOUT
) -> web.Application:
    """The fake on one application; run it with aiohttp's runners or test server.

    ``allow_remote``: the admin API also answers requests addressed to a non-loopback name, for a
    fake deliberately served to the network (``--allow-remote``). Off, DNS rebinding cannot
    reach it. ``body_timeout``: seconds a request body has once its head is in; past them, 408
    in the path's dialect and the connection closed.
    """
    guard_parser_logs()  # aiohttp's parser would log raw request bytes, tokens included
    middlewares = [
        change_middleware,  # outermost: every request, faults and refusals included
        cors_middleware,
        frame_guard_middleware,  # outside the error middleware: error pages are HTML too
        control_guard_middleware,
        kakao_middleware,  # faults and the request log: a domain refusal is logged too
        body_deadline_middleware(body_timeout, request_timeout),  # its 408 is logged too
        web_domain_middleware,
        error_middleware,
    ]
    app = web.Application(middlewares=middlewares)
    app[STATE] = state
    app[ALLOW_REMOTE] = allow_remote
    app[CLOSING] = asyncio.Event()
    app.on_shutdown.append(_release_hanging_requests)
    # Kakao's hosts and the harness's /_mock/ API, in the order their routes were first added
    kakao_and_control = (
        kapi_user,
        login,
        token,
        control_api,
        oidc,
        appsettings,
        sdk_routes,
        lifecycle,
    )
    for module in (
        *kakao_and_control,
        scopes,
        control_state,
        shipping,
        profile,
        serviceterms,
        talk,
        control_secevents,
        ssf,
    ):
        app.add_routes(module.routes)
    return app


# A ``hang`` fault lets go when the server shuts down; this only bounds the unexpected.
SHUTDOWN_TIMEOUT = 2.0
#: aiohttp's ``keepalive_timeout``: it closes a connection that has not sent a complete request
#: head this long after connecting or after its last answer, so it bounds a slowloris and an
#: idle keep-alive socket alike (AppRunner's default is 3630 s). Longer than the service's
#: client keeps idle connections to Kakao (30 s), so the fake never closes one the service is
#: about to reuse. Request bodies have their own deadline (BODY_TIMEOUT, web/limits.py).
IDLE_TIMEOUT = 75.0
#: connections the fake serves at once (python -m mock_kakao --max-connections,
#: MOCK_KAKAO_MAX_CONNECTIONS); more are closed as soon as accepted. With the service's 400
#: and the page's 100, run_all stays well below a ulimit -n of 1024, so one part's clients
#: cannot take the descriptors the others need.
MAX_CONNECTIONS = 300


def base_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def start_server(
    state: FakeKakao,
    host: str,
    port: int,
    *,
    allow_remote: bool = False,
    idle_timeout: float = IDLE_TIMEOUT,
    body_timeout: float = BODY_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
) -> tuple[web.AppRunner, str]:
    """Serve ``state`` on ``host:port`` (port 0: a free one); returns the runner and base URL.

    aiohttp's access log is off: it would print query strings carrying OAuth codes. The
    request-log middleware logs every request instead, with tokens redacted. ``allow_remote``
    lets the admin API answer requests addressed to a non-loopback name (see ``create_app``).
    ``idle_timeout``, ``body_timeout``, ``max_connections``: see IDLE_TIMEOUT, BODY_TIMEOUT
    and MAX_CONNECTIONS.
    """
    app = create_app(state, allow_remote=allow_remote, body_timeout=body_timeout)
    runner = CappedRunner(
        app,
        max_connections=max_connections,
        access_log=None,
        shutdown_timeout=SHUTDOWN_TIMEOUT,
        keepalive_timeout=idle_timeout,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_port = runner.addresses[0][1]
    return runner, base_url(host, bound_port)
