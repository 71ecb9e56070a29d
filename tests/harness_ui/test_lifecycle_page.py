"""The account lifecycle in the harness page, in headless Chromium: each person's account
state, "Disconnect from Kakao" (the webhook, shown in the log), "Delete my account" and
Kakao's "Log out"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from harness_ui.stack import RunningStack
from tests.harness_ui.support import admin
from tests.harness_ui.test_page import expect_outcome, use_user

pytestmark = pytest.mark.browser

PERSON = 4100000013


def add_person(harness: RunningStack, page: Page, user_id: int = PERSON) -> None:
    admin(
        harness,
        "POST",
        "/users",
        {"id": user_id, "nickname": "생애주기", "email": f"life{user_id}@example.com"},
    )
    admin(harness, "POST", f"/users/{user_id}/tokens", {})
    page.get_by_test_id("users-refresh").click()
    expect(page.get_by_test_id(f"account-{user_id}")).to_be_visible()


def sign_up(page: Page, user_id: int) -> None:
    use_user(page, user_id)
    expect(page.get_by_test_id("is-user")).to_have_attribute("data-value", "false")
    page.get_by_test_id("signup-submit").click()
    expect_outcome(page, "auth-post-outcome", 201, "CREATE_ACCOUNT")


def test_disconnecting_on_kakaos_side_calls_the_webhook_and_ends_the_account(
    page: Page, harness: RunningStack
) -> None:
    add_person(harness, page)
    account = page.get_by_test_id(f"account-{PERSON}")
    expect(account).to_have_text("no account")
    sign_up(page, PERSON)
    page.get_by_test_id("users-refresh").click()
    expect(account).to_have_text("has an account")
    accounts_panel = page.get_by_test_id("accounts")  # the service's accounts, by kakao_id
    expect(accounts_panel).to_contain_text(str(PERSON))

    page.get_by_test_id("referrer-type").select_option("ACCOUNT_DELETE")
    page.get_by_test_id(f"disconnect-{PERSON}").click()
    expect(page.get_by_test_id("lifecycle-status")).to_have_text(
        f"{PERSON} disconnected (ACCOUNT_DELETE); webhook: the service answered 200."
    )
    webhook_row = page.get_by_test_id("log-row").filter(has_text="Kakao webhook").first
    expect(webhook_row.get_by_test_id("log-url")).to_contain_text("/auth/kakao/unlink")
    expect(webhook_row.get_by_test_id("log-status")).to_have_text("200")
    webhook_row.get_by_test_id("log-toggle").click()
    details = page.locator("tr.log-details:visible")
    expect(details).to_contain_text('"referrer_type": "ACCOUNT_DELETE"')
    expect(details).not_to_contain_text("mock-admin-key")
    expect(account).to_have_text("account unknown (no live token)")  # Kakao revoked it
    expect(accounts_panel).not_to_contain_text(str(PERSON))  # the webhook deleted it

    page.get_by_test_id("users-me").click()
    expect_outcome(page, "users-me-outcome", 401, "INVALID_TOKEN")


def test_delete_my_account_then_sign_up_again(page: Page, harness: RunningStack) -> None:
    person = PERSON + 1
    add_person(harness, page, person)
    sign_up(page, person)
    first_claims = page.get_by_test_id("jwt-claims").inner_text()

    page.get_by_test_id("delete-me").click()
    expect_outcome(page, "users-me-outcome", 204, "ACCOUNT_DELETED")
    # step 2's answer said is_user: true; the flow now says the account is gone
    expect(page.get_by_test_id("is-user")).to_have_attribute("data-value", "false")
    expect(page.get_by_test_id("field-is_user")).to_have_text("false (account deleted)")
    expect(page.get_by_test_id(f"account-{person}")).to_have_text(
        "account unknown (no live token)"
    )  # Kakao unlinked the person: their token died
    page.get_by_test_id("users-me").click()
    expect_outcome(page, "users-me-outcome", 401, "INVALID_TOKEN")

    page.get_by_test_id(f"new-token-{person}").click()  # it only fills in step 1
    page.get_by_test_id("auth-get").click()
    expect(page.get_by_test_id("field-is_user")).to_have_text("false")  # a fresh answer
    expect(page.get_by_test_id("is-user")).to_have_attribute("data-value", "false")
    page.get_by_test_id("signup-submit").click()
    # the first sign-up's outcome was 201 too: wait for the new JWT, not for the old outcome
    expect(page.get_by_test_id("jwt-claims")).not_to_have_text(first_claims)
    expect_outcome(page, "auth-post-outcome", 201, "CREATE_ACCOUNT")
    expect(page.get_by_test_id(f"account-{person}")).to_have_text("has an account")


def test_log_out_at_kakao_ends_the_token(page: Page, harness: RunningStack) -> None:
    person = PERSON + 2
    add_person(harness, page, person)
    page.get_by_test_id(f"logout-{person}").click()
    expect(page.get_by_test_id("lifecycle-status")).to_have_text(
        f"{person} logged out at Kakao: that token no longer works."
    )
    logout = page.get_by_test_id("log-row").filter(has_text="/v1/user/logout").first
    expect(logout.get_by_test_id("log-status")).to_have_text("200")
    # Kakao revoked the token: the fake lists none for the person any more
    expect(page.get_by_test_id(f"user-{person}")).to_contain_text("no token yet")
    expect(page.get_by_test_id(f"disconnect-{person}")).to_have_accessible_name(
        re.compile("Disconnect")
    )
