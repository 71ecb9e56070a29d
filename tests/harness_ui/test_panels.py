"""The page's panels for the service's accounts, the fake's clock and reset, and any fault;
the redirect's code and state in the log; and the bugs a new user ran into (issue 15)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from harness_ui.stack import RunningStack
from tests.harness_ui.support import VIEWPORT, admin
from tests.harness_ui.test_page import expect_outcome, use_user

pytestmark = pytest.mark.browser


def new_fake_user(harness: RunningStack, kakao_id: int, nickname: str) -> None:
    admin(harness, "POST", "/users", {"id": kakao_id, "nickname": nickname, "email": None})
    admin(harness, "POST", f"/users/{kakao_id}/tokens", {})


def sign_up(page: Page, kakao_id: int, email: str) -> None:
    page.get_by_test_id("users-refresh").click()
    use_user(page, kakao_id)
    page.get_by_test_id("signup-email").fill(email)
    page.get_by_test_id("signup-submit").click()
    expect_outcome(page, "auth-post-outcome", 201, "CREATE_ACCOUNT")


def test_accounts_panel_lists_deletes_one_then_all(page: Page, harness: RunningStack) -> None:
    new_fake_user(harness, 5100000001, "계정하나")
    new_fake_user(harness, 5100000002, "계정둘")
    sign_up(page, 5100000001, "one@example.com")
    accounts = page.get_by_test_id("accounts")
    first = accounts.locator("li").filter(has_text="kakao_id 5100000001")
    expect(first).to_contain_text("계정하나")  # the panel reloads after a sign-up
    expect(page.get_by_test_id("accounts-loading")).to_be_hidden()

    first.get_by_role("button", name="Delete", exact=True).click()
    expect(first).to_have_count(0)
    expect(page.get_by_test_id("accounts-status")).to_contain_text("no longer work")
    page.get_by_test_id("users-me").click()  # the deleted account's JWT
    expect_outcome(page, "users-me-outcome", 401, "INVALID_TOKEN")
    use_user(page, 5100000001)
    expect(page.get_by_test_id("is-user")).to_have_attribute("data-value", "false")

    sign_up(page, 5100000002, "two@example.com")
    expect(accounts.locator("li").filter(has_text="kakao_id 5100000002")).to_have_count(1)
    page.get_by_test_id("accounts-delete-all").click()
    expect(accounts.locator("li")).to_have_count(0)
    expect(page.get_by_test_id("accounts-status")).to_contain_text("Deleted")
    page.get_by_test_id("accounts-refresh").click()
    expect(page.get_by_test_id("accounts-status")).to_contain_text("No accounts yet")
    delete_all = page.get_by_test_id("log-row").filter(has_text="/admin/accounts")
    expect(delete_all.filter(has_text="DELETE").first.get_by_test_id("log-status")).to_have_text(
        "200"
    )


def test_clock_advance_expires_tokens_and_reset_goes_back(
    page: Page, harness: RunningStack
) -> None:
    new_fake_user(harness, 5100000003, "시계")
    page.get_by_test_id("users-refresh").click()
    card = page.get_by_test_id("user-5100000003")
    expect(card).to_contain_text("token ready")
    expect(page.get_by_test_id("clock-now")).to_contain_text("real time")

    page.get_by_test_id("clock-amount").fill("7")
    page.get_by_test_id("clock-unit").select_option(label="hours")
    page.get_by_test_id("clock-advance").click()
    expect(card).to_contain_text("token expired")  # 6 h tokens, 7 h later
    expect(page.get_by_test_id("clock-now")).to_contain_text("25200 s ahead")
    assert admin(harness, "GET", "/clock")["offset"] == 25200

    page.get_by_test_id("kakao-reset").click()
    expect(page.get_by_test_id("fake-status")).to_contain_text("reset")
    expect(card).to_have_count(0)  # back to the users file
    expect(page.get_by_test_id("clock-now")).to_contain_text("real time")
    assert admin(harness, "GET", "/clock")["offset"] == 0


@pytest.mark.parametrize(
    ("fill", "expected"),
    [
        ({"kind": "latency", "latency": "25"}, {"kind": "latency", "latency_ms": 25}),
        ({"kind": "hang", "times": "1"}, {"kind": "hang", "times": 1}),
        ({"kind": "drop", "times": "2"}, {"kind": "drop", "times": 2}),
        ({"kind": "malformed"}, {"kind": "malformed"}),
        (
            {"kind": "error", "status": "400", "code": "KOE320", "msg": "bad code"},
            {"kind": "error", "status": 400, "code": "KOE320", "msg": "bad code"},
        ),
    ],
)
def test_every_fault_kind_with_its_parameters(
    page: Page, harness: RunningStack, fill: dict[str, str], expected: dict[str, object]
) -> None:
    page.get_by_test_id("fault-editor").locator("summary").click()
    page.get_by_test_id("fault-kind").select_option(fill["kind"])
    for field in ("latency", "status", "code", "msg", "times"):
        if field in fill:
            page.get_by_test_id(f"fault-{field}").fill(fill[field])
    page.get_by_test_id("fault-add").click()
    expect(page.get_by_test_id("fault-item")).to_have_count(1)
    assert admin(harness, "GET", "/faults")["faults"] == [expected]
    expect(page.get_by_test_id("fault-text")).to_contain_text(fill["kind"])
    page.get_by_test_id("fault-remove-0").click()
    expect(page.get_by_test_id("fault-item")).to_have_count(0)
    assert admin(harness, "GET", "/faults")["faults"] == []


def test_an_error_fault_for_one_user_only(page: Page, harness: RunningStack) -> None:
    page.get_by_test_id("fault-editor").locator("summary").click()
    page.get_by_test_id("fault-kind").select_option("error")
    page.get_by_test_id("fault-status").fill("429")
    page.get_by_test_id("fault-code").fill("-10")
    page.get_by_test_id("fault-msg").fill("API limit has been exceeded.")
    page.get_by_test_id("fault-user").select_option("4000000005")
    page.get_by_test_id("fault-add").click()
    expect(page.get_by_test_id("fault-text")).to_contain_text("user 4000000005")
    assert admin(harness, "GET", "/faults")["faults"] == [
        {
            "kind": "error",
            "user_id": 4000000005,
            "status": 429,
            "code": -10,
            "msg": "API limit has been exceeded.",
        }
    ]
    use_user(page, 4000000005)
    expect_outcome(page, "auth-get-outcome", 503, "KAKAO_RATE_LIMITED")
    use_user(page, 4000000004)  # anyone else: Kakao behaves
    expect_outcome(page, "auth-get-outcome", 200, "OK")
    page.get_by_test_id("faults-clear").click()
    expect(page.get_by_test_id("faults-status")).to_contain_text("No faults")
    assert admin(harness, "GET", "/faults")["faults"] == []


def test_the_redirect_flows_code_and_state_are_in_the_log(
    page: Page, harness: RunningStack
) -> None:
    page.get_by_test_id("kakao-sign-in").click()
    page.wait_for_url(f"{harness.kakao_url}/oauth/authorize*")
    page.get_by_test_id("pick-user-4000000007").click()
    page.get_by_test_id("approve").click()
    page.wait_for_url(f"{harness.ui_url}/")
    expect(page.get_by_test_id("is-user")).to_be_visible()

    callback = page.get_by_test_id("log-row").filter(has_text="/callback")
    expect(callback.get_by_test_id("log-url")).to_have_text(
        re.compile(r"/callback\?code=[^&]+&state=[0-9a-f]{32}$")
    )
    callback.get_by_test_id("log-toggle").click()
    details = page.locator("tr.log-details:visible")
    expect(details).to_contain_text('"state": "')
    expect(details).to_contain_text('"code": "')


# The bugs of issue 15, item 5.


def test_a_new_user_with_an_empty_label_is_created(page: Page, harness: RunningStack) -> None:
    page.get_by_test_id("user-editor-toggle").click()
    page.get_by_test_id("user-form-id").fill("5100000004")
    page.get_by_test_id("user-form-nickname").fill("라벨없음")  # Label left empty
    page.get_by_test_id("user-form-submit").click()
    expect(page.get_by_test_id("user-5100000004")).to_contain_text("라벨없음")
    assert admin(harness, "GET", "/users/5100000004")["label"] == ""


def test_after_create_account_step_2_says_is_user_and_the_button_logs_in(
    page: Page, harness: RunningStack
) -> None:
    new_fake_user(harness, 5100000005, "새가입")
    page.get_by_test_id("users-refresh").click()
    use_user(page, 5100000005)
    expect(page.get_by_test_id("is-user")).to_have_attribute("data-value", "false")
    page.get_by_test_id("signup-email").fill("new@example.com")
    page.get_by_test_id("signup-submit").click()
    expect_outcome(page, "auth-post-outcome", 201, "CREATE_ACCOUNT")
    expect(page.get_by_test_id("is-user")).to_have_attribute("data-value", "true")
    expect(page.get_by_test_id("signup-submit")).to_have_text("Log in")
    page.get_by_test_id("signup-submit").click()
    expect_outcome(page, "auth-post-outcome", 200, "LOGIN_SUCCESS")


def test_use_token_and_new_token_only_fill_in_step_1(page: Page) -> None:
    # the flow's own GET /auth/kakao; the user list's per-person account checks are labelled
    service_calls = (
        page.get_by_test_id("log-row")
        .filter(has_text="/auth/kakao")
        .filter(has_not=page.get_by_test_id("log-source"))
    )
    expect(page.get_by_test_id("log-source").filter(has_text="account check")).not_to_have_count(0)
    page.get_by_test_id("use-user-4000000001").click()
    expect(page.get_by_test_id("token-input")).to_have_value("mock-token-full-consent")
    expect(page.get_by_test_id("auth-get")).to_be_focused()
    page.get_by_test_id("new-token-4000000001").click()
    expect(page.get_by_test_id("token-source")).to_contain_text("New token issued")
    expect(page.get_by_test_id("token-input")).not_to_have_value("mock-token-full-consent")
    expect(page.get_by_test_id("log-row").filter(has_text="/tokens")).to_have_count(1)
    expect(service_calls).to_have_count(0)
    expect(page.get_by_test_id("auth-get-placeholder")).to_be_visible()


def test_buttons_are_named_by_their_visible_text(page: Page) -> None:
    users = page.get_by_test_id("users").locator("li.user")
    count = users.count()
    assert count >= 8
    for name in ("Use token", "New token", "Edit"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(count)
    hidden_text = page.evaluate(
        """() => [...document.querySelectorAll('button')]
            .filter((b) => b.getAttribute('aria-label') !== null
                           && !b.getAttribute('aria-label').includes(b.textContent.trim()))
            .map((b) => b.outerHTML)"""
    )
    assert hidden_text == []
    use = page.get_by_test_id("use-user-4000000006")
    expect(use).to_have_accessible_description(re.compile("."))  # whose token: described


def test_an_address_kakao_has_not_confirmed_is_flagged(page: Page) -> None:
    use_user(page, 4000000003)  # the invalid-email user
    expect(page.get_by_test_id("signup-email")).not_to_have_value("")
    hint = page.get_by_test_id("signup-email-hint")
    expect(hint).to_contain_text("has not confirmed this address")
    expect(hint).to_have_class(re.compile("field-warning"))
    use_user(page, 4000000001)
    expect(hint).to_have_text("")


def test_lists_say_they_are_loading_before_the_first_answer(
    harness: RunningStack, browser: Browser
) -> None:
    admin(harness, "POST", "/reset")
    context = browser.new_context(viewport=VIEWPORT)
    held: list[Route] = []
    context.route(f"{harness.kakao_url}/_mock/users", lambda route: held.append(route), times=1)
    page = context.new_page()
    try:
        page.goto(harness.ui_url)
        loading = page.get_by_test_id("users-loading")
        expect(loading).to_be_visible()
        expect(loading).to_contain_text("Loading")
        expect(page.get_by_test_id("users")).to_have_attribute("aria-busy", "true")
        assert held, "the users request was not held"
        held[0].continue_()
        page.wait_for_selector("body[data-ready=true]")
        expect(loading).to_be_hidden()
        expect(page.get_by_test_id("users")).to_have_attribute("aria-busy", "false")
    finally:
        context.close()
