"""The OAuth code flow end to end, its pages, and every kauth error Kakao documents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlencode

import aiohttp
import pytest

from mock_kakao.kauth.login import (
    BROWSER_COOKIE,
    FORM_TOKEN,
    FORM_TOKEN_TTL,
    SESSION_COOKIE,
    session_cookie,
    session_user_id,
)
from mock_kakao.testing import MockKakao
from mock_kakao.world.registered import redirect_uri_registered
from mock_kakao.world.state import FakeKakao
from tests.mock_kakao.helpers import (
    FULL_ID,
    IN_KAKAOTALK,
    REDIRECT_URI,
    bearer,
    consent_page,
    exchange_code,
    hidden_fields,
    pick_user,
    query_of,
)

KOE320 = "KOE320"


async def token_request(http, kakao: MockKakao, **form: str):
    async with http.post(f"{kakao.url}/oauth/token", data=form) as response:
        return response.status, await response.json()


async def refresh(http, kakao: MockKakao, refresh_token: str):
    """The refresh_token grant with the fake's own client_id."""
    return await token_request(
        http,
        kakao,
        grant_type="refresh_token",
        client_id=kakao.client_id,
        refresh_token=refresh_token,
    )


async def test_full_flow_authorize_token_me_refresh(http, kakao):
    redirect = await pick_user(http, kakao, FULL_ID, state="csrf-1")
    assert redirect.location.startswith(REDIRECT_URI + "?")
    assert redirect.query["state"] == "csrf-1"

    status, tokens = await exchange_code(http, kakao, redirect.query["code"])
    assert status == 200
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 21599
    assert tokens["refresh_token_expires_in"] == 5183999
    assert tokens["scope"] == "profile_nickname account_email"

    async with http.get(f"{kakao.url}/v2/user/me", headers=bearer(tokens["access_token"])) as r:
        me = await r.json()
    assert me["id"] == FULL_ID and me["kakao_account"]["email"] == "kim.kakao@example.com"

    status, refreshed = await refresh(http, kakao, tokens["refresh_token"])
    assert status == 200
    assert refreshed["expires_in"] == 21599 and refreshed["access_token"] != tokens["access_token"]
    assert "refresh_token" not in refreshed  # more than a month left: Kakao keeps the old one
    async with http.get(
        f"{kakao.url}/v2/user/me", headers=bearer(refreshed["access_token"])
    ) as response:
        assert (await response.json())["id"] == FULL_ID


async def test_unticked_email_is_withheld_from_that_token_only(http, kakao):
    redirect = await pick_user(http, kakao, FULL_ID, consent=("nickname",))
    _, tokens = await exchange_code(http, kakao, redirect.query["code"])
    assert tokens["scope"] == "profile_nickname"
    async with http.get(f"{kakao.url}/v2/user/me", headers=bearer(tokens["access_token"])) as r:
        account = (await r.json())["kakao_account"]
    assert account["email_needs_agreement"] is True and "email" not in account
    assert account["profile"]["nickname"] == "김카카오"
    # The person's fixed token still has their full consent: consent belongs to the grant.
    async with http.get(
        f"{kakao.url}/v2/user/me", headers=bearer("mock-token-full-consent")
    ) as response:
        assert (await response.json())["kakao_account"]["email"] == "kim.kakao@example.com"


async def test_unticked_nickname_and_refreshed_token_keeps_the_grants_consent(http, kakao):
    redirect = await pick_user(http, kakao, FULL_ID, consent=("email",))
    _, tokens = await exchange_code(http, kakao, redirect.query["code"])
    _, refreshed = await refresh(http, kakao, tokens["refresh_token"])
    async with http.get(
        f"{kakao.url}/v2/user/me", headers=bearer(refreshed["access_token"])
    ) as response:
        body = await response.json()
    assert body["kakao_account"]["profile_nickname_needs_agreement"] is True
    assert "properties" not in body and "profile" not in body["kakao_account"]


