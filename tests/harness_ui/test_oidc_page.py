"""The page's "Sign in with Kakao (OpenID Connect)" in headless Chromium: `openid` and a nonce
through the fake's real account picker and consent page, the id_token verified in the page
(WebCrypto against the fake's JWKS), then the service's GET/POST with the id_token, which it
verifies itself without asking kapi.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Page, expect

from harness_ui.stack import RunningStack
from tests.harness_ui.support import admin
from tests.harness_ui.test_page import expect_outcome, use_user

pytestmark = pytest.mark.browser

CHECKS = ("signature", "iss", "aud", "exp", "iat", "nonce")
#: where oidc.js keeps the nonce across the redirect
NONCE_KEY = "kakao-harness-oidc-nonce"


def new_user(harness: RunningStack, user_id: int) -> None:
    """A person of our own: the database outlives the fake's reset; no other test signs them up."""
    admin(
        harness,
        "POST",
        "/users",
        {"id": user_id, "nickname": "정하늘", "email": f"{user_id}@example.com"},
    )


def sign_in_with_openid_connect(page: Page, harness: RunningStack, user_id: int) -> dict:
    """Click the button, pick and consent in the fake's pages; the authorize query it sent."""
    page.get_by_test_id("kakao-sign-in-oidc").click()
    page.wait_for_url(f"{harness.kakao_url}/oauth/authorize*")
    sent = parse_qs(urlsplit(page.url).query)
    page.get_by_test_id(f"pick-user-{user_id}").click()
    page.get_by_test_id("approve").click()
    page.wait_for_url(f"{harness.ui_url}/")
    page.wait_for_selector("body[data-ready=true]")
    return sent


def requests_to(harness: RunningStack, path: str, since: str | None = None) -> list[dict]:
    """The fake's log for ``path``, at or after ``since`` (a time as the log writes it)."""
    query = urlencode({"path": path} | ({"since": since} if since else {}))
    return admin(harness, "GET", f"/requests?{query}")["requests"]


def badge_lookups(page: Page) -> list[int]:
    """Ids of the people whose account badge the page looked up (they have a live token)."""
    known = page.get_by_test_id(re.compile(r"^account-\d+$")).filter(
        has_text=re.compile("^(has an account|no account)$")
    )
    return sorted(
        int(testid.split("-")[1])
        for testid in known.evaluate_all("badges => badges.map((badge) => badge.dataset.testid)")
    )


def page_requests_to(page: Page, path: str) -> int:
    return page.get_by_test_id("log-row").filter(has_text=path).count()


