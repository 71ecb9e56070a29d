"""Every HTML page of the fake refuses to be framed (X-Frame-Options and CSP frame-ancestors),
as Kakao's login pages do: the picker, consent, error, logout-error and SDK pages (issue 19
item 8). Chromium's side of it: tests/harness_ui/test_framing_browser.py."""

from __future__ import annotations

import pytest

from tests.mock_kakao.helpers import FULL_ID, REDIRECT_URI, hidden_fields

FRAME_GUARD = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}


def assert_unframeable(response) -> None:
    assert response.content_type == "text/html"
    assert {name: response.headers.get(name) for name in FRAME_GUARD} == FRAME_GUARD


async def test_the_picker_and_the_consent_page_refuse_framing(http, kakao):
    async with http.get(kakao.authorize_url(REDIRECT_URI, state="s")) as response:
        assert response.status == 200
        assert_unframeable(response)
        fields = {**hidden_fields(await response.text()), "user_id": str(FULL_ID)}
    async with http.get(f"{kakao.url}/oauth/authorize/consent", params=fields) as response:
        assert response.status == 200
        assert_unframeable(response)


@pytest.mark.parametrize(
    "path",
    [
        "/oauth/authorize?client_id=nobody",  # KOE101
        "/oauth/authorize?client_id=mock-rest-api-key&redirect_uri=https://evil.example/",
        "/oauth/authorize/consent?client_id=mock-rest-api-key",
        "/oauth/logout?client_id=mock-rest-api-key&logout_redirect_uri=https://evil.example/",
        "/oauth/logout?client_id=nobody",
        "/_sdk",
    ],
)
async def test_error_logout_and_sdk_pages_refuse_framing(http, kakao, path):
    async with http.get(kakao.url + path, allow_redirects=False) as response:
        assert_unframeable(response)


async def test_the_decision_forms_error_page_refuses_framing(http, kakao):
    form = {"client_id": kakao.client_id, "redirect_uri": REDIRECT_URI, "response_type": "code"}
    async with http.post(f"{kakao.url}/oauth/authorize/decision", data=form) as response:
        assert response.status == 400
        assert_unframeable(response)
