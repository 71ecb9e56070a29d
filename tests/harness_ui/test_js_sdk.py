"""The fake's copy of Kakao's JavaScript SDK v2, in headless Chromium: the example frontend end
to end, and the SDK's own promises and errors as a page sees them.

Each test that signs up uses its own fake user (created after the reset), so tests share one
stack and database in any order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from harness_ui.stack import RunningStack
from tests.harness_ui.support import admin, other_site
from tests.mock_kakao.helpers import KAKAOTALK_UA

pytestmark = pytest.mark.browser

#: The SDK's error body for a request from a page whose origin is not a registered web domain.
DOMAIN_MISMATCH = "domain mismatched! caller={origin}. check out registered web domains."


def javascript_key(stack: RunningStack) -> str:
    """The fake app's JavaScript key, as GET /_mock/config shows it."""
    return admin(stack, "GET", "/config")["javascript_key"]


def new_user(stack: RunningStack, user_id: int, **fields: object) -> None:
    admin(stack, "POST", "/users", {"id": user_id, "label": "JS SDK test", **fields})


def issue_token(stack: RunningStack, user_id: int) -> str:
    return admin(stack, "POST", f"/users/{user_id}/tokens", {"app_id": stack.app_id})[
        "access_token"
    ]


def open_example(page: Page, stack: RunningStack) -> Page:
    """The example's first page: the SDK loaded from the fake and initialised."""
    page.goto(f"{stack.ui_url}/example/")
    expect(page.get_by_test_id("sdk-version")).to_have_text("2.7.2")
    return page


def rejection(page: Page, script: str, arg: object = None) -> object:
    """What the promise ``script`` returns rejected with (fails the test if it resolved)."""
    outcome = page.evaluate(
        f"async (arg) => {{ try {{ return {{ resolved: await ({script}) }}; }}"
        " catch (e) { return { rejected: e } } }",
        arg,
    )
    assert "rejected" in outcome, f"{script} resolved {outcome}"
    return outcome["rejected"]


def thrown(page: Page, script: str) -> dict[str, str]:
    """The name and message of what ``script`` throws (fails the test if it did not)."""
    outcome = page.evaluate(
        f"() => {{ try {{ {script}; return null; }}"
        " catch (e) { return { name: e.name, message: e.message }; } }"
    )
    assert outcome is not None, f"{script} did not throw"
    return outcome


def authorize(page: Page, lands_on: str, settings: dict[str, object]) -> dict[str, str]:
    """Call ``Kakao.Auth.authorize(settings)``; the query of the URL it navigates to."""
    with page.expect_navigation(url=lands_on):
        page.evaluate("(s) => { Kakao.Auth.authorize(s).catch(() => {}); }", settings)
    return {key: values[0] for key, values in parse_qs(urlsplit(page.url).query).items()}


