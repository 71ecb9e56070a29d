"""Registered web domains (the console's "JavaScript SDK domains") and CORS, over real sockets.

kapi refuses a page on an unregistered origin with Kakao's -401, in a body that page can read;
kauth answers CORS to registered origins only; a server (no ``Origin``) is never checked.
"""

from __future__ import annotations

import pytest

from mock_kakao.testing import MockKakao
from mock_kakao.web.errors import InvalidInput
from mock_kakao.world.registered import parse_origin, parse_web_domain
from tests.mock_kakao.helpers import FULL, FULL_ID, bearer, exchange_code, pick_user

SDK_HEADERS = ("Authorization", "KA", "Content-Type", "Cache-Control", "Pragma")
CONFIGURED = ["https://app.example.com", "http://localhost:3000/"]


def mismatch(origin: str) -> dict:
    return {
        "msg": f"domain mismatched! caller={origin}. check out registered web domains.",
        "code": -401,
    }


async def me(http, kakao: MockKakao, origin: str | None, token: str = FULL):
    headers = bearer(token) if origin is None else {**bearer(token), "Origin": origin}
    async with http.get(f"{kakao.url}/v2/user/me", headers=headers) as response:
        return response.status, await response.json(), response.headers


async def preflight(http, url: str, origin: str, method: str = "GET"):
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization,ka,cache-control,pragma,content-type",
    }
    async with http.options(url, headers=headers) as response:
        return response.status, response.headers


# -- kapi --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "origin", ["http://localhost:3000", "http://127.0.0.1:8002", "http://localhost:8002"]
)
async def test_the_default_apps_web_domains_are_registered(http, kakao, origin):
    status, body, headers = await me(http, kakao, origin)
    assert (status, body["id"]) == (200, FULL_ID)
    assert headers["Access-Control-Allow-Origin"] == origin


@pytest.mark.parametrize(
    "origin", ["http://127.0.0.1:5173", "http://localhost", "http://127.0.0.1:3000"]
)
async def test_other_loopback_pages_are_not_registered(http, kakao, origin):
    """Issue 20 rule 1: no "any loopback page" default; a page registers its domain."""
    status, body, _ = await me(http, kakao, origin)
    assert (status, body["code"]) == (401, -401)
    assert body["msg"].startswith(f"domain mismatched! caller={origin}")
    kakao.update_app(web_domains=[origin])
    assert (await me(http, kakao, origin))[0] == 200


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "https://localhost:3000",  # another scheme
        "http://localhost:3000/",  # a trailing slash: no origin a browser sends
        "null",  # a sandboxed frame or a file:// page
        "http://[::1]:3000",  # loopback, but not one of the two default names
        "http://localhost.evil.com:3000",
        "http://localhost:3000@evil.com",
    ],
)
async def test_an_unregistered_page_gets_domain_mismatched_and_can_read_it(http, kakao, origin):
    status, body, headers = await me(http, kakao, origin)
    assert (status, body) == (401, mismatch(origin))
    assert headers["Access-Control-Allow-Origin"] == origin


@pytest.mark.parametrize(
    ("origin", "registered"),
    [
        ("https://app.example.com", True),
        ("https://app.example.com:443", True),
        ("https://APP.example.com", True),
        ("http://localhost:3000", True),
        ("http://localhost:3001", False),  # another port
        ("http://app.example.com", False),  # another scheme
        ("https://app.example.com:8443", False),
        ("http://127.0.0.1:3000", False),  # configured: the loopback default no longer applies
        ("https://app.example.com/", False),
        ("null", False),
    ],
)
async def test_configured_domains_replace_the_loopback_default(http, origin, registered):
    with MockKakao(web_domains=CONFIGURED) as kakao:
        status, body, headers = await me(http, kakao, origin)
        assert status == (200 if registered else 401)
        if not registered:
            assert body == mismatch(origin)
        assert headers["Access-Control-Allow-Origin"] == origin


async def test_a_server_without_origin_is_never_checked(http):
    with MockKakao(web_domains=["https://app.example.com"]) as kakao:
        status, body, headers = await me(http, kakao, None)
        assert (status, body["id"]) == (200, FULL_ID)
        assert "Access-Control-Allow-Origin" not in headers


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/user/access_token_info"),
        ("POST", "/v2/user/me"),
        ("POST", "/v1/user/logout"),
        ("POST", "/v1/user/unlink"),
        ("GET", "/v1/oidc/userinfo"),
    ],
)
async def test_every_kapi_path_refuses_before_doing_anything(http, kakao, method, path):
    origin = "https://evil.example"
    headers = {**bearer(FULL), "Origin": origin}
    async with http.request(method, kakao.url + path, headers=headers) as response:
        assert (response.status, await response.json()) == (401, mismatch(origin))
    logged = kakao.requests()[0]  # the refusal is in the request log
    assert (logged["method"], logged["path"], logged["status"]) == (method, path, 401)
    assert (await me(http, kakao, None))[0] == 200  # no logout or unlink ran