async def test_consent_page_defaults_follow_the_users_flags(http, kakao):
    # User 4000000002 did not consent to email: the page leaves it unticked.
    redirect = await pick_user(http, kakao, 4000000002, consent=None)
    _, tokens = await exchange_code(http, kakao, redirect.query["code"])
    assert tokens["scope"] == "profile_nickname profile_image"  # Kakao's default picture


async def test_picker_page_renders_korean_and_stable_selectors(http, kakao):
    async with http.get(kakao.authorize_url(REDIRECT_URI)) as response:
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        page = await response.text()
    assert '<meta charset="utf-8">' in page
    assert "김카카오" in page and "세상에서가장긴닉네임" in page
    for user in kakao.users():
        assert f'data-testid="pick-user-{user["id"]}"' in page
    assert 'data-testid="cancel"' in page


async def test_consent_page_has_checkboxes_and_buttons(http, kakao):
    page = await consent_page(http, kakao, FULL_ID)
    for testid in ("consent-nickname", "consent-email", "approve", "cancel"):
        assert f'data-testid="{testid}"' in page


async def test_cancel_redirects_with_access_denied(http, kakao):
    redirect = await pick_user(http, kakao, FULL_ID, decision="cancel", state="st")
    assert redirect.location == (
        f"{REDIRECT_URI}?error=access_denied&error_description=User%20denied%20access&state=st"
    )


async def test_redirect_uri_with_its_own_query_keeps_it(http, kakao):
    uri = "http://127.0.0.1:5173/cb?next=%2Fhome"
    kakao.update_app(rest_api_redirect_uris=[uri])  # registered with its query, as sent
    redirect = await pick_user(http, kakao, FULL_ID, redirect_uri=uri)
    assert redirect.query["next"] == "/home" and redirect.query["code"]


@pytest.mark.parametrize(
    ("redirect_uri", "client_id", "code"),
    [
        ("https://evil.example.com/cb", None, "KOE006"),
        ("http://localhost.evil.com/cb", None, "KOE006"),
        ("", None, "KOE006"),
        (REDIRECT_URI, "wrong-key", "KOE101"),
    ],
)
async def test_bad_client_or_redirect_shows_an_error_page_not_a_redirect(
    http, kakao, redirect_uri, client_id, code
):
    query = {
        "client_id": client_id or kakao.client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
    }
    url = f"{kakao.url}/oauth/authorize?{urlencode(query)}"
    async with http.get(url, allow_redirects=False) as response:
        assert response.status == 400
        page = await response.text()
    assert f'data-testid="error-code">{code}<' in page
    assert "Location" not in response.headers


async def test_a_patched_redirect_uri_list_replaces_the_default_one(http, kakao):
    kakao.update_app(rest_api_redirect_uris=["https://app.example.com/cb"])
    ok = kakao.authorize_url("https://app.example.com/cb")
    async with http.get(ok) as response:
        assert response.status == 200
    async with http.get(kakao.authorize_url(REDIRECT_URI)) as response:
        assert response.status == 400 and "KOE006" in await response.text()


async def test_custom_rest_api_key(http):
    with MockKakao(rest_api_key="my-key") as kakao:
        assert kakao.client_id == "my-key"
        async with http.get(kakao.authorize_url(REDIRECT_URI)) as response:
            assert response.status == 200


async def test_login_hint_filters_the_picker(http, kakao):
    url = kakao.authorize_url(REDIRECT_URI, login_hint="CHOI.JIWOO@example.com")
    async with http.get(url) as response:
        page = await response.text()
    assert 'data-testid="pick-user-4000000004"' in page
    assert 'data-testid="pick-user-4000000001"' not in page


def default_user_hints() -> list[str]:
    """Every bundled user, named by id and (where there is one) by email."""
    kakao = FakeKakao.from_file(None)
    hints = [str(user.id) for user in kakao.users.values()]
    return hints + [user.email for user in kakao.users.values() if user.email]