def test_openid_connect_sign_in_verifies_the_id_token_and_signs_up_without_kapi(
    page: Page, harness: RunningStack
) -> None:
    new_user(harness, 4100000011)
    sent = sign_in_with_openid_connect(page, harness, 4100000011)
    assert sent["scope"] == ["openid"]
    assert len(sent["nonce"][0]) == 32  # 128 random bits, hex

    expect(page.get_by_test_id("oidc-verdict")).to_have_attribute("data-ok", "true")
    for check in CHECKS:
        expect(page.get_by_test_id(f"oidc-check-{check}")).to_have_attribute("data-ok", "true")
    header = json.loads(page.get_by_test_id("oidc-header").text_content())
    assert header["alg"] == "RS256" and header["typ"] == "JWT" and header["kid"]
    claims = json.loads(page.get_by_test_id("oidc-claims").text_content())
    assert claims["sub"] == "4100000011"
    assert claims["nonce"] == sent["nonce"][0]
    assert claims["aud"] == harness.javascript_key
    assert claims["nickname"] == "정하늘"

    expect(page.get_by_test_id("token-kind")).to_have_attribute("data-kind", "id_token")
    assert page.get_by_test_id("token-input").input_value().count(".") == 2
    expect(page.get_by_test_id("is-user")).to_have_attribute("data-value", "false")
    expect(page.get_by_test_id("field-email")).to_have_text("4100000011@example.com")
    page.get_by_test_id("signup-submit").click()
    expect_outcome(page, "auth-post-outcome", 201, "CREATE_ACCOUNT")
    post = page.get_by_test_id("log-row").filter(has_text="POST").filter(has_text="/auth/kakao")
    post.get_by_test_id("log-toggle").click()
    body = page.locator("tr.log-details:visible")
    expect(body).to_contain_text(f'"nonce": "{sent["nonce"][0]}"')  # the service checks it too

    # The service asked kapi nothing for the id_token logins. The page itself does ask: it
    # shows each person's account badge by calling GET /auth/kakao with their live access
    # token (at every load, and again once the sign-up changed an account), and the service
    # asks kapi for those. So after the code exchange, the only kapi calls allowed are those
    # lookups: per person whose badge knows their account, the new person included, none
    # twice, one GET /v2/user/me and (KAKAO_APP_ID is set) one GET /v1/user/access_token_info,
    # the app check. A kapi call for the GET or POST with the id_token would come on top of
    # them (with the id_token or the admin key, never with the access token).
    expect(page.get_by_test_id("account-4100000011")).to_have_text("has an account")
    exchanged_at = requests_to(harness, "/oauth/token")[-1]["time"]
    since_exchange = [
        entry
        for prefix in ("/v1/*", "/v2/*")
        for entry in requests_to(harness, prefix, since=exchanged_at)
    ]
    assert {(e["method"], e["path"], e["status"]) for e in since_exchange} == {
        ("GET", "/v2/user/me", 200),
        ("GET", "/v1/user/access_token_info", 200),
    }, since_exchange
    for path in ("/v2/user/me", "/v1/user/access_token_info"):
        asked = sorted(e["user_id"] for e in since_exchange if e["path"] == path)
        assert asked == badge_lookups(page), since_exchange
    # before the exchange, only the badges' own lookups asked kapi's /v1/ (the app check)
    before = [e for e in requests_to(harness, "/v1/*") if e not in since_exchange]
    assert {e["path"] for e in before} <= {"/v1/user/access_token_info"}, before

    # Besides the page's own discovery and JWKS fetches, at most the service's one JWKS fetch
    # (none if an earlier test of this session cached the keys).
    jwks_by_service = len(requests_to(harness, "/.well-known/jwks.json")) - page_requests_to(
        page, "/.well-known/jwks.json"
    )
    assert jwks_by_service in (0, 1)
    log = [entry["path"] for entry in requests_to(harness, "/*", since=exchanged_at)]
    after_exchange = set(log) - {"/oauth/token", "/v2/user/me", "/v1/user/access_token_info"}
    after_exchange.discard("/favicon.ico")  # Chromium's own, for the fake's login pages
    assert after_exchange == {"/.well-known/openid-configuration", "/.well-known/jwks.json"}, log


def test_a_tampered_nonce_fails_the_pages_check_and_the_services(
    page: Page, harness: RunningStack
) -> None:
    new_user(harness, 4100000012)
    # Runs before the page's own scripts on the way back, as if the stored nonce were swapped.
    page.context.add_init_script(
        f"if (location.origin === {json.dumps(harness.ui_url)}"
        " && location.pathname === '/callback')"
        f" sessionStorage.setItem({json.dumps(NONCE_KEY)}, 'tampered-nonce');"
    )
    sign_in_with_openid_connect(page, harness, 4100000012)

    expect(page.get_by_test_id("oidc-verdict")).to_have_attribute("data-ok", "false")
    expect(page.get_by_test_id("oidc-verdict")).to_contain_text("nonce failed")
    expect(page.get_by_test_id("oidc-check-nonce")).to_have_attribute("data-ok", "false")
    expect(page.get_by_test_id("oidc-check-nonce")).to_contain_text("sent tampered-nonce")
    for check in CHECKS[:-1]:
        expect(page.get_by_test_id(f"oidc-check-{check}")).to_have_attribute("data-ok", "true")

    expect(page.get_by_test_id("is-user")).to_have_attribute("data-value", "false")
    page.get_by_test_id("signup-submit").click()
    expect_outcome(page, "auth-post-outcome", 403, "NONCE_MISMATCH")
    expect(page.get_by_test_id("auth-post-outcome")).to_contain_text("nonce")


def test_a_users_token_is_shown_as_an_access_token(page: Page) -> None:
    use_user(page, 4000000001)
    expect(page.get_by_test_id("token-kind")).to_have_attribute("data-kind", "access_token")
    expect(page.get_by_test_id("token-kind")).to_contain_text("access token")
    expect(page.get_by_test_id("oidc-panel")).to_be_hidden()