def test_the_example_signs_up_through_the_sdk_end_to_end(
    blank_page: Page, harness: RunningStack
) -> None:
    new_user(harness, 6100000001, nickname="자바스크립트", email="js.sdk@example.com")
    page = open_example(blank_page, harness)
    kapi_calls: list[Request] = []
    page.on("request", lambda r: kapi_calls.append(r) if "/v2/user/me" in r.url else None)

    page.get_by_test_id("kakao-login").click()
    page.wait_for_url(f"{harness.kakao_url}/oauth/authorize?*")
    query = parse_qs(urlsplit(page.url).query)
    assert query["client_id"] == [javascript_key(harness)]
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == [f"{harness.ui_url}/example/callback.html"]
    assert query["ka"][0].startswith("sdk/2.7.2 os/javascript sdk_type/javascript lang/")

    page.get_by_test_id("pick-user-6100000001").click()
    page.get_by_test_id("approve").click()
    page.wait_for_url(f"{harness.ui_url}/example/callback.html?code=*")
    expect(page.get_by_test_id("status")).to_have_text("로그인 성공 (signed in)")
    expect(page.get_by_test_id("kakao-user-body")).to_contain_text('"id": 6100000001')
    expect(page.get_by_test_id("is-user")).to_have_text("신규 (sign up)")
    expect(page.get_by_test_id("signup-name")).to_have_value("자바스크립트")
    expect(page.get_by_test_id("signup-email")).to_have_value("js.sdk@example.com")

    page.get_by_test_id("signup-submit").click()
    expect(page.get_by_test_id("result-status")).to_have_text("201 CREATE_ACCOUNT")
    expect(page.get_by_test_id("jwt")).to_have_text(re.compile(r"^eyJ[\w-]+\.[\w-]+\.[\w-]+$"))
    expect(page.get_by_test_id("users-me")).to_contain_text('"kakao_id": 6100000001')

    (me,) = [r for r in kapi_calls if r.method == "GET"]  # the preflight is not a Request here
    headers = me.all_headers()
    assert headers["authorization"] == f"Bearer {page.evaluate('Kakao.Auth.getAccessToken()')}"
    assert headers["ka"].startswith("sdk/2.7.2 os/javascript")
    assert headers["cache-control"] == "no-cache, no-store, max-age=0, must-revalidate"
    assert headers["pragma"] == "no-cache"
    assert me.response().status == 200


def test_api_request_after_logout_is_refused_with_kakaos_401(
    blank_page: Page, harness: RunningStack
) -> None:
    page = open_example(blank_page, harness)
    token = issue_token(harness, 4000000001)
    page.evaluate("(token) => Kakao.Auth.setAccessToken(token)", token)
    me = page.evaluate("Kakao.API.request({url: '/v2/user/me'})")
    assert me["id"] == 4000000001

    assert page.evaluate("Kakao.Auth.logout()") == {"id": 4000000001}
    assert page.evaluate("Kakao.Auth.getAccessToken()") is None
    refused = rejection(page, "Kakao.API.request({url: '/v2/user/me'})")
    assert refused == {"msg": "this access token does not exist", "code": -401}

    page.evaluate("(token) => Kakao.Auth.setAccessToken(token)", token)  # the revoked token
    refused = rejection(page, "Kakao.API.request({url: '/v2/user/me'})")
    assert refused["code"] == -401


def test_get_status_info_connected_and_not_connected(
    blank_page: Page, harness: RunningStack
) -> None:
    page = open_example(blank_page, harness)
    assert rejection(page, "Kakao.Auth.getStatusInfo()") == {"status": "not_connected"}

    page.evaluate("(t) => Kakao.Auth.setAccessToken(t)", issue_token(harness, 4000000002))
    status = page.evaluate("Kakao.Auth.getStatusInfo()")
    assert status["status"] == "connected"
    assert status["user"]["id"] == 4000000002
    assert status["user"]["kakao_account"]["email_needs_agreement"] is True

    page.evaluate("Kakao.Auth.setAccessToken('not-a-token')")
    assert page.evaluate("Kakao.Auth.getStatusInfo()") == {"status": "not_connected"}


