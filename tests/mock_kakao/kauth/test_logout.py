"""GET /oauth/logout (logout with the Kakao account) and prompt=login."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from mock_kakao.testing import MockKakao
from tests.mock_kakao.helpers import FULL_ID, IN_KAKAOTALK, REDIRECT_URI, bearer, pick_user

BACK = "http://localhost:3000/logged-out"


@pytest.fixture
def kakao(kakao: MockKakao) -> MockKakao:
    """The fake with ``BACK`` registered as a logout redirect URI (its own list, KOE007)."""
    kakao.update_app(logout_redirect_uris=[BACK])
    return kakao


async def authorize_silently(http, kakao: MockKakao) -> str:
    """``prompt=none`` in KakaoTalk's in-app browser, where it can log in silently."""
    url = kakao.authorize_url(REDIRECT_URI, state="s", prompt="none")
    async with http.get(url, headers=IN_KAKAOTALK, allow_redirects=False) as response:
        return response.headers["Location"]


async def logout(http, kakao: MockKakao, **params: str):
    url = f"{kakao.url}/oauth/logout?{urlencode(params)}"
    async with http.get(url, allow_redirects=False) as response:
        return response.status, response.headers.get("Location"), await response.text()


async def test_logout_ends_the_session_and_returns_with_state(http, kakao):
    await pick_user(http, kakao, FULL_ID)
    assert "code=" in await authorize_silently(http, kakao)
    status, location, _ = await logout(
        http, kakao, client_id=kakao.client_id, logout_redirect_uri=BACK, state="bye 1"
    )
    assert (status, location) == (302, f"{BACK}?state=bye%201")
    assert "error=login_required" in await authorize_silently(http, kakao)


async def test_logout_revokes_no_token(http, kakao):
    await logout(http, kakao, client_id=kakao.client_id, logout_redirect_uri=BACK)
    async with http.get(f"{kakao.url}/v2/user/me", headers=bearer("mock-token-full-consent")) as r:
        assert r.status == 200


async def test_logout_without_state_redirects_to_the_bare_uri(http, kakao):
    _, location, _ = await logout(http, kakao, client_id=kakao.client_id, logout_redirect_uri=BACK)
    assert location == BACK


async def test_an_unregistered_logout_uri_is_the_koe007_page(http, kakao):
    for uri in ("https://evil.example/", "", "http://localhost:3000/#frag"):
        status, location, page = await logout(
            http, kakao, client_id=kakao.client_id, logout_redirect_uri=uri
        )
        assert status == 400 and location is None
        assert 'data-testid="error-code">KOE007' in page


async def test_logout_with_a_wrong_client_id_is_koe101(http, kakao):
    status, _, page = await logout(http, kakao, client_id="nope", logout_redirect_uri=BACK)
    assert status == 400 and 'data-testid="error-code">KOE101' in page


async def test_prompt_login_shows_the_picker_without_the_sessions_account_preselected(http, kakao):
    await pick_user(http, kakao, FULL_ID)
    plain = kakao.authorize_url(REDIRECT_URI, state="s")
    async with http.get(plain) as response:
        page = await response.text()
    assert f'data-testid="pick-user-{FULL_ID}" autofocus' in page
    again = kakao.authorize_url(REDIRECT_URI, state="s", prompt="login")
    async with http.get(again) as response:
        page = await response.text()
    assert response.status == 200 and 'data-testid="pick-user-' in page
    assert "autofocus" not in page
