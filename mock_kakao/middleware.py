"""Cross-cutting request handling: CORS, fault injection, and the redacted request log."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from mock_kakao.appkeys import CLOSING, STATE
from mock_kakao.faultplay import play
from mock_kakao.requestlog import LoggedRequest, iso_time
from mock_kakao.tokens import bearer_token, redact

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ADMIN_PREFIX = "/_mock/"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
NO_HTTP_ANSWER = ("drop", "hang")

logger = logging.getLogger("mock_kakao.requests")


def is_admin(path: str) -> bool:
    return path.startswith(ADMIN_PREFIX) or path == ADMIN_PREFIX.rstrip("/")


def is_loopback_origin(origin: str) -> bool:
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and parts.hostname in LOOPBACK_HOSTS


def _cors_headers(request: web.Request) -> dict[str, str]:
    """kapi/kauth answer any origin (pages call them from browsers); the admin API, loopback."""
    origin = request.headers.get("Origin")
    if not origin or (is_admin(request.path) and not is_loopback_origin(origin)):
        return {}
    methods = "GET, POST, PUT, PATCH, DELETE, OPTIONS" if is_admin(request.path) else "GET, POST"
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": methods,
        "Access-Control-Allow-Headers": "Authorization, Content-Type",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    headers = _cors_headers(request)
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        return web.Response(status=204, headers=headers)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update(headers)
        raise
    response.headers.update(headers)
    return response


@web.middleware
async def kakao_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Apply faults to a kapi/kauth request and log it; the admin API passes straight through."""
    if is_admin(request.path) or request.method == "OPTIONS":
        return await handler(request)
    state = request.app[STATE]
    token = bearer_token(request.headers.get("Authorization"))
    record = state.peek(token) if token else None
    user_id = record.user_id if record else None
    started = time.perf_counter()
    status: int | None = None
    fault_kind: str | None = None
    try:
        decision = state.faults.take(request.path, user_id)
        if decision.delay_ms:
            fault_kind = "latency"
            await asyncio.sleep(decision.delay_ms / 1000)
        if decision.fault is not None:
            fault_kind = decision.fault.kind
            response = await play(request, decision.fault, request.app[CLOSING])
        else:
            response = await handler(request)
        status = None if fault_kind in NO_HTTP_ANSWER else response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        entry = LoggedRequest(
            method=request.method,
            path=request.path,
            status=status,
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
            token=redact(token),
            user_id=user_id,
            time=iso_time(state.clock.now()),
            fault=fault_kind,
        )
        state.log.append(entry)
        logger.info(
            "%s %s %s %.1fms token=%s",
            entry.method,
            entry.path,
            entry.status if entry.status is not None else "-",
            entry.latency_ms,
            entry.token or "-",
        )
