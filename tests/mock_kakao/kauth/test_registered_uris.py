"""Issue 20 rules 1 and 8 (kauth): redirect URIs match exactly and per app key, the logout
list is its own (KOE007), and ``response_type`` other than ``code`` is KOE201/KOE202.

kakao-api.md, "Redirect URIs, web domains, keys" (CONFIRMED [SEC §1.2], [KEYMIG], [TS]) and
"Authorize" errors (CONFIRMED [TS]).
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from mock_kakao.testing import MockKakao
from mock_kakao.world import registered
from tests.mock_kakao.helpers import REDIRECT_URI

PAGE = "http://127.0.0.1:8002/callback"
EXAMPLE = "http://127.0.0.1:8002/example/callback.html"


def authorize_url(kakao: MockKakao, client_id: str, redirect_uri: str, **more: str) -> str:
    query = {"client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code"}
    return f"{kakao.url}/oauth/authorize?{urlencode({**query, **more})}"


async def page_code(http, url: str) -> tuple[int, str | None]:
    """The status and the error code the page shows (None: no error page)."""
    async with http.get(url, allow_redirects=False) as response:
        text = await response.text()
    marker = 'data-testid="error-code">'
    code = text.split(marker, 1)[1].split("<", 1)[0] if marker in text else None
    return response.status, code


@pytest.mark.parametrize(
    "uri",
    [
        REDIRECT_URI + "/",  # a longer path: no prefix match
        REDIRECT_URI + "?next=1",  # a query the registration does not have
        "http://localhost:3000/oauth",  # a shorter path
        "http://localhost:3000/oauth/callback/more",
        "http://127.0.0.1:3000/oauth/callback",  # the other loopback name
        "http://localhost:3001/oauth/callback",  # another port
        "http://localhost:5173/cb",  # any loopback URL is no longer registered
        "https://localhost:3000/oauth/callback",
    ],
)
async def test_an_unregistered_redirect_uri_is_koe006_even_on_loopback(http, kakao, uri):
    assert await page_code(http, kakao.authorize_url(uri)) == (400, "KOE006")


async def test_the_default_app_registers_the_documented_callbacks(http, kakao):
    for uri in registered.FRAMEWORK_CALLBACKS:
        assert await page_code(http, kakao.authorize_url(uri)) == (200, None), uri
    for uri in (PAGE, EXAMPLE, *registered.FRAMEWORK_CALLBACKS):
        url = authorize_url(kakao, kakao.javascript_key, uri)
        assert await page_code(http, url) == (200, None), uri


async def test_redirect_uris_are_registered_per_app_key(http, kakao):
    # the page's callback is the JavaScript key's, not the REST API key's
    assert await page_code(http, kakao.authorize_url(PAGE)) == (400, "KOE006")
    kakao.update_app(javascript_redirect_uris=["https://spa.example.com/cb"])
    url = authorize_url(kakao, kakao.javascript_key, "https://spa.example.com/cb")
    assert await page_code(http, url) == (200, None)
    assert await page_code(http, kakao.authorize_url("https://spa.example.com/cb")) == (
        400,
        "KOE006",
    )
    # PATCH sets the list: what it does not name is no longer registered
    url = authorize_url(kakao, kakao.javascript_key, PAGE)
    assert await page_code(http, url) == (400, "KOE006")


async def test_a_native_app_key_comes_back_to_its_kakao_scheme_only(http):
    with MockKakao(native_app_key="native-1") as kakao:
        ok = authorize_url(kakao, "native-1", "kakaonative-1://oauth")
        assert await page_code(http, ok) == (200, None)
        other = authorize_url(kakao, "native-1", REDIRECT_URI)
        assert await page_code(http, other) == (400, "KOE006")


async def test_a_flag_adds_to_the_default_list(http):
    with MockKakao(rest_api_redirect_uris=["https://app.example.com/oauth/kakao"]) as kakao:
        assert await page_code(
            http, kakao.authorize_url("https://app.example.com/oauth/kakao")
        ) == (
            200,
            None,
        )
        assert await page_code(http, kakao.authorize_url(REDIRECT_URI)) == (200, None)
        kakao.reset()  # a pinned entry stays registered across resets
        assert await page_code(
            http, kakao.authorize_url("https://app.example.com/oauth/kakao")
        ) == (
            200,
            None,
        )


async def test_the_users_file_adds_to_the_default_list(http, tmp_path):
    users = tmp_path / "users.json"
    users.write_text(
        '{"users": [{"id": 1, "nickname": "a"}],'
        ' "app": {"rest_api_redirect_uris": ["https://app.example.com/cb"]}}'
    )
    with MockKakao(users_file=users) as kakao:
        assert await page_code(http, kakao.authorize_url("https://app.example.com/cb")) == (
            200,
            None,
        )
        assert await page_code(http, kakao.authorize_url(REDIRECT_URI)) == (200, None)
        assert "https://app.example.com/cb" in kakao.config()["rest_api_redirect_uris"]


def test_the_retired_prefix_setting_is_refused_by_name(kakao):
    with pytest.raises(Exception, match="redirect_uri_prefixes is no longer taken"):
        kakao.update_app(redirect_uri_prefixes=["http://localhost:3000"])


def test_a_registered_redirect_uri_must_be_http_without_a_fragment(kakao):
    for bad in ("/cb", "ftp://a/cb", "http://localhost:3000/cb#x", "http://u@localhost/cb"):
        with pytest.raises(Exception, match=r"not an http"):
            kakao.update_app(rest_api_redirect_uris=[bad])


# -- logout_redirect_uri: its own list -----------------------------------------------------


async def logout_page(http, kakao: MockKakao, target: str) -> tuple[int, str | None]:
    query = urlencode({"client_id": kakao.client_id, "logout_redirect_uri": target})
    async with http.get(f"{kakao.url}/oauth/logout?{query}", allow_redirects=False) as response:
        text = await response.text()
        location = response.headers.get("Location")
    if response.status == 302:
        return 302, location
    return response.status, "KOE007" if 'error-code">KOE007<' in text else text


async def test_a_login_redirect_uri_is_no_logout_redirect_uri(http, kakao):
    assert await logout_page(http, kakao, REDIRECT_URI) == (400, "KOE007")
    assert await logout_page(http, kakao, "http://localhost:3000/") == (
        302,
        "http://localhost:3000/",
    )
    assert await logout_page(http, kakao, "http://localhost:3000/logout/") == (400, "KOE007")


async def test_logout_redirect_uris_are_registered_on_their_own(http, kakao):
    kakao.update_app(logout_redirect_uris=["https://app.example.com/bye"])
    assert await logout_page(http, kakao, "https://app.example.com/bye") == (
        302,
        "https://app.example.com/bye",
    )
    # registering a logout URI registers no login redirect URI
    assert await page_code(http, kakao.authorize_url("https://app.example.com/bye")) == (
        400,
        "KOE006",
    )


# -- rule 8: response_type ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response_type", "code"),
    [("token", "KOE202"), ("id_token", "KOE201"), ("code token", "KOE201"), ("", "KOE201")],
)
async def test_a_response_type_other_than_code_is_kakaos_error_page(
    http, kakao, response_type, code
):
    url = kakao.authorize_url(REDIRECT_URI, response_type=response_type)
    async with http.get(url, allow_redirects=False) as response:
        text = await response.text()
        assert response.status == 400 and "Location" not in response.headers
    assert f'data-testid="error-code">{code}<' in text
    if response_type == "id_token":
        assert "Unsupported response type: id_token" in text