@pytest.mark.parametrize("hint", [None, *default_user_hints()])
async def test_prompt_none_without_a_login_is_login_required_whatever_the_hint(http, kakao, hint):
    hinted = {"login_hint": hint} if hint else {}
    url = kakao.authorize_url(REDIRECT_URI, prompt="none", state="q", **hinted)
    async with http.get(url, headers=IN_KAKAOTALK, allow_redirects=False) as response:
        assert response.status == 302
        assert query_of(response.headers["Location"]) == {
            "error": "login_required",
            "error_description": "user authentication required.",
            "state": "q",
        }


SDK_KA = "sdk/2.7.2 os/javascript sdk_type/javascript lang/ko device/Linux origin/x"


async def test_prompt_none_from_the_js_sdk_is_auto_login_unsupported_after_kauths_checks(
    http, kakao
):
    """What the real SDK answers outside KakaoTalk, but only where kauth would redirect."""
    url = kakao.authorize_url(REDIRECT_URI, prompt="none", state="q", ka=SDK_KA)
    async with http.get(url, allow_redirects=False) as response:
        assert response.status == 302
        assert query_of(response.headers["Location"]) == {
            "error": "auto_login",
            "error_description": "NOT_SUPPORTED_BROWSER",
            "state": "q",
        }
    url = kakao.authorize_url("https://evil.example/", prompt="none", ka=SDK_KA)
    async with http.get(url, allow_redirects=False) as response:
        assert response.status == 400 and "KOE006" in await response.text()


#: browsers that are not KakaoTalk's: desktop Chrome, mobile Safari, a plain HTTP client
OUTSIDE_KAKAOTALK = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like"
    " Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "python-requests/2.32.3",
    "",
]


@pytest.mark.parametrize("agent", OUTSIDE_KAKAOTALK)
async def test_prompt_none_outside_kakaotalk_never_logs_in_silently(http, kakao, agent):
    """Issue 20 rule 3: Kakao's auto-login is KakaoTalk's in-app browser's only; elsewhere even
    a member with a session gets no code (the fake's choice: ``login_required``)."""
    await pick_user(http, kakao, FULL_ID)  # a member with a session: in KakaoTalk, a code
    url = kakao.authorize_url(REDIRECT_URI, prompt="none", state="q")
    async with http.get(url, headers={"User-Agent": agent}, allow_redirects=False) as response:
        assert response.status == 302
        assert query_of(response.headers["Location"]) == {
            "error": "login_required",
            "error_description": "user authentication required.",
            "state": "q",
        }
    async with http.get(url, headers=IN_KAKAOTALK, allow_redirects=False) as response:
        assert "code" in query_of(response.headers["Location"])  # the same browser, in-app


async def test_prompt_none_from_the_js_sdk_inside_kakaotalk_is_the_in_app_auto_login(http, kakao):
    """The SDK refuses only outside KakaoTalk: in its in-app browser kauth answers as for REST."""
    url = kakao.authorize_url(
        REDIRECT_URI, client_id=kakao.javascript_key, prompt="none", state="q", ka=SDK_KA
    )
    async with http.get(url, headers=IN_KAKAOTALK, allow_redirects=False) as response:
        assert query_of(response.headers["Location"])["error"] == "login_required"  # no session
    await pick_user(http, kakao, FULL_ID)
    async with http.get(url, headers=IN_KAKAOTALK, allow_redirects=False) as response:
        code = query_of(response.headers["Location"])["code"]
    assert (await exchange_code(http, kakao, code))[0] == 200


