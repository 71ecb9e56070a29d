"""The harness page in headless Chromium, driven as a person would: click, type, read.

Each test uses its own fake users, so tests share one stack (and database) in any order.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from harness_ui.stack import RunningStack
from tests.harness_ui.support import VIEWPORT, admin

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
#: The README's picture is refreshed only on request, so a test run leaves the tree clean.
README_SCREENSHOT = ROOT / "docs" / "harness.png"
UPDATE_README_SCREENSHOT = os.environ.get("UPDATE_README_SCREENSHOT") == "1"


def use_user(page: Page, user_id: int) -> None:
    """Use token (it only fills in step 1), then GET /auth/kakao."""
    page.get_by_test_id(f"use-user-{user_id}").click()
    page.get_by_test_id("auth-get").click()
    expect(page.get_by_test_id("auth-get-outcome")).to_have_attribute(
        "data-status", re.compile(".")
    )


def expect_outcome(page: Page, testid: str, status: int, code: str) -> None:
    outcome = page.get_by_test_id(testid)
    expect(outcome).to_have_attribute("data-status", str(status))
    expect(outcome).to_have_attribute("data-code", code)


def save_screenshots(page: Page) -> None:
    """A full page, and the README's picture (tall enough to show the 201 and the claims)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "harness-signed-up-full.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 1500})
    page.evaluate("window.scrollTo(0, 0)")
    shot = page.screenshot(path=str(ARTIFACTS / "harness-signed-up.png"))
    if UPDATE_README_SCREENSHOT:
        README_SCREENSHOT.write_bytes(shot)
    page.set_viewport_size(VIEWPORT)


def test_new_user_signs_up_then_logs_in_again(page: Page) -> None:
    use_user(page, 4000000001)
    expect(page.get_by_test_id("is-user")).to_have_attribute("data-value", "false")
    expect(page.get_by_test_id("signup-name")).to_have_value("김카카오")
    expect(page.get_by_test_id("signup-email")).to_have_value("kim.kakao@example.com")
    expect(page.get_by_test_id("signup-submit")).to_have_text("Sign up")

    page.get_by_test_id("signup-submit").click()
    expect_outcome(page, "auth-post-outcome", 201, "CREATE_ACCOUNT")
    expect(page.get_by_test_id("auth-post-outcome")).to_contain_text("New account created")
    expect(page.get_by_test_id("jwt-claims")).to_contain_text('"iss"')
    page.get_by_test_id("users-me").click()
    expect_outcome(page, "users-me-outcome", 200, "OK")
    expect(page.get_by_test_id("users-me-body")).to_contain_text("4000000001")

    save_screenshots(page)

    use_user(page, 4000000001)
    expect(page.get_by_test_id("is-user")).to_have_attribute("data-value", "true")
    expect(page.get_by_test_id("signup-submit")).to_have_text("Log in")
    page.get_by_test_id("signup-submit").click()
    expect_outcome(page, "auth-post-outcome", 200, "LOGIN_SUCCESS")


def test_user_without_email_consent_must_enter_one(page: Page) -> None:
    use_user(page, 4000000002)
    expect(page.get_by_test_id("field-email")).to_have_text("null")
    email = page.get_by_test_id("signup-email")
    expect(email).to_have_value("")
    expect(page.get_by_test_id("signup-email-hint")).to_contain_text("enter one")

    page.get_by_test_id("signup-submit").click()
    expect(email).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("document.activeElement.dataset.testid") == "signup-email"
    posts = page.get_by_test_id("log-row").filter(has_text="POST")
    expect(posts).to_have_count(0)  # the browser refused to send the form

    email.fill("lee.seoyeon@example.com")
    page.get_by_test_id("signup-submit").click()
    expect_outcome(page, "auth-post-outcome", 201, "CREATE_ACCOUNT")


