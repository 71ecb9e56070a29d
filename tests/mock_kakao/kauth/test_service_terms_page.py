"""Kakao Sync service terms on the login pages (issue 21 item 1): the consent page shows the
app's terms, required ones locked; the answer records the agreement ``agreed_by: KAUTH``;
authorize's ``service_terms`` (and the JavaScript SDK's ``extra.service_terms``) asks exactly
the named ones; a tag the app does not use is KOE205; ``prompt=none`` stops for terms."""

from __future__ import annotations

import re

import aiohttp
import pytest

from mock_kakao.testing import MockKakao
from tests.mock_kakao.helpers import (
    FULL_ID,
    IN_KAKAOTALK,
    REDIRECT_URI,
    consent_page,
    hidden_fields,
    query_of,
)

TERMS = [
    {"tag": "tos_2024", "title": "이용약관", "required": True},
    {"tag": "marketing", "title": "마케팅 수신"},
    {"tag": "location", "title": "위치정보"},
]


@pytest.fixture
def sync(kakao: MockKakao) -> MockKakao:
    kakao.update_app(service_terms=TERMS)
    return kakao


def shown_terms(page: str) -> list[str]:
    return re.findall(r'name="service_term" value="([^"]+)"', page)


async def answer(
    http: aiohttp.ClientSession, kakao: MockKakao, page: str, terms: tuple[str, ...]
) -> dict[str, str]:
    """Submit the consent page with ``terms`` ticked; the redirect's query."""
    form = aiohttp.FormData(hidden_fields(page))
    for tag in terms:
        form.add_field("service_term", tag)
    form.add_field("decision", "approve")
    async with http.post(
        f"{kakao.url}/oauth/authorize/decision", data=form, allow_redirects=False
    ) as response:
        assert response.status == 302, await response.text()
        return query_of(response.headers["Location"])


async def test_sign_up_page_shows_the_terms_and_records_agreed_by_kauth(http, sync) -> None:
    page = await consent_page(http, sync, FULL_ID)
    assert 'data-testid="service-terms"' in page
    assert shown_terms(page) == ["tos_2024", "marketing", "location"]
    assert 'data-testid="term-tos_2024" checked disabled' in page
    assert "이용약관" in page and "필수" in page
    # the form is edited to leave the required term out: it is agreed all the same
    assert "code" in await answer(http, sync, page, ("marketing",))
    agreements = sync.user(FULL_ID)["service_terms"]
    assert sorted(agreements) == ["marketing", "tos_2024"]
    assert {a["agreed_by"] for a in agreements.values()} == {"KAUTH"}
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", a["agreed_at"])
        for a in agreements.values()
    )


async def test_a_later_login_asks_only_what_is_not_agreed(http, sync) -> None:
    await answer(http, sync, await consent_page(http, sync, FULL_ID), ())
    page = await consent_page(http, sync, FULL_ID)
    assert shown_terms(page) == ["marketing", "location"]


async def test_service_terms_asks_exactly_the_named_terms(http, sync) -> None:
    await answer(http, sync, await consent_page(http, sync, FULL_ID), ())
    page = await consent_page(http, sync, FULL_ID, service_terms="location,tos_2024")
    assert shown_terms(page) == ["tos_2024", "location"]
    assert "code" in await answer(http, sync, page, ("location",))
    assert sorted(sync.user(FULL_ID)["service_terms"]) == ["location", "tos_2024"]


async def test_the_sdks_extra_service_terms_is_taken_too(http, sync) -> None:
    page = await consent_page(http, sync, FULL_ID, **{"extra.service_terms": "marketing"})
    assert shown_terms(page) == ["marketing"]
    await answer(http, sync, page, ("marketing",))
    assert sorted(sync.user(FULL_ID)["service_terms"]) == ["marketing"]


async def test_a_tag_the_app_does_not_use_is_koe205(http, sync) -> None:
    url = sync.authorize_url(REDIRECT_URI, state="s", service_terms="tos_2024,nope")
    async with http.get(url, allow_redirects=False) as response:
        assert response.status == 400
        page = await response.text()
    assert 'data-testid="error-code">KOE205' in page
    assert "nope" in page


async def test_an_app_without_terms_shows_none(http, kakao) -> None:
    page = await consent_page(http, kakao, FULL_ID)
    assert 'data-testid="service-terms"' not in page
    assert kakao.user(FULL_ID)["service_terms"] == {}


async def test_prompt_none_stops_for_terms(http, sync) -> None:
    await answer(http, sync, await consent_page(http, sync, FULL_ID), ())  # the session
    silent = sync.authorize_url(REDIRECT_URI, state="s", prompt="none")
    async with http.get(silent, headers=IN_KAKAOTALK, allow_redirects=False) as response:
        assert "code=" in response.headers["Location"]
    named = sync.authorize_url(REDIRECT_URI, state="s", prompt="none", service_terms="marketing")
    async with http.get(named, headers=IN_KAKAOTALK, allow_redirects=False) as response:
        assert "error=consent_required" in response.headers["Location"]
    sync.update_app(service_terms=[*TERMS, {"tag": "new_required", "required": True}])
    async with http.get(silent, headers=IN_KAKAOTALK, allow_redirects=False) as response:
        assert "error=consent_required" in response.headers["Location"]
