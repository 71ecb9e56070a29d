"""The harness page's server: static files plus `/config.json`, which tells the page where the
service and the fake Kakao listen (their ports are only known at start-up, so they cannot be
baked into the page).

Everything else the page does goes straight from the browser to the service and the fake, with
CORS, exactly as a real frontend would; this server never proxies.

`/config.json` also carries the service's admin token (run_all.py makes one per run), so only
the page itself may read it: it answers no CORS, refuses a request another site's page sends
(`Sec-Fetch-Site`, `Origin`), and, unless the harness was started with `--allow-remote`, one
addressed to a name that is not loopback (DNS rebinding: a site whose name resolves to
127.0.0.1 would otherwise be "same origin" with this server).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from logsafe import guard_parser_logs
from mock_kakao.loopback import host_header_name, is_loopback_host

STATIC_DIR = Path(__file__).parent / "static"

#: The page is a developer tool that changes often; a stale cached app.js is a confusing bug.
_NO_CACHE = {"Cache-Control": "no-store"}

CONFIG_KEY = web.AppKey("harness_config", dict)
CSP_KEY = web.AppKey("harness_csp", str)
ALLOW_REMOTE_KEY = web.AppKey("harness_allow_remote", bool)
#: what a browser says of a request from the page itself, or one typed into its address bar
_OWN_FETCHES = {"same-origin", "none"}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(service_url: str, kakao_url: str) -> str:
    """Only this server, the service and the fake: the page loads nothing from the internet."""
    others = f"{_origin(service_url)} {_origin(kakao_url)}"
    return (
        "default-src 'self'; "
        f"connect-src 'self' {others}; "
        "img-src 'self' data:; "
        "style-src 'self'; script-src 'self'; "
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


def create_app(
    service_url: str,
    kakao_url: str,
    app_id: int,
    client_id: str | None = None,
    *,
    admin_token: str | None = None,
    allow_remote: bool = False,
) -> web.Application:
    """The page's app. `client_id` is the fake's REST API key, used by the redirect flow;
    `admin_token` the service's ADMIN_TOKEN, for the Accounts panel (None: no panel)."""
    guard_parser_logs()  # aiohttp's parser would log raw request bytes, tokens included
    app = web.Application(middlewares=[_headers])
    app[CONFIG_KEY] = {
        "service_url": service_url.rstrip("/"),
        "kakao_url": kakao_url.rstrip("/"),
        "app_id": app_id,
        "client_id": client_id,
        "admin_token": admin_token,
    }
    app[ALLOW_REMOTE_KEY] = allow_remote
    app[CSP_KEY] = content_security_policy(service_url, kakao_url)
    app.router.add_get("/", _index)
    app.router.add_get("/callback", _index)
    app.router.add_get("/config.json", _config)
    app.router.add_static("/static/", STATIC_DIR)
    return app