def test_the_token_is_kept_in_session_storage_unless_persist_is_false(
    blank_page: Page, harness: RunningStack
) -> None:
    page = open_example(blank_page, harness)
    page.evaluate("Kakao.Auth.setAccessToken('kept')")
    page.reload()
    assert page.evaluate("Kakao.Auth.getAccessToken()") == "kept"
    assert page.evaluate("Object.values(sessionStorage)") == ["kept"]

    page.evaluate("Kakao.Auth.setAccessToken('memory only', false)")
    assert page.evaluate("Kakao.Auth.getAccessToken()") == "memory only"
    page.reload()
    assert page.evaluate("Kakao.Auth.getAccessToken()") is None


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (
            "Kakao.Auth.authorize({redirectUri: location.href, success() {}})",
            "Invalid parameter keys: success at Auth.authorize",
        ),
        (
            "Kakao.Auth.authorize({redirectUri: 42})",
            'Illegal argument for "redirectUri" in Auth.authorize',
        ),
        ("Kakao.init('again')", "Kakao.init: Already initialized"),
        ("Kakao.cleanup(); Kakao.init(12345)", "Kakao.init: App key must be provided"),
        (
            "Kakao.API.request({url: '/v1/oidc/userinfo'})",
            'Illegal argument for "url" in API.request',
        ),
        ("Kakao.API.request({data: {}})", "Missing required keys: url at API.request"),
        (
            "Kakao.API.request({url: '/v2/user/revoke/scopes'})",
            "Missing required keys: scopes at API.request - /v2/user/revoke/scopes",
        ),
    ],
)
def test_kakao_errors_as_the_real_sdk_throws_them(
    blank_page: Page, harness: RunningStack, script: str, message: str
) -> None:
    page = open_example(blank_page, harness)
    assert thrown(page, script) == {"name": "KakaoError", "message": message}


def test_before_init_only_the_loader_is_there_and_version_follows_the_url(
    blank_page: Page, harness: RunningStack
) -> None:
    blank_page.goto(f"{harness.kakao_url}/_sdk")
    expect(blank_page.get_by_test_id("key-javascript-key")).to_have_text(javascript_key(harness))
    blank_page.add_script_tag(url=f"{harness.kakao_url}/kakao_js_sdk/2.1.0/kakao.min.js")
    surface = blank_page.evaluate(
        "[Kakao.VERSION, Kakao.isInitialized(), typeof Kakao.Auth, typeof Kakao.API]"
    )
    assert surface == ["2.1.0", False, "undefined", "undefined"]
    blank_page.evaluate("Kakao.init('any key: checked only by Kakao, later')")
    assert blank_page.evaluate("Object.keys(Kakao.Auth).sort()") == [
        "authorize",
        "cleanup",
        "getAccessToken",
        "getAppKey",
        "getStatusInfo",
        "logout",
        "setAccessToken",
    ]


def test_authorize_maps_its_settings_to_the_fakes_authorize(
    blank_page: Page, harness: RunningStack
) -> None:
    page = open_example(blank_page, harness)
    settings = {
        "redirectUri": f"{harness.ui_url}/example/callback.html",
        "state": "s1",
        "scope": "account_email",
        "prompt": "login",  # `prompts` up to 2.2.x: tests/harness_ui/test_js_sdk_versions.py
        "loginHint": "kim.kakao@example.com",
        "nonce": "n1",
        "throughTalk": False,
    }
    query = authorize(page, f"{harness.kakao_url}/oauth/authorize?*", settings)
    assert len(query.pop("auth_tran_id")) == 60 and query.pop("ka").startswith("sdk/2.7.2 ")
    assert query == {
        "client_id": javascript_key(harness),
        "scope": "account_email",
        "prompt": "login",
        "state": "s1",
        "nonce": "n1",
        "login_hint": "kim.kakao@example.com",
        "redirect_uri": f"{harness.ui_url}/example/callback.html",
        "response_type": "code",
        "is_popup": "false",
    }
    expect(page.get_by_test_id("pick-user-4000000001")).to_be_visible()  # the hint's user only
    expect(page.locator("[data-testid^=pick-user-]")).to_have_count(1)


def test_prompt_none_is_refused_outside_kakaotalk_after_kauths_checks(
    blank_page: Page, harness: RunningStack
) -> None:
    page = open_example(blank_page, harness)
    callback = f"{harness.ui_url}/example/callback.html"
    settings = {"redirectUri": callback, "prompt": "none", "state": "s2"}
    assert authorize(page, f"{callback}?*", settings) == {
        "error": "auto_login",
        "error_description": "NOT_SUPPORTED_BROWSER",
        "state": "s2",
    }
    expect(page.get_by_test_id("error")).to_contain_text("NOT_SUPPORTED_BROWSER")