async def test_prompt_none_after_a_login_issues_a_code_silently(http, kakao):
    login = await pick_user(http, kakao, FULL_ID, consent=("nickname",))
    _, first = await exchange_code(http, kakao, login.query["code"])
    url = kakao.authorize_url(REDIRECT_URI, prompt="none")
    async with http.get(url, headers=IN_KAKAOTALK, allow_redirects=False) as response:
        code = query_of(response.headers["Location"])["code"]
    status, tokens = await exchange_code(http, kakao, code)
    assert status == 200
    assert tokens["scope"] == first["scope"] == "profile_nickname"


async def test_prompt_none_after_unlink_is_consent_required(http, kakao):
    await pick_user(http, kakao, FULL_ID)  # this browser's session is FULL_ID's
    async with http.post(
        f"{kakao.url}/v1/user/unlink", headers=bearer("mock-token-full-consent")
    ) as response:
        assert response.status == 200
    url = kakao.authorize_url(REDIRECT_URI, prompt="none")
    async with http.get(url, headers=IN_KAKAOTALK, allow_redirects=False) as response:
        assert query_of(response.headers["Location"]) == {
            "error": "consent_required",
            "error_description": "user consent required.",
        }


async def test_code_is_single_use(http, kakao):
    code = (await pick_user(http, kakao, FULL_ID)).query["code"]
    assert (await exchange_code(http, kakao, code))[0] == 200
    status, body = await exchange_code(http, kakao, code)
    assert status == 400
    assert body == {
        "error": "invalid_grant",
        "error_description": f"authorization code not found for code={code}",
        "error_code": KOE320,
    }


async def test_code_expires_on_the_fakes_clock(http, kakao):
    code = (await pick_user(http, kakao, FULL_ID)).query["code"]
    kakao.advance_clock(601)
    status, body = await exchange_code(http, kakao, code)
    assert (status, body["error_code"]) == (400, KOE320)


async def test_unknown_code(http, kakao):
    status, body = await exchange_code(http, kakao, "made-up")
    assert (status, body["error"], body["error_code"]) == (400, "invalid_grant", KOE320)


async def test_redirect_uri_mismatch_is_koe303_and_keeps_the_code(http, kakao):
    code = (await pick_user(http, kakao, FULL_ID)).query["code"]
    status, body = await exchange_code(http, kakao, code, redirect_uri="http://localhost:1/x")
    assert (status, body["error"], body["error_code"]) == (400, "invalid_grant", "KOE303")
    assert (await exchange_code(http, kakao, code))[0] == 200


async def test_unknown_client_id_is_koe101(http, kakao):
    status, body = await token_request(
        http, kakao, grant_type="authorization_code", client_id="nope", code="x"
    )
    assert status == 401
    assert body == {
        "error": "invalid_client",
        "error_description": "Not exist client_id [nope]",
        "error_code": "KOE101",
    }


@pytest.mark.parametrize("refresh_token", ["made-up", ""])
async def test_bad_refresh_token_is_koe322(http, kakao, refresh_token):
    status, body = await refresh(http, kakao, refresh_token)
    assert status == 400
    assert body == {
        "error": "invalid_grant",
        "error_description": "expired_or_invalid_refresh_token",
        "error_code": "KOE322",
    }


async def test_fixed_refresh_token_revives_an_expired_user(http, kakao):
    status, body = await refresh(http, kakao, "mock-refresh-expired")
    assert status == 200
    async with http.get(f"{kakao.url}/v2/user/me", headers=bearer(body["access_token"])) as r:
        assert (await r.json())["id"] == 4000000008


async def test_refresh_renews_the_refresh_token_in_its_last_month(http, kakao):
    kakao.advance_clock(31 * 24 * 3600)
    status, body = await refresh(http, kakao, "mock-refresh-full-consent")
    assert status == 200
    assert body["refresh_token"] != "mock-refresh-full-consent"
    assert body["refresh_token_expires_in"] == 5183999
    # The old refresh token was replaced.
    status, _ = await refresh(http, kakao, "mock-refresh-full-consent")
    assert status == 400