async def test_kapi_preflights_allow_what_the_sdk_sends_from_any_page(http, kakao):
    for origin in ("http://localhost:3000", "https://evil.example"):
        status, headers = await preflight(http, f"{kakao.url}/v2/user/me", origin)
        assert status == 204
        assert headers["Access-Control-Allow-Origin"] == origin
        assert headers["Access-Control-Allow-Methods"] == "GET, POST"
        allowed = [h.strip() for h in headers["Access-Control-Allow-Headers"].split(",")]
        assert all(header in allowed for header in SDK_HEADERS)


# -- kauth and the rest: registered pages only ------------------------------------------------


async def test_the_token_endpoint_answers_cors_to_registered_pages_only(http, kakao):
    url = f"{kakao.url}/oauth/token"
    status, headers = await preflight(http, url, "http://127.0.0.1:8002", "POST")
    assert status == 204 and headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8002"
    assert "KA" in headers["Access-Control-Allow-Headers"]
    status, headers = await preflight(http, url, "https://evil.example", "POST")
    assert status == 204
    assert not any(name.startswith("Access-Control-") for name in headers)
    code = (await pick_user(http, kakao, FULL_ID)).query["code"]
    form = {"grant_type": "authorization_code", "client_id": kakao.client_id, "code": code}
    async with http.post(url, data=form, headers={"Origin": "https://evil.example"}) as response:
        assert "Access-Control-Allow-Origin" not in response.headers
    code = (await pick_user(http, kakao, FULL_ID)).query["code"]
    form["code"] = code
    async with http.post(url, data=form, headers={"Origin": "http://localhost:3000"}) as response:
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"


@pytest.mark.parametrize(
    "path",
    ["/.well-known/openid-configuration", "/.well-known/jwks.json", "/nowhere", "/kakao.json"],
)
async def test_nothing_else_is_served_to_an_unregistered_page(http, kakao, path):
    for origin, readable in (("https://evil.example", False), ("http://localhost:3000", True)):
        async with http.get(kakao.url + path, headers={"Origin": origin}) as response:
            assert ("Access-Control-Allow-Origin" in response.headers) is readable


async def test_the_sdk_script_paths_are_public_like_a_cdn(http, kakao):
    for path in ("/kakao.js", "/kakao_js_sdk/2.7.2/kakao.min.js"):
        async with http.get(kakao.url + path, headers={"Origin": "https://evil.example"}) as r:
            assert r.headers["Access-Control-Allow-Origin"] == "*"


async def test_patch_app_registers_a_domain_until_the_reset(http, kakao):
    origin = "https://app.example.com"
    assert (await me(http, kakao, origin))[0] == 401
    kakao.update_app(web_domains=[origin])
    assert (await me(http, kakao, origin))[0] == 200
    assert (await me(http, kakao, "http://localhost:3000"))[0] == 401
    kakao.reset()
    assert (await me(http, kakao, "http://localhost:3000"))[0] == 200


async def test_a_token_exchanged_by_a_page_works_on_kapi_from_that_page(http, kakao):
    """The JavaScript SDK's flow: authorize with the JS key, exchange with the REST key."""
    origin = "http://localhost:3000"
    redirect = await pick_user(http, kakao, FULL_ID, client_id=kakao.javascript_key)
    status, body = await exchange_code(http, kakao, redirect.query["code"])
    assert status == 200 and body["expires_in"] == 7199
    status, me_body, _ = await me(http, kakao, origin, body["access_token"])
    assert (status, me_body["id"]) == (200, FULL_ID)


# -- parsing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "parsed"),
    [
        ("http://localhost:3000", ("http", "localhost", 3000)),
        ("https://app.example.com", ("https", "app.example.com", 443)),
        ("http://[::1]:8080", ("http", "::1", 8080)),
        ("http://localhost:3000/", None),
        ("http://localhost:3000?", None),
        ("http://localhost:3000#", None),
        ("http://user@localhost:3000", None),
        ("http://localhost:port", None),
        ("ftp://localhost", None),
        ("null", None),
        ("", None),
    ],
)
def test_an_origin_header_is_exactly_scheme_host_and_port(header, parsed):
    assert parse_origin(header) == parsed


def test_a_configured_domain_forgives_a_trailing_slash_only():
    assert parse_web_domain("https://App.Example.com/") == "https://app.example.com"
    for bad in ("https://app.example.com/path", "https://app.example.com//", "app.example.com"):
        with pytest.raises(InvalidInput, match="not an origin"):
            parse_web_domain(bad)