def test_sign_in_with_kakao_runs_the_redirect_flow(page: Page, harness: RunningStack) -> None:
    page.get_by_test_id("kakao-sign-in").click()
    page.wait_for_url(f"{harness.kakao_url}/oauth/authorize*")
    sent = parse_qs(urlsplit(page.url).query)  # by the fake's JavaScript SDK, with its JS key
    assert sent["ka"][0].startswith("sdk/2.7.2 os/javascript sdk_type/javascript")
    assert sent["client_id"] == [harness.javascript_key]
    page.get_by_test_id("pick-user-4000000004").click()
    page.get_by_test_id("approve").click()

    page.wait_for_url(f"{harness.ui_url}/")  # back, and the used code is off the address bar
    expect(page.get_by_test_id("redirect-status")).to_contain_text("redirect flow")
    expect(page.get_by_test_id("is-user")).to_have_attribute("data-value", "false")
    expect(page.get_by_test_id("field-kakao_id")).to_have_text("4000000004")
    token_exchange = page.get_by_test_id("log-row").filter(has_text="/oauth/token")
    expect(token_exchange.get_by_test_id("log-status")).to_have_text("200")

    page.get_by_test_id("signup-submit").click()
    expect_outcome(page, "auth-post-outcome", 201, "CREATE_ACCOUNT")


def test_the_page_links_the_example_and_the_sdk_page(page: Page, harness: RunningStack) -> None:
    page.get_by_test_id("sdk-page-link").click()
    expect(page.get_by_test_id("key-javascript-key")).to_have_text(harness.javascript_key)
    page.go_back()
    page.get_by_test_id("example-link").click()
    expect(page.get_by_test_id("kakao-login")).to_be_visible()


def test_redirect_with_a_forged_state_is_refused(page: Page, harness: RunningStack) -> None:
    page.goto(f"{harness.ui_url}/callback?code=stolen&state=not-ours")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.get_by_test_id("redirect-status")).to_contain_text("state does not match")
    expect(page.get_by_test_id("log-row").filter(has_text="/oauth/token")).to_have_count(0)


@pytest.mark.parametrize(
    ("switch", "status", "code", "words"),
    [
        ("fault-down", 502, "KAKAO_UNAVAILABLE", "Kakao is down or unreachable"),
        ("fault-expired", 401, "INVALID_TOKEN", "invalid or has expired"),
        ("fault-rate-limited", 503, "KAKAO_RATE_LIMITED", "Too many requests"),
    ],
)
def test_a_fault_shows_the_services_error_in_words(
    page: Page, harness: RunningStack, switch: str, status: int, code: str, words: str
) -> None:
    page.get_by_test_id(switch).check()
    expect(page.get_by_test_id("faults-status")).to_contain_text("Faults on")
    assert admin(harness, "GET", "/faults")["faults"], "the switch set no fault on the fake"

    use_user(page, 4000000005)
    expect_outcome(page, "auth-get-outcome", status, code)
    expect(page.get_by_test_id("auth-get-outcome")).to_contain_text(words)
    expect(page.get_by_test_id("auth-get-outcome")).to_have_attribute("role", "alert")

    page.get_by_test_id(switch).uncheck()
    expect(page.get_by_test_id("faults-status")).to_contain_text("No faults")
    assert admin(harness, "GET", "/faults")["faults"] == []


def test_no_nickname_needs_a_name_and_a_forged_kakao_id_is_refused(page: Page) -> None:
    use_user(page, 4000000006)
    expect(page.get_by_test_id("signup-name")).to_have_value("")  # no nickname consent
    page.get_by_test_id("signup-name").fill("강도윤")
    page.get_by_test_id("signup-kakao-id").fill("4000000001")
    page.get_by_test_id("signup-submit").click()
    expect_outcome(page, "auth-post-outcome", 403, "KAKAO_ID_MISMATCH")
    expect(page.get_by_test_id("auth-post-outcome")).to_contain_text("does not belong")