def test_prompts_none_in_kakaotalks_in_app_browser_is_kauths_auto_login(
    blank_page: Page, browser: Browser, harness: RunningStack
) -> None:
    """Issue 20 rule 3: in KakaoTalk (its User-Agent) the SDK's ``prompt: 'none'`` is Kakao's
    auto-login, not ``auto_login``; a browser that never logged in gets ``login_required``."""
    context = browser.new_context(user_agent=KAKAOTALK_UA)
    try:
        page = open_example(context.new_page(), harness)
        callback = f"{harness.ui_url}/example/callback.html"
        settings = {"redirectUri": callback, "prompt": "none", "state": "s4"}
        assert authorize(page, f"{callback}?*", settings) == {
            "error": "login_required",
            "error_description": "user authentication required.",
            "state": "s4",
        }
    finally:
        context.close()


@pytest.mark.parametrize("prompt", ["none", "login"])
@pytest.mark.parametrize(
    "redirect_uri",
    [
        "javascript:window.ran = true//",
        "JaVaScRiPt:window.ran = true//",
        " javascript:window.ran = true//",
        "data:text/html,<script>opener.ran = true</script>",
        "/example/callback.html",  # relative: not a URL kauth could have registered
    ],
)
def test_authorize_never_navigates_to_a_non_http_redirect_uri(
    blank_page: Page, harness: RunningStack, redirect_uri: str, prompt: str
) -> None:
    """A ``javascript:`` redirectUri would run in the caller's page (issue 19 item 9)."""
    page = open_example(blank_page, harness)
    page.evaluate("window.ran = false")
    settings = {"redirectUri": redirect_uri, "prompt": prompt}
    outcome = page.evaluate(
        "(s) => { try { Kakao.Auth.authorize(s).catch(() => {}); return null; }"
        " catch (e) { return { name: e.name, message: e.message }; } }",
        settings,
    )
    assert outcome == {
        "name": "KakaoError",
        "message": 'Illegal argument for "redirectUri" in Auth.authorize',
    }
    assert page.evaluate("window.ran") is False
    assert page.url == f"{harness.ui_url}/example/"


def test_prompt_none_with_an_unregistered_redirect_uri_gets_kauths_koe006_page(
    blank_page: Page, harness: RunningStack
) -> None:
    """Never a navigation to the unregistered URI with error=auto_login (issue 19 item 9)."""
    page = open_example(blank_page, harness)
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url))
    settings = {"redirectUri": "https://evil.example/steal", "prompt": "none", "state": "s3"}
    query = authorize(page, f"{harness.kakao_url}/oauth/authorize?*", settings)
    assert (query["prompt"], query["redirect_uri"]) == ("none", "https://evil.example/steal")
    expect(page.get_by_test_id("error-code")).to_have_text("KOE006")
    assert not [url for url in visited if "evil.example" in urlsplit(url).netloc]


@pytest.fixture
def unregistered_site(harness: RunningStack) -> Iterator[str]:
    """A page on an origin that is not a registered web domain: 127.0.0.2 (the fake registers
    http://localhost:<any port> and http://127.0.0.1:<any port>)."""
    html = (
        f'<!doctype html><script src="{harness.kakao_url}/kakao.js"></script>'
        f"<script>Kakao.init({javascript_key(harness)!r});</script>"
    )
    with other_site(html) as url:
        yield url


def test_a_page_on_an_unregistered_origin_gets_domain_mismatched(
    blank_page: Page, harness: RunningStack, unregistered_site: str
) -> None:
    blank_page.goto(unregistered_site)
    blank_page.evaluate("(t) => Kakao.Auth.setAccessToken(t)", issue_token(harness, 4000000001))
    refused = rejection(blank_page, "Kakao.API.request({url: '/v2/user/me'})")
    assert refused == {"msg": DOMAIN_MISMATCH.format(origin=unregistered_site), "code": -401}
