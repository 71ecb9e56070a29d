"""The harness page's server: static files plus `/config.json`, which tells the page where the
service and the fake Kakao listen (their ports are only known at start-up, so they cannot be
baked into the page).

It also serves `examples/kakao-js-sdk/` at `/example/`: a frontend written against Kakao's
JavaScript SDK, whose `config.js` (its one place that differs from production) is served with
this stack's URLs and keys written into it.

Everything else the page does goes straight from the browser to the service and the fake, with
CORS, exactly as a real frontend would; this server never proxies.

`/config.json` also carries the service's admin token (run_all.py makes one per run), so only
the page itself may read it: it answers no CORS, refuses a request another site's page sends
(`Sec-Fetch-Site`, `Origin`), and, unless the harness was started with `--allow-remote`, one
addressed to a name that is not loopback (DNS rebinding: a site whose name resolves to
127.0.0.1 would otherwise be "same origin" with this server).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from logsafe import guard_parser_logs
from mock_kakao.sdk.routes import sdk_url
from mock_kakao.web.limits import BODY_TIMEOUT, body_deadline_middleware
from mock_kakao.web.loopback import host_header_name, is_loopback_host

STATIC_DIR = Path(__file__).parent / "static"
EXAMPLE_DIR = Path(__file__).resolve().parents[1] / "examples" / "kakao-js-sdk"
EXAMPLE_PATH = "/example/"

#: The page is a developer tool that changes often; a stale cached app.js is a confusing bug.
_NO_CACHE = {"Cache-Control": "no-store"}

CONFIG_KEY = web.AppKey("harness_config", dict)
CSP_KEY = web.AppKey("harness_csp", str)
EXAMPLE_CONFIG_KEY = web.AppKey("example_config", str)
ALLOW_REMOTE_KEY = web.AppKey("harness_allow_remote", bool)
#: what a browser says of a request from the page itself, or one typed into its address bar
_OWN_FETCHES = {"same-origin", "none"}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(service_url: str, kakao_url: str) -> str:
    """Only this server, the service and the fake (its JavaScript SDK too): the pages load
    nothing from the internet."""
    others = f"{_origin(service_url)} {_origin(kakao_url)}"
    return (
        "default-src 'self'; "
        f"connect-src 'self' {others}; "
        "img-src 'self' data:; "
        f"style-src 'self'; script-src 'self' {_origin(kakao_url)}; "
        f"form-action 'self' {others}; "
        "base-uri 'none'; frame-ancestors 'none'"
    )


@web.middleware
async def _headers(request: web.Request, handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.update(_NO_CACHE)
    response.headers["Content-Security-Policy"] = request.app[CSP_KEY]
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _request_timeout(request: web.Request, seconds: float) -> web.Response:
    """The page's 408, in its JSON error shape (as `/config.json`'s 403)."""
    detail = f"the request body did not arrive within {seconds:g} s"
    return web.json_response({"error": "REQUEST_TIMEOUT", "detail": detail}, status=408)


async def _index(request: web.Request) -> web.FileResponse:
    # `/callback` is the redirect URI of the "Sign in with Kakao" flow; the page handles it.
    return web.FileResponse(STATIC_DIR / "index.html")


def from_the_page_itself(request: web.Request, allow_remote: bool) -> bool:
    """Whether a request for `/config.json` comes from this server's own page (or a person
    or script on this machine), not from another site's page. See the module's docstring."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in _OWN_FETCHES:
        return False
    origin = request.headers.get("Origin")
    if origin is not None and _origin(origin) != f"{request.scheme}://{request.host}":
        return False
    name = host_header_name(request.host)
    return allow_remote or (name is not None and is_loopback_host(name))


async def _config(request: web.Request) -> web.Response:
    if not from_the_page_itself(request, request.app[ALLOW_REMOTE_KEY]):
        return web.json_response(
            {"error": "FORBIDDEN", "detail": "only the harness page itself may read its config"},
            status=403,
        )
    return web.json_response(request.app[CONFIG_KEY])


def example_config(source: str, values: dict[str, str]) -> str:
    """The example's `config.js` with each `const NAME = "...";` set to `values[NAME]`."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in values:
            return match.group(0)
        return f"{match.group(1)}{json.dumps(values[name])};"

    return re.sub(r'^(const (\w+) = )"[^"\n]*";', replace, source, flags=re.MULTILINE)


async def _example_config(request: web.Request) -> web.Response:
    return web.Response(text=request.app[EXAMPLE_CONFIG_KEY], content_type="text/javascript")


async def _example_index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(EXAMPLE_DIR / "index.html")


async def _example_slash(request: web.Request) -> web.Response:
    raise web.HTTPFound(EXAMPLE_PATH)


def create_app(
    service_url: str,
    kakao_url: str,
    app_id: int,
    client_id: str | None = None,
    javascript_key: str | None = None,
    *,
    admin_token: str | None = None,
    allow_remote: bool = False,
    body_timeout: float = BODY_TIMEOUT,
) -> web.Application:
    """The page's app. `client_id` is the fake's REST API key (the code exchange),
    `javascript_key` its JavaScript key (`Kakao.init`, the SDK's authorize) and `admin_token`
    the service's ADMIN_TOKEN, for the Accounts panel (None: no panel). `body_timeout`: a
    request body not in by then is a 408 (mock_kakao.web.limits)."""
    guard_parser_logs()  # aiohttp's parser would log raw request bytes, tokens included
    app = web.Application(
        middlewares=[_headers, body_deadline_middleware(body_timeout, _request_timeout)]
    )
    app[CONFIG_KEY] = {
        "service_url": service_url.rstrip("/"),
        "kakao_url": kakao_url.rstrip("/"),
        "sdk_url": sdk_url(kakao_url.rstrip("/")),
        "app_id": app_id,
        "client_id": client_id,
        "javascript_key": javascript_key,
        "admin_token": admin_token,
    }
    app[ALLOW_REMOTE_KEY] = allow_remote
    app[CSP_KEY] = content_security_policy(service_url, kakao_url)
    example = {
        "KAKAO_SDK_URL": sdk_url(kakao_url.rstrip("/")),
        "KAUTH_URL": kakao_url.rstrip("/"),
        "SERVICE_URL": service_url.rstrip("/"),
        "JAVASCRIPT_KEY": javascript_key or "",
        "REST_API_KEY": client_id or "",
    }
    source = (EXAMPLE_DIR / "config.js").read_text(encoding="utf-8")
    app[EXAMPLE_CONFIG_KEY] = example_config(source, example)
    app.router.add_get("/", _index)
    app.router.add_get("/callback", _index)
    app.router.add_get("/config.json", _config)
    app.router.add_static("/static/", STATIC_DIR)
    app.router.add_get(EXAMPLE_PATH.rstrip("/"), _example_slash)
    app.router.add_get(EXAMPLE_PATH, _example_index)
    app.router.add_get(EXAMPLE_PATH + "config.js", _example_config)
    app.router.add_static(EXAMPLE_PATH, EXAMPLE_DIR)
    return app