def test_the_log_records_every_request(page: Page, harness: RunningStack) -> None:
    rows = page.get_by_test_id("log-row")
    expect(rows.filter(has_text="/config.json")).to_have_count(1)
    expect(rows.filter(has_text="/_mock/users")).to_have_count(1)

    use_user(page, 4000000003)
    get = rows.filter(has_text=f"{harness.service_url}/auth/kakao").first
    expect(get.get_by_test_id("log-method")).to_have_text("GET")
    expect(get.get_by_test_id("log-status")).to_have_text("200")

    get.get_by_test_id("log-toggle").click()
    expect(get.get_by_test_id("log-toggle")).to_have_attribute("aria-expanded", "true")
    details = page.locator("tr.log-details:visible")
    expect(details).to_contain_text('"kakao_id": 4000000003')
    expect(details).to_contain_text("mock-token-invalid-e…")  # tokens shortened in the list
    details.get_by_test_id("log-full").click()
    expect(details).to_contain_text('"Authorization": "mock-token-invalid-email"')

    page.get_by_test_id("log-clear").click()
    expect(rows).to_have_count(0)
    expect(page.get_by_test_id("log-empty")).to_be_visible()


def test_a_save_finishing_late_leaves_a_form_opened_meanwhile(
    page: Page, harness: RunningStack
) -> None:
    """A save that answers after the editor was opened again (another user's Edit clicked
    while it was in flight) must not close or clear that newer form. It used to: clicking a
    new card's Edit just as the list refreshed lost the form, a race the page tests hit under
    load."""
    held = []
    page.route("**/_mock/users/4000000002", lambda route: held.append(route))
    page.get_by_test_id("edit-user-4000000002").click()
    page.get_by_test_id("user-form-nickname").fill("늦은저장")
    page.get_by_test_id("user-form-submit").click()
    for _ in range(200):  # until the PATCH is held (wait_for_timeout lets routes run)
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1, "the save never reached the fake"
    page.get_by_test_id("edit-user-4000000001").click()  # the form, opened again
    expect(page.get_by_test_id("user-form-id")).to_have_value("4000000001")
    held[0].continue_()
    expect(page.get_by_test_id("user-4000000002")).to_contain_text("늦은저장")  # saved
    # The save's last steps after the list renders are promise continuations: a macrotask
    # runs only once they are all done.
    page.evaluate("() => new Promise((done) => setTimeout(done, 0))")
    expect(page.get_by_test_id("user-form-id")).to_have_value("4000000001")  # still open
    expect(page.get_by_test_id("user-form-nickname")).to_be_visible()


def test_create_and_edit_a_fake_user(page: Page, harness: RunningStack) -> None:
    page.get_by_test_id("user-editor-toggle").click()
    page.get_by_test_id("user-form-id").fill("5000000042")
    page.get_by_test_id("user-form-label").fill("Made in the page")
    page.get_by_test_id("user-form-nickname").fill("새친구")
    page.get_by_test_id("user-form-email-consent").uncheck()
    page.get_by_test_id("user-form-submit").click()

    card = page.get_by_test_id("user-5000000042")
    expect(card).to_contain_text("새친구")
    expect(card).to_contain_text("no email consent")
    expect(card).to_contain_text("no token yet")

    page.get_by_test_id("edit-user-5000000042").click()
    expect(page.get_by_test_id("user-form-id")).to_have_value("5000000042")
    page.get_by_test_id("user-form-nickname").fill("고친이름")
    page.get_by_test_id("user-form-submit").click()
    expect(card).to_contain_text("고친이름")
    assert admin(harness, "GET", "/users/5000000042")["nickname"] == "고친이름"

    page.get_by_test_id("use-user-5000000042").click()  # no token yet: one is issued
    expect(page.get_by_test_id("token-source")).to_contain_text("New token issued")
    page.get_by_test_id("auth-get").click()
    expect(page.get_by_test_id("is-user")).to_have_attribute("data-value", "false")
    expect(page.get_by_test_id("field-user_name")).to_have_text("고친이름")


def test_every_control_is_labelled_and_reachable_by_keyboard(page: Page) -> None:
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, button')]
            .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                            && !el.textContent.trim())
            .map((el) => el.outerHTML)"""
    )
    assert unlabelled == []

    page.get_by_test_id("use-user-4000000007").focus()
    page.keyboard.press("Enter")  # fills in step 1 and moves to its GET button
    expect(page.get_by_test_id("auth-get")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("is-user")).to_be_visible()
    expect(page.get_by_test_id("field-user_name")).to_contain_text("세상에서가장긴닉네임")