async def test_refresh_token_expires_on_the_clock(http, kakao):
    kakao.advance_clock(5184000)
    status, body = await refresh(http, kakao, "mock-refresh-full-consent")
    assert (status, body["error_code"]) == (400, "KOE322")


async def test_logout_kills_the_refresh_token_too(http, kakao):
    async with http.post(
        f"{kakao.url}/v1/user/logout", headers=bearer("mock-token-full-consent")
    ) as response:
        assert response.status == 200
    status, body = await refresh(http, kakao, "mock-refresh-full-consent")
    assert (status, body["error_code"]) == (400, "KOE322")


async def test_unsupported_grant_type(http, kakao):
    status, body = await token_request(
        http, kakao, grant_type="password", client_id=kakao.client_id
    )
    assert (status, body["error"]) == (400, "unsupported_grant_type")


async def test_tampered_decision_form_is_rejected(http, kakao):
    form = {
        "client_id": kakao.client_id,
        "redirect_uri": "https://evil.example.com/",
        "response_type": "code",
        "user_id": str(FULL_ID),
        "decision": "approve",
    }
    async with http.post(
        f"{kakao.url}/oauth/authorize/decision", data=form, allow_redirects=False
    ) as response:
        assert response.status == 400 and "KOE006" in await response.text()


async def test_token_endpoint_answers_cors_preflight(http, kakao):
    headers = {"Origin": "http://localhost:8002", "Access-Control-Request-Method": "POST"}
    async with http.options(f"{kakao.url}/oauth/token", headers=headers) as response:
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:8002"


# -- redirect_uri: equal to a registered one, never a prefix or a lookalike -----------------


LOCAL_3000 = "http://localhost:3000/cb"
APP_OAUTH = "https://app.example.com/oauth/cb"


@pytest.mark.parametrize(
    ("entry", "uri", "allowed"),
    [
        (LOCAL_3000, "http://localhost:3000/cb", True),
        (LOCAL_3000, "http://localhost:3000", False),
        (LOCAL_3000, "http://localhost:3000/cb?next=1", False),
        (LOCAL_3000, "http://localhost:3000/cb/", False),
        (LOCAL_3000, "http://localhost:3000/cbx", False),
        (LOCAL_3000, "http://localhost:3000.evil.com/cb", False),
        (LOCAL_3000, "http://localhost:3000@evil.com/cb", False),
        (LOCAL_3000, "http://localhost:3000\\@evil.com/cb", False),
        (LOCAL_3000, "http://user@localhost:3000/cb", False),
        (LOCAL_3000, "http://localhost:30001/cb", False),
        (LOCAL_3000, "http://localhost/cb", False),
        (LOCAL_3000, "https://localhost:3000/cb", False),
        (LOCAL_3000, "http://127.0.0.1:3000/cb", False),
        (APP_OAUTH, "https://app.example.com/oauth/cb", True),
        (APP_OAUTH, "https://app.example.com/other", False),
        (APP_OAUTH, "https://app.example.com.evil.io/oauth/cb", False),
        (APP_OAUTH, "https://app.example.com:8443/oauth/cb", False),
    ],
)
def test_a_redirect_uri_must_equal_a_registered_one(entry, uri, allowed):
    assert redirect_uri_registered(uri, [entry]) is allowed


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1:80@evil.com/",
        "http://localhost:3000@evil.com/cb",
        "http://user@localhost:3000/cb",
        "http://user:pw@127.0.0.1:5173/cb",
        "http://localhost:3000.evil.com/cb",
    ],
)
def test_nothing_is_registered_by_default_beyond_the_list(uri):
    assert not redirect_uri_registered(uri, [])


async def test_a_lookalike_of_a_registered_uri_gets_the_error_page(http, kakao):
    url = kakao.authorize_url("http://localhost:3000@evil.com/oauth/callback")
    async with http.get(url, allow_redirects=False) as response:
        assert response.status == 400 and "KOE006" in await response.text()
    async with http.get(kakao.authorize_url(REDIRECT_URI)) as response:
        assert response.status == 200


