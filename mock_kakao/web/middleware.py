"""Cross-cutting request handling: CORS, web domains, the admin guard, faults, the request log.

The admin API (``/_mock/``) has no authentication, so :func:`control_guard_middleware` keeps web
pages away from it. CORS alone would not: it only stops a foreign page from *reading* answers,
while a "simple" cross-site POST (``text/plain``, no preflight) still *runs*. Hence, for admin
paths only:

* an ``Origin`` header that is not a loopback origin → 403 ``FORBIDDEN_ORIGIN``;
* a ``Host`` header whose name is not loopback → 403 ``FORBIDDEN_HOST`` (DNS rebinding: a page on
  ``evil.example`` re-pointed at 127.0.0.1 is same-origin with the fake, but still says
  ``Host: evil.example``), unless the server was started with ``allow_remote``
  (``python -m mock_kakao --allow-remote``, ``MockKakao(allow_remote=True)``);
* a POST/PUT/PATCH body that is not ``application/json`` → 415 ``UNSUPPORTED_MEDIA_TYPE``: a
  browser sends JSON cross-site only after a preflight, which the CORS answer refuses.

Pages and the app's registered web domains (the console's "JavaScript SDK domains", see
:mod:`mock_kakao.world.registered`), as Kakao's servers treat them:

* kapi (``/v1/...``, ``/v2/...``) answers CORS to any page, but refuses a call whose ``Origin``
  is not a registered domain with Kakao's 401 ``{"msg": "domain mismatched! caller=<origin>.
  check out registered web domains.", "code": -401}``: the page can read that refusal (and
  the SDK rejects with it) instead of failing on an opaque CORS error. Its preflight is
  answered for any origin, as the real kapi does, so the refusal can arrive. A call without
  ``Origin`` (a server) is never checked.
* kauth's ``/oauth/token``, ``/oauth/tokeninfo``, ``/.well-known/...`` and anything else answer
  CORS to registered origins only; an unregistered one's preflight gets a bare 204 the browser
  refuses.
* kauth's login pages (``/oauth/authorize`` and below) are navigations, never fetched by
  scripts: they answer no CORS, so no page elsewhere can read a picker's form token.
* The SDK script (``/kakao_js_sdk/...``, ``/kakao.js``) is public, like Kakao's CDN:
  ``Access-Control-Allow-Origin: *``, so ``<script crossorigin="anonymous">`` loads it anywhere.

Every HTML page (picker, consent, error and logout-error pages, the SDK page) refuses to be
framed, as Kakao's do (:func:`frame_guard_middleware`): a site that framed the picker could lay
a decoy over "agree and continue" (clickjacking).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web

from logsafe import escape
from mock_kakao.kauth.login import LOGIN_PAGES
from mock_kakao.sdk.routes import is_sdk_path
from mock_kakao.web.appkeys import ALLOW_REMOTE, CLOSING, STATE
from mock_kakao.web.errors import (
    ControlError,
    domain_mismatched,
    is_kauth,
    kapi_error,
    kauth_error,
)
from mock_kakao.web.faultplay import play
from mock_kakao.web.loopback import host_header_name, is_loopback_host, is_loopback_origin
from mock_kakao.world.requestlog import LoggedRequest, iso_time
from mock_kakao.world.tokens import bearer_token, redact

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ADMIN_PREFIX = "/_mock/"
KAPI_PREFIXES = ("/v1/", "/v2/")
SDK_SCRIPT_PREFIX, SDK_SCRIPT = "/kakao_js_sdk/", "/kakao.js"
NO_HTTP_ANSWER = ("drop", "hang")
#: what Kakao's JavaScript SDK sends to kapi and kauth (kakao-api.md, "Kakao.API.request")
KAKAO_CORS = {
    "Access-Control-Allow-Methods": "GET, POST",
    "Access-Control-Allow-Headers": "Authorization, KA, Content-Type, Cache-Control, Pragma",
}
ADMIN_CORS = {
    "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
}

#: no page of another site (nor of this one) may show an HTML page of the fake in a frame;
#: X-Frame-Options for browsers that predate CSP's frame-ancestors
FRAME_GUARD = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}

logger = logging.getLogger("mock_kakao.requests")


def is_control_path(path: str) -> bool:
    return path.startswith(ADMIN_PREFIX) or path == ADMIN_PREFIX.rstrip("/")


def error_in_dialect(path: str, status: int, control_code: str, detail: str) -> web.Response:
    """An error the fake itself answers (no route, a body too slow), in the shape of the part
    of Kakao `path` looks like: the control API's ``{"error": control_code, "detail"}``,
    kauth's ``invalid_request``/``KOE001``, else kapi's ``-2`` (Kakao's code for a request it
    cannot make sense of); the HTTP status says what happened."""
    if is_control_path(path):
        return ControlError(status, control_code, detail).response()
    if is_kauth(path):
        return kauth_error(status, "invalid_request", detail, "KOE001")
    return kapi_error(status, -2, detail)


def request_timeout(request: web.Request, seconds: float) -> web.Response:
    """The 408 of a body not received within the body deadline (see web/limits.py)."""
    detail = f"the request body did not arrive within {seconds:g} s"
    return error_in_dialect(request.path, 408, "REQUEST_TIMEOUT", detail)


def is_login_page(path: str) -> bool:
    return path == LOGIN_PAGES or path.startswith(LOGIN_PAGES + "/")


def is_kapi(path: str) -> bool:
    return path.startswith(KAPI_PREFIXES)


def is_public_script(path: str) -> bool:
    return path == SDK_SCRIPT or path.startswith(SDK_SCRIPT_PREFIX)


def _allow(origin: str, rules: dict[str, str]) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": origin,
        **rules,
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


def _cors_headers(request: web.Request) -> dict[str, str]:
    """Who may read this answer; see the module docstring."""
    origin = request.headers.get("Origin")
    path = request.path
    if not origin or is_login_page(path):
        return {}
    if is_public_script(path):
        return {"Access-Control-Allow-Origin": "*"}
    if is_control_path(path):
        return _allow(origin, ADMIN_CORS) if is_loopback_origin(origin) else {}
    if is_kapi(path) or request.app[STATE].app.origin_registered(origin):
        return _allow(origin, KAKAO_CORS)
    return {}


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
async def frame_guard_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every text/html answer refuses framing (see the module docstring), error pages too."""
    response = await handler(request)
    if response.content_type == "text/html":
        response.headers.update(FRAME_GUARD)
    return response


