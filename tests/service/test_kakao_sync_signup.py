"""A Kakao Sync sign-up end to end, offline (issue 21 items 1 and 7): the fake's consent page
shows the app's service terms, the person declines an optional one the service requires, kapi's
`/v2/user/service_terms` records what they agreed to (`agreed_by: KAUTH`), the service's
`GET /auth/kakao` names the missing term, and a login with `service_terms=` for it clears it.
Every hop over real sockets; the service on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.mock_kakao.helpers import bearer, consent_page, exchange_code, hidden_fields, query_of
from tests.service.support import RunningService

PERSON = 4000000001
TERMS = [
    {"tag": "tos_2024", "title": "이용약관", "required": True},
    {"tag": "privacy_2024", "title": "개인정보 처리방침", "required": True},
    {"tag": "location", "title": "위치기반 서비스"},
]


async def log_in(
    http: aiohttp.ClientSession, kakao: Any, ticked: tuple[str, ...], **authorize: str
) -> tuple[list[str], str]:
    """Walk the pages ticking ``ticked`` terms; the terms the page showed and the access token."""
    page = await consent_page(http, kakao, PERSON, **authorize)
    shown = [tag for tag in ("tos_2024", "privacy_2024", "location") if f"term-{tag}" in page]
    form = aiohttp.FormData(hidden_fields(page))
    for tag in ticked:
        form.add_field("service_term", tag)
    form.add_field("decision", "approve")
    async with http.post(
        f"{kakao.url}/oauth/authorize/decision", data=form, allow_redirects=False
    ) as response:
        assert response.status == 302, await response.text()
        code = query_of(response.headers["Location"])["code"]
    status, tokens = await exchange_code(http, kakao, code)
    assert status == 200, tokens
    return shown, tokens["access_token"]


@pytest.mark.parametrize(
    "service_overrides", [{"kakao_required_service_terms": ("tos_2024", "location")}]
)
async def test_terms_on_the_consent_page_reach_the_services_lookup(
    service: RunningService, mock_kakao: Any
) -> None:
    mock_kakao.update_app(service_terms=TERMS)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        shown, token = await log_in(http, mock_kakao, ())  # location declined
        assert shown == ["tos_2024", "privacy_2024", "location"]

        async with http.get(
            f"{mock_kakao.url}/v2/user/service_terms", headers=bearer(token)
        ) as response:
            kapi = await response.json()
        assert [(t["tag"], t["agreed_by"]) for t in kapi["service_terms"]] == [
            ("tos_2024", "KAUTH"),
            ("privacy_2024", "KAUTH"),
        ]

        looked_up = await service.look_up(token)
        assert looked_up.status == 200
        assert looked_up.body["result"]["missing_service_terms"] == ["location"]
        created = await service.sign_in(token, PERSON, email="kim.kakao@example.com")
        assert created.message == "CREATE_ACCOUNT"

        # the frontend sends the person back for the missing term only
        shown, token = await log_in(http, mock_kakao, ("location",), service_terms="location")
        assert shown == ["location"]
    looked_up = await service.look_up(token)
    assert looked_up.body["result"]["missing_service_terms"] == []
    assert looked_up.body["result"]["is_user"] is True
