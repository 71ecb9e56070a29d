"""The admin API refuses what a web page could forge: foreign origins, rebinding, non-JSON bodies.

CORS only stops a foreign page from reading answers; these checks stop its requests from running.
kapi and kauth stay open to every page, as Kakao's are.
"""

from __future__ import annotations

import json

import aiohttp
import pytest

from mock_kakao.testing import MockKakao
from mock_kakao.web.loopback import host_header_name, is_loopback_origin
from tests.mock_kakao.helpers import FULL

EVIL = "http://evil.example"
PLAIN = {"Content-Type": "text/plain"}


async def send(
    http: aiohttp.ClientSession,
    url: str,
    method: str = "POST",
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict | None]:
    """One request with exactly these headers; the status and the JSON answer, if any."""
    async with http.request(method, url, data=body, headers=headers or {}) as response:
        text = await response.text()
        return response.status, (json.loads(text) if text else None)


def snapshot(kakao: MockKakao) -> tuple[list, float]:
    """What the forged requests below would change: the users and the clock."""
    return kakao.users(), kakao._admin("GET", "/_mock/clock")["offset"]


SIMPLE_POSTS = [
    ("/_mock/users", '{"id": 666, "nickname": "pwned"}'),
    ("/_mock/clock", '{"advance": 999999}'),
    ("/_mock/reset", "{}"),
    ("/_mock/users/4000000001/tokens", "{}"),
]


@pytest.mark.parametrize(("path", "body"), SIMPLE_POSTS)
async def test_a_cross_site_simple_post_is_refused_and_changes_nothing(http, kakao, path, body):
    kakao.add_user(id=777)  # a reset would remove it
    before = snapshot(kakao)
    status, answer = await send(
        http, kakao.url + path, body=body, headers={"Origin": EVIL, **PLAIN}
    )
    assert (status, answer["error"]) == (403, "FORBIDDEN_ORIGIN")
    assert answer["detail"]
    assert snapshot(kakao) == before


@pytest.mark.parametrize(
    "origin", ["null", "http://127.0.0.1.evil.com", "http://localhost@evil.com"]
)
async def test_any_non_loopback_origin_is_refused_even_with_json(http, kakao, origin):
    headers = {"Origin": origin, "Content-Type": "application/json"}
    status, answer = await send(http, kakao.url + "/_mock/users", "GET", headers=headers)
    assert (status, answer["error"]) == (403, "FORBIDDEN_ORIGIN")


@pytest.mark.parametrize(("path", "body"), SIMPLE_POSTS)
async def test_a_body_that_is_not_json_is_415(http, kakao, path, body):
    before = snapshot(kakao)
    status, answer = await send(http, kakao.url + path, body=body, headers=PLAIN)
    assert (status, answer["error"]) == (415, "UNSUPPORTED_MEDIA_TYPE")
    assert "text/plain" in answer["detail"]
    assert snapshot(kakao) == before


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data"]
)
async def test_form_bodies_are_415_too(http, kakao, content_type):
    headers = {"Content-Type": content_type}
    status, answer = await send(http, kakao.url + "/_mock/faults", "PUT", "[]", headers)
    assert (status, answer["error"]) == (415, "UNSUPPORTED_MEDIA_TYPE")


async def test_bodiless_post_and_json_with_a_charset_are_fine(http, kakao):
    assert (await send(http, kakao.url + "/_mock/reset"))[0] == 200
    headers = {"Content-Type": "application/json; charset=utf-8"}
    status, _ = await send(http, kakao.url + "/_mock/clock", body='{"advance": 1}', headers=headers)
    assert status == 200


async def test_a_loopback_page_with_json_is_served(http, kakao):
    """What the harness page does: another loopback origin, JSON, CORS headers on the answer."""
    origin = "http://127.0.0.1:8002"
    headers = {"Origin": origin, "Content-Type": "application/json"}
    async with http.post(
        kakao.url + "/_mock/users", data='{"id": 55, "nickname": "n"}', headers=headers
    ) as response:
        assert response.status == 201
        assert response.headers["Access-Control-Allow-Origin"] == origin


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "10.0.0.1", "0.0.0.0", ""])
async def test_dns_rebinding_cannot_read_the_users_and_their_tokens(http, kakao, host):
    status, answer = await send(http, kakao.url + "/_mock/users", "GET", headers={"Host": host})
    assert (status, answer["error"]) == (403, "FORBIDDEN_HOST")
    assert FULL not in json.dumps(answer)


@pytest.mark.parametrize(
    "host", ["127.0.0.1:1", "127.0.0.2", "localhost:80", "LOCALHOST", "[::1]:9"]
)
async def test_loopback_host_names_are_served(http, kakao, host):
    assert (await send(http, kakao.url + "/_mock/config", "GET", headers={"Host": host}))[0] == 200


async def test_allow_remote_serves_other_host_names_but_still_checks_origin(http):
    with MockKakao(allow_remote=True) as kakao:
        url = kakao.url + "/_mock/config"
        assert (await send(http, url, "GET", headers={"Host": "kakao.lan:8001"}))[0] == 200
        status, answer = await send(http, url, "GET", headers={"Host": "kakao.lan", "Origin": EVIL})
        assert (status, answer["error"]) == (403, "FORBIDDEN_ORIGIN")


async def test_kapi_and_kauth_take_any_host_and_check_the_page(http, kakao):
    headers = {"Host": "kapi.kakao.com", "Authorization": f"Bearer {FULL}"}
    assert (await send(http, kakao.url + "/v2/user/me", "GET", headers=headers))[0] == 200
    status, answer = await send(
        http, kakao.url + "/v2/user/me", "GET", headers={**headers, "Origin": EVIL}
    )
    assert (status, answer["code"]) == (401, -401)  # not a registered web domain
    form = "grant_type=refresh_token&client_id=mock-rest-api-key&refresh_token=nope"
    headers = {"Host": "kauth.kakao.com", "Content-Type": "application/x-www-form-urlencoded"}
    status, answer = await send(http, kakao.url + "/oauth/token", body=form, headers=headers)
    assert (status, answer["error_code"]) == (400, "KOE322")
    headers["Origin"] = EVIL  # a page elsewhere mints nothing (issue 19 item 11)
    status, answer = await send(http, kakao.url + "/oauth/token", body=form, headers=headers)
    assert (status, answer["error_code"]) == (401, "KOE009")


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("127.0.0.1:8001", "127.0.0.1"),
        ("[::1]:8001", "::1"),
        ("LocalHost", "localhost"),
        ("a@127.0.0.1", None),
        ("127.0.0.1/x", None),
        ("127.0.0.1:port", None),
        ("", None),
    ],
)
def test_host_header_name(value, name):
    assert host_header_name(value) == name


def test_loopback_origin_rejects_userinfo_and_lookalikes():
    assert is_loopback_origin("http://[::1]:3000")
    assert not is_loopback_origin("http://127.0.0.1@evil.example")
    assert not is_loopback_origin("http://localhost.evil.example")
    assert not is_loopback_origin("file://")
