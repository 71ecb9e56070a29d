"""The fake's copy of Kakao's JavaScript SDK v2, served where Kakao's CDN serves the real one.

A frontend switches to the fake by changing one ``<script src>``:
``https://t1.kakaocdn.net/kakao_js_sdk/2.7.2/kakao.min.js`` becomes
``http://127.0.0.1:8001/kakao_js_sdk/2.7.2/kakao.min.js``. Any 2.x version is served, with the
URL's version written into the script (it behaves as that version: ``prompts`` up to 2.2.x,
``prompt`` from 2.3.0), and ``/kakao.js`` too, as :data:`DEFAULT_VERSION`. The script reads the
fake's origin from its own URL.
``/_sdk`` is a page showing the ``<script>`` line and the app's public keys (REST API and
JavaScript keys are not secrets in Kakao's model; the admin key is, and is not shown).

These paths are the CDN, not Kakao's API: faults and the request log leave them alone
(see :func:`is_sdk_path`), so a "Kakao is down" switch still lets a page load its SDK.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from pathlib import Path

from aiohttp import web

from mock_kakao.kauth import pages
from mock_kakao.kauth.oidc import base_url_of
from mock_kakao.web.appkeys import STATE
from mock_kakao.web.errors import KapiError

routes = web.RouteTableDef()

SDK_FILE = Path(__file__).with_name("kakao.js")
CDN_PREFIX = "/kakao_js_sdk/"
PLAIN_PATH = "/kakao.js"
PAGE_PATH = "/_sdk"
#: what /_sdk suggests, and the version /kakao.js is served as
DEFAULT_VERSION = "2.7.2"
#: the string literal in kakao.js that each answer replaces with the URL's version
VERSION_SLOT = b'"__MOCK_KAKAO_SDK_VERSION__"'
_VERSION = re.compile(r"2\.[0-9]{1,4}\.[0-9]{1,4}")
_JS_HEADERS = {
    "Content-Type": "text/javascript; charset=utf-8",
    "Cache-Control": "no-cache",
    # Kakao's snippet loads the SDK with crossorigin="anonymous" and integrity, from any page.
    "Access-Control-Allow-Origin": "*",
}


def is_sdk_path(path: str) -> bool:
    """The SDK's files and page: static assets, outside the fake Kakao's API."""
    return path.startswith(CDN_PREFIX) or path in (PLAIN_PATH, PAGE_PATH)


@functools.cache
def _template() -> bytes:
    source = SDK_FILE.read_bytes()
    if source.count(VERSION_SLOT) != 1:
        raise RuntimeError(f"{SDK_FILE} must hold {VERSION_SLOT.decode()} exactly once")
    return source


def sdk_source(version: str = DEFAULT_VERSION) -> bytes:
    """The script as served for ``version`` (already checked against :data:`_VERSION`).

    Written in by the server, not read from ``document.currentScript`` in the page, so the
    version holds however the page loads the file (bundled, injected, re-hosted).
    """
    return _template().replace(VERSION_SLOT, f'"{version}"'.encode())


def integrity(version: str = DEFAULT_VERSION) -> str:
    """The Subresource Integrity value of the script for ``version``, as Kakao's download
    page lists one per version."""
    digest = hashlib.sha384(sdk_source(version)).digest()
    return "sha384-" + base64.b64encode(digest).decode()


def sdk_url(base_url: str, version: str = DEFAULT_VERSION) -> str:
    """Where the fake at ``base_url`` serves the SDK: the path of Kakao's CDN."""
    return f"{base_url}{CDN_PREFIX}{version}/kakao.min.js"


def script_tag(base_url: str) -> str:
    """The line that replaces Kakao's CDN ``<script>``."""
    return (
        f'<script src="{sdk_url(base_url)}" integrity="{integrity()}" '
        'crossorigin="anonymous"></script>'
    )


def _script(version: str) -> web.Response:
    return web.Response(body=sdk_source(version), headers=_JS_HEADERS)


@routes.get(CDN_PREFIX + "{version}/kakao.min.js")
async def cdn_sdk(request: web.Request) -> web.Response:
    version = request.match_info["version"]
    if not _VERSION.fullmatch(version):
        raise KapiError(404, -2, f"no JavaScript SDK {version} here: the fake serves 2.x only")
    return _script(version)


@routes.get(PLAIN_PATH)
async def plain_sdk(request: web.Request) -> web.Response:
    return _script(DEFAULT_VERSION)


@routes.get(PAGE_PATH)
async def sdk_page(request: web.Request) -> web.Response:
    state = request.app[STATE]
    base = base_url_of(request)
    keys = {
        "app id": str(state.app_id),
        "REST API key": state.app.settings.rest_api_key,
        "JavaScript key": state.app.settings.javascript_key,
    }
    html = pages.sdk(script_tag(base), base, keys)
    return web.Response(text=html, content_type="text/html")