@web.middleware
async def web_domain_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """kapi refuses a browser call from a page that is not on a registered web domain."""
    origin = request.headers.get(hdrs.ORIGIN)
    if (
        origin is not None
        and is_kapi(request.path)
        and request.method != hdrs.METH_OPTIONS
        and not request.app[STATE].app.origin_registered(origin)
    ):
        return domain_mismatched(origin).response()
    return await handler(request)


def forbidden_origin(request: web.Request) -> ControlError | None:
    """A page from elsewhere: its browser would run a simple POST even though CORS says no."""
    origin = request.headers.get(hdrs.ORIGIN)
    if origin is None or is_loopback_origin(origin):
        return None
    return ControlError(
        403, "FORBIDDEN_ORIGIN", f"the admin API only takes requests from loopback pages: {origin}"
    )


def forbidden_host(request: web.Request) -> ControlError | None:
    """A request addressed to a non-loopback name: DNS rebinding, unless allow_remote is on.

    A missing Host header is let through: every browser sends one, and a client that does not
    could send any Host it liked anyway.
    """
    host = request.headers.get(hdrs.HOST)
    if host is None or request.app[ALLOW_REMOTE]:
        return None
    name = host_header_name(host)
    if name is not None and is_loopback_host(name):
        return None
    return ControlError(
        403,
        "FORBIDDEN_HOST",
        f"the admin API answers only loopback names, not {host!r} "
        "(start the fake with --allow-remote to serve it to the network)",
    )


def unsupported_media_type(request: web.Request) -> ControlError | None:
    """A body that is not JSON: the only kind a foreign page can send without a preflight."""
    if request.method not in (hdrs.METH_POST, hdrs.METH_PUT, hdrs.METH_PATCH):
        return None
    if not request.body_exists or request.content_type == "application/json":
        return None
    return ControlError(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        f"admin request bodies must be application/json, not {request.content_type}",
    )


def control_refusal(request: web.Request) -> ControlError | None:
    """Why this admin request must not run, or None; see the module docstring."""
    for check in (forbidden_origin, forbidden_host, unsupported_media_type):
        refusal = check(request)
        if refusal is not None:
            return refusal
    return None


@web.middleware
async def control_guard_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse admin requests a web page could have forged, before any handler runs."""
    if is_control_path(request.path):
        refusal = control_refusal(request)
        if refusal is not None:
            return refusal.response()
    return await handler(request)


@web.middleware
async def change_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bump the state's version before and after every request, whatever it does: the state
    saver (persist.py) then compares the whole state, so no handler can change it unseen."""
    state = request.app[STATE]
    state.touch()
    try:
        return await handler(request)
    finally:
        state.touch()


@web.middleware
async def kakao_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Apply faults to a kapi/kauth request and log it; the admin API and the SDK's files (the
    CDN, not Kakao's API) pass straight through."""
    if is_control_path(request.path) or is_sdk_path(request.path) or request.method == "OPTIONS":
        return await handler(request)
    state = request.app[STATE]
    token = bearer_token(request.headers.get("Authorization"))
    if "Authorization" not in request.headers:  # kapi takes it from the query too (rule 6)
        token = request.query.get("access_token") or None
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
        logger.info(  # the path never has its query; what the client sent is escaped
            "%s %s %s %.1fms token=%s",
            escape(entry.method),
            escape(entry.path),
            entry.status if entry.status is not None else "-",
            entry.latency_ms,
            escape(entry.token or "-"),
        )