# -- the prompt=none session cookie is signed ------------------------------------------------


async def test_the_session_cookie_is_signed_and_still_logs_in_silently(http, kakao):
    await pick_user(http, kakao, FULL_ID)
    [cookie] = [c for c in http.cookie_jar if c.key == SESSION_COOKIE]
    assert cookie.value != str(FULL_ID) and session_user_id(cookie.value) == FULL_ID
    url = kakao.authorize_url(REDIRECT_URI, prompt="none")
    async with http.get(url, headers=IN_KAKAOTALK, allow_redirects=False) as response:
        assert "code" in query_of(response.headers["Location"])


@pytest.mark.parametrize(
    "forged",
    [
        str(FULL_ID),
        f"{FULL_ID}.{'0' * 64}",
        session_cookie(FULL_ID).replace(str(FULL_ID), "4000000002"),
        f"{FULL_ID}.",
        ".",
        "é.é",
    ],
)
async def test_a_forged_session_cookie_is_no_login(http, kakao, forged):
    url = kakao.authorize_url(REDIRECT_URI, prompt="none")
    headers = {**IN_KAKAOTALK, "Cookie": f"{SESSION_COOKIE}={forged}"}
    async with http.get(url, headers=headers, allow_redirects=False) as response:
        assert query_of(response.headers["Location"])["error"] == "login_required"


# -- prompt=none answers from the browser's session only, never from login_hint -------------


async def test_a_login_hint_naming_someone_else_than_the_session_is_login_required(http, kakao):
    await pick_user(http, kakao, FULL_ID)
    other = kakao.authorize_url(REDIRECT_URI, prompt="none", login_hint="4000000002")
    async with http.get(other, headers=IN_KAKAOTALK, allow_redirects=False) as response:
        assert query_of(response.headers["Location"])["error"] == "login_required"
    same = kakao.authorize_url(REDIRECT_URI, prompt="none", login_hint="KIM.KAKAO@example.com")
    async with http.get(same, headers=IN_KAKAOTALK, allow_redirects=False) as response:
        assert "code" in query_of(response.headers["Location"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/oauth/authorize"),
        ("GET", "/oauth/authorize/consent"),
        ("POST", "/oauth/authorize/decision"),
        ("OPTIONS", "/oauth/authorize/decision"),
    ],
)
async def test_the_login_pages_answer_no_cors(http, kakao, method, path):
    headers = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    async with http.request(method, kakao.url + path, headers=headers) as response:
        assert not any(h.startswith("Access-Control-") for h in response.headers)


# -- login CSRF: the forms belong to the browser they were given to -------------------------


