"""``/oauth/token`` from a browser needs what Kakao needs: a registered web domain (issue 19
item 11). A page elsewhere can make a browser POST there without a preflight (``no-cors``): it
cannot read the answer, but the token would be minted all the same."""

from __future__ import annotations

import pytest

from mock_kakao.testing import MockKakao

FULL_ID = 4000000001
MISCONFIGURED = {
    "error": "misconfigured",
    "error_description": "invalid android_key_hash or ios_bundle_id or web_site_url",
    "error_code": "KOE009",
}


async def refresh(http, kakao: MockKakao, headers: dict[str, str]):
    form = {
        "grant_type": "refresh_token",
        "client_id": kakao.client_id,
        "refresh_token": "mock-refresh-full-consent",
    }
    async with http.post(f"{kakao.url}/oauth/token", data=form, headers=headers) as answer:
        return answer.status, await answer.json()


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://localhost:3000/"])
async def test_a_page_elsewhere_mints_nothing(http, kakao, origin):
    before = len(kakao.user(FULL_ID)["tokens"])
    for _ in range(3):
        status, body = await refresh(http, kakao, {"Origin": origin})
        assert (status, body) == (401, MISCONFIGURED)
    assert len(kakao.user(FULL_ID)["tokens"]) == before


async def test_a_registered_page_and_a_server_still_get_tokens(http, kakao):
    status, body = await refresh(http, kakao, {"Origin": "http://localhost:3000"})
    assert status == 200 and body["access_token"]
    status, body = await refresh(http, kakao, {})
    assert status == 200 and body["access_token"]


async def test_registered_web_domains_decide(http, kakao):
    kakao.update_app(web_domains=["https://app.example.com"])
    status, _ = await refresh(http, kakao, {"Origin": "https://app.example.com"})
    assert status == 200
    status, body = await refresh(http, kakao, {"Origin": "http://localhost:3000"})
    assert (status, body) == (401, MISCONFIGURED)
