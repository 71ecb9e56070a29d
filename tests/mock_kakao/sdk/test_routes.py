"""The fake's copy of Kakao's JavaScript SDK over HTTP: where it is served, its page, and the
CORS its requests need. (What it does in a page: tests/harness_ui/test_js_sdk.py.)"""

from __future__ import annotations

import base64
import hashlib
import html
import re

import pytest

from mock_kakao.sdk.routes import DEFAULT_VERSION

REGISTERED_ORIGIN = "http://localhost:3000"


async def fetch(http, url: str, **kwargs) -> tuple[int, str, bytes]:
    async with http.get(url, **kwargs) as response:
        return response.status, response.content_type, await response.read()


@pytest.mark.parametrize(
    "path", ["/kakao_js_sdk/2.7.2/kakao.min.js", "/kakao_js_sdk/2.0.0/kakao.min.js", "/kakao.js"]
)
async def test_the_sdk_is_served_at_kakaos_cdn_path_for_any_2x_and_at_kakao_js(http, kakao, path):
    status, content_type, body = await fetch(http, kakao.url + path)
    assert (status, content_type) == (200, "text/javascript")
    assert body.startswith(b"/*!\n * mock_kakao's stand-in for Kakao's JavaScript SDK v2")


async def test_the_script_carries_the_version_of_its_url(http, kakao):
    """Served into the script, so the SDK knows its version however a page loads it."""
    _, _, old = await fetch(http, f"{kakao.url}/kakao_js_sdk/2.2.0/kakao.min.js")
    _, _, new = await fetch(http, f"{kakao.url}/kakao_js_sdk/2.3.0/kakao.min.js")
    _, _, plain = await fetch(http, f"{kakao.url}/kakao.js")
    assert b'"2.2.0"' in old and old != new
    assert old.replace(b'"2.2.0"', b'"2.3.0"') == new
    assert old.replace(b'"2.2.0"', f'"{DEFAULT_VERSION}"'.encode()) == plain


@pytest.mark.parametrize("version", ["1.43.0", "3.0.0", "latest", "2.7", "2.7.2-beta"])
async def test_no_sdk_for_other_versions(http, kakao, version):
    async with http.get(f"{kakao.url}/kakao_js_sdk/{version}/kakao.min.js") as response:
        assert response.status == 404
        body = await response.json()
    assert body["code"] == -2 and version in body["msg"]


async def test_the_sdk_page_shows_the_script_line_and_the_public_keys(http, kakao):
    status, _, raw = await fetch(http, f"{kakao.url}/_sdk")
    page = html.unescape(raw.decode())
    _, _, sdk = await fetch(http, f"{kakao.url}/kakao_js_sdk/2.7.2/kakao.min.js")
    digest = base64.b64encode(hashlib.sha384(sdk).digest()).decode()
    async with http.get(f"{kakao.url}/_mock/config") as response:
        config = await response.json()
    # the JavaScript key; the REST API key on a fake that has no JavaScript key yet
    javascript_key = config["javascript_key"]

    assert status == 200
    assert (
        f'<script src="{kakao.url}/kakao_js_sdk/2.7.2/kakao.min.js" '
        f'integrity="sha384-{digest}" crossorigin="anonymous"></script>'
    ) in page
    assert re.findall(r'data-testid="key-([a-z-]+)">([^<]*)<', page) == [
        ("app-id", str(kakao.app_id)),
        ("rest-api-key", config["rest_api_key"]),
        ("javascript-key", javascript_key),
    ]
    assert config["admin_key"] not in page  # a secret


async def test_sdk_files_are_not_kakaos_api_no_faults_no_log(http, kakao):
    kakao.add_fault("error", status=503, code=-9798, msg="down")
    kakao.clear_requests()
    for path in ("/kakao.js", "/kakao_js_sdk/2.7.2/kakao.min.js", "/_sdk"):
        status, _, _ = await fetch(http, kakao.url + path)
        assert status == 200
    assert kakao.requests() == []


async def test_kapi_preflight_allows_the_headers_the_sdk_sends(http, kakao):
    preflight = {
        "Origin": REGISTERED_ORIGIN,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization,cache-control,content-type,ka,pragma",
    }
    async with http.options(f"{kakao.url}/v2/user/me", headers=preflight) as response:
        assert response.status == 204
        allowed = {
            h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")
        }
    assert {"authorization", "ka", "content-type", "cache-control", "pragma"} <= allowed