@pytest.fixture
async def other_browser() -> AsyncIterator[aiohttp.ClientSession]:
    """A second browser: its own cookie jar, as a cross-site attacker's victim would have."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def decide(browser: aiohttp.ClientSession, kakao: MockKakao, form: dict[str, str]):
    """POST a consent decision; the status, the page and the cookies the answer sets."""
    url = f"{kakao.url}/oauth/authorize/decision"
    async with browser.post(url, data=form, allow_redirects=False) as response:
        return response.status, await response.text(), response.headers.getall("Set-Cookie", [])


async def approval_form(http, kakao: MockKakao) -> dict[str, str]:
    """The consent form the fake gave ``http`` for FULL_ID, filled in to approve."""
    page = await consent_page(http, kakao, FULL_ID)
    return {**hidden_fields(page), "consent": "nickname", "decision": "approve"}


def refused(status: int, page: str, cookies: list[str]) -> bool:
    return status == 400 and 'data-testid="error-code">KOE001<' in page and not cookies


async def test_a_forged_decision_without_the_browser_cookie_is_refused(http, other_browser, kakao):
    form = await approval_form(http, kakao)  # the attacker's own login, replayed at a victim
    assert refused(*await decide(other_browser, kakao, form))
    assert not list(other_browser.cookie_jar)
    cancel = {**form, "decision": "cancel"}
    assert refused(*await decide(other_browser, kakao, cancel))


async def test_another_browsers_form_token_is_refused(http, other_browser, kakao):
    form = await approval_form(http, kakao)
    await consent_page(other_browser, kakao, 4000000002)  # it has a binding cookie of its own
    assert refused(*await decide(other_browser, kakao, form))
    assert [c.key for c in other_browser.cookie_jar] == [BROWSER_COOKIE]


@pytest.mark.parametrize(
    "change",
    [
        {FORM_TOKEN: ""},
        {FORM_TOKEN: "0" * 64},
        {FORM_TOKEN: "é"},
        {"state": "attackers-state"},
        # registered too (the default list): only the form token refuses it
        {"redirect_uri": "http://localhost:3000/kakao/callback"},
    ],
)
async def test_a_token_for_other_parameters_is_refused(http, kakao, change):
    form = {**await approval_form(http, kakao), **change}
    assert refused(*await decide(http, kakao, form))
    assert SESSION_COOKIE not in {c.key for c in http.cookie_jar}


async def test_a_forged_decision_without_any_token_is_refused(other_browser, kakao):
    form = {
        "client_id": kakao.client_id,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "user_id": str(FULL_ID),
        "decision": "approve",
    }
    assert refused(*await decide(other_browser, kakao, form))


async def test_the_consent_page_needs_the_pickers_token(http, other_browser, kakao):
    async with http.get(kakao.authorize_url(REDIRECT_URI)) as response:
        fields = {**hidden_fields(await response.text()), "user_id": str(FULL_ID)}
    url = f"{kakao.url}/oauth/authorize/consent"
    async with other_browser.get(url, params=fields) as response:
        assert response.status == 400 and "KOE001" in await response.text()
    del fields[FORM_TOKEN]
    async with http.get(url, params=fields) as response:
        assert response.status == 400 and "KOE001" in await response.text()


async def test_the_cookies_are_httponly_samesite_and_scoped_to_the_login_pages(http, kakao):
    async with http.get(kakao.authorize_url(REDIRECT_URI)) as response:
        [binding] = response.headers.getall("Set-Cookie")
    status, _, [session] = await decide(http, kakao, await approval_form(http, kakao))
    assert status == 302
    for name, header in ((BROWSER_COOKIE, binding), (SESSION_COOKIE, session)):
        attributes = {part.strip().lower() for part in header.split(";")}
        assert header.startswith(f"{name}=")
        assert {"httponly", "samesite=lax", "path=/oauth/authorize"} <= attributes


async def test_the_binding_cookie_is_kept_across_logins(http, kakao):
    await pick_user(http, kakao, FULL_ID)
    first = {c.key: c.value for c in http.cookie_jar}[BROWSER_COOKIE]
    await pick_user(http, kakao, 4000000002)
    assert {c.key: c.value for c in http.cookie_jar}[BROWSER_COOKIE] == first


# -- a redirect_uri with a fragment is never redirected to (RFC 6749 3.1.2) ----------------


FRAGMENTS = [
    REDIRECT_URI + "#frag",
    REDIRECT_URI + "#",
    REDIRECT_URI + "#%2Fhome%3Fx%3D1",
    "http://localhost:3000/cb?next=1#frag",
]


@pytest.mark.parametrize("uri", FRAGMENTS)
@pytest.mark.parametrize("prompt", [None, "none"])
async def test_a_redirect_uri_with_a_fragment_gets_koe006_at_authorize(http, kakao, uri, prompt):
    await pick_user(http, kakao, FULL_ID)  # a session: prompt=none would answer silently
    url = kakao.authorize_url(uri, **({"prompt": prompt} if prompt else {}))
    async with http.get(url, headers=IN_KAKAOTALK, allow_redirects=False) as response:
        assert response.status == 400 and "Location" not in response.headers
        assert 'data-testid="error-code">KOE006<' in await response.text()


@pytest.mark.parametrize("uri", FRAGMENTS)
async def test_a_redirect_uri_with_a_fragment_gets_koe006_at_every_later_step(http, kakao, uri):
    form = {**await approval_form(http, kakao), "redirect_uri": uri}
    status, page, cookies = await decide(http, kakao, form)
    assert (status, cookies) == (400, []) and 'data-testid="error-code">KOE006<' in page
    async with http.get(f"{kakao.url}/oauth/authorize/consent", params=form) as response:
        assert response.status == 400 and "KOE006" in await response.text()


async def test_a_fragment_at_the_token_endpoint_never_matches(http, kakao):
    code = (await pick_user(http, kakao, FULL_ID)).query["code"]
    status, body = await exchange_code(http, kakao, code, redirect_uri=REDIRECT_URI + "#")
    assert (status, body["error_code"]) == (400, "KOE303")
    assert (await exchange_code(http, kakao, code))[0] == 200


async def test_an_escaped_hash_is_part_of_the_path_and_the_code_goes_in_the_query(http, kakao):
    uri = "http://localhost:3000/cb%23frag"
    kakao.update_app(rest_api_redirect_uris=[uri])
    redirect = await pick_user(http, kakao, FULL_ID, redirect_uri=uri)
    assert redirect.location.startswith(uri + "?") and redirect.query["code"]


# -- what one login may store (issue 19 item 11) ----------------------------------------------


async def test_a_decision_form_mints_one_code_only(http, kakao):
    form = await approval_form(http, kakao)
    status, _, _ = await decide(http, kakao, form)
    assert status == 302
    for replayed in (form, {**form, "decision": "cancel"}):
        status, page, _ = await decide(http, kakao, replayed)
        assert status == 400 and 'data-testid="error-code">KOE001<' in page


async def test_a_decision_form_expires_an_hour_later_on_the_fakes_clock(http, kakao):
    form = await approval_form(http, kakao)
    kakao.advance_clock(FORM_TOKEN_TTL + 1)
    status, page, _ = await decide(http, kakao, form)
    assert status == 400 and 'data-testid="error-code">KOE001<' in page


@pytest.mark.parametrize(
    ("param", "limit"),
    [
        ("state", 2048),
        ("scope", 1024),
        ("nonce", 512),
        ("code_challenge", 128),
        ("login_hint", 256),
    ],
)
async def test_authorize_parameters_have_a_length_limit(http, kakao, param, limit):
    value = "profile_nickname".ljust(limit, ",") if param == "scope" else "a" * limit
    extra = {"code_challenge_method": "plain"} if param == "code_challenge" else {}
    async with http.get(kakao.authorize_url(REDIRECT_URI, **{param: value, **extra})) as answer:
        assert answer.status == 200, await answer.text()
    longer = kakao.authorize_url(REDIRECT_URI, **{param: value + "a", **extra})
    async with http.get(longer) as answer:
        page = await answer.text()
    assert answer.status == 400 and 'data-testid="error-code">KOE001<' in page
    assert f"{param} is longer than {limit} characters" in page


async def test_an_overlong_redirect_uri_is_refused_before_any_redirect(http, kakao):
    uri = REDIRECT_URI + "?x=" + "a" * 2048
    async with http.get(kakao.authorize_url(uri), allow_redirects=False) as answer:
        page = await answer.text()
    assert answer.status == 400 and "redirect_uri is longer than 2048 characters" in page


async def test_a_decision_form_with_an_overlong_field_is_refused(http, kakao):
    form = {**await approval_form(http, kakao), "state": "s" * 2049}
    status, page, _ = await decide(http, kakao, form)
    assert status == 400 and "state is longer than 2048 characters" in page
