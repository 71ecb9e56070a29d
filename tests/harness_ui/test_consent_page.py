"""Consent on the harness page, in headless Chromium: "Ask for email again" runs Kakao's
additional consent through the fake's real pages, and the user editor covers every
kakao_account field."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from harness_ui.stack import RunningStack
from tests.harness_ui.support import admin
from tests.harness_ui.test_page import use_user

pytestmark = pytest.mark.browser

EMAIL_LATER_ID = 4000000010


def test_ask_for_email_again_runs_additional_consent(page: Page, harness: RunningStack) -> None:
    use_user(page, EMAIL_LATER_ID)
    expect(page.get_by_test_id("field-email")).to_have_text("null")
    expect(page.get_by_test_id("field-missing_consents")).to_have_text("account_email")
    page.get_by_test_id("ask-email-again").click()

    page.wait_for_url(f"{harness.kakao_url}/oauth/authorize*scope=account_email*")
    page.get_by_test_id(f"pick-user-{EMAIL_LATER_ID}").click()
    expect(page.get_by_test_id("consent-title")).to_contain_text("Additional consent")
    expect(page.get_by_test_id("consent-nickname")).to_have_count(0)  # agreed before
    expect(page.get_by_test_id("consent-email")).to_be_checked()
    page.get_by_test_id("approve").click()

    page.wait_for_url(f"{harness.ui_url}/")
    expect(page.get_by_test_id("redirect-status")).to_contain_text("redirect flow")
    expect(page.get_by_test_id("field-email")).to_have_text("oh.later@example.com")
    expect(page.get_by_test_id("field-missing_consents")).to_have_text("")
    expect(page.get_by_test_id("consent-offer")).to_be_hidden()
    expect(page.get_by_test_id("signup-email")).to_have_value("oh.later@example.com")


def test_no_offer_when_the_email_is_there(page: Page) -> None:
    use_user(page, 4000000001)
    expect(page.get_by_test_id("field-email")).to_have_text("kim.kakao@example.com")
    expect(page.get_by_test_id("consent-offer")).to_be_hidden()


def test_the_editor_covers_the_whole_kakao_account(page: Page, harness: RunningStack) -> None:
    page.get_by_test_id("user-editor-toggle").click()
    page.get_by_test_id("user-form-id").fill("5000000077")
    page.get_by_test_id("user-form-label").fill("Every field")
    page.get_by_test_id("user-form-nickname").fill("싱크")
    page.get_by_test_id("user-form-account-toggle").click()
    page.get_by_test_id("user-form-name").fill("김싱크")
    page.get_by_test_id("user-form-birthyear").fill("1988")
    page.get_by_test_id("user-form-birthday").fill("1231")
    page.get_by_test_id("user-form-birthday-type").select_option("LUNAR")
    page.get_by_test_id("user-form-is-leap-month").check()
    page.get_by_test_id("user-form-gender").select_option("male")
    page.get_by_test_id("user-form-age-range").select_option("30~39")
    page.get_by_test_id("user-form-phone-number").fill("+82 10-0000-0077")
    page.get_by_test_id("user-form-ci").fill("ci-77")
    page.get_by_test_id("user-form-has-signed-up").select_option("false")
    page.get_by_test_id("user-form-for-partner-uuid").fill("uuid-77")
    page.get_by_test_id("user-form-consent-phone_number").uncheck()
    page.get_by_test_id("user-form-submit").click()
    expect(page.get_by_test_id("user-form-message")).to_have_text("")
    expect(page.get_by_test_id("user-5000000077")).to_contain_text("싱크")

    user = admin(harness, "GET", "/users/5000000077")
    assert (user["name"], user["birthyear"], user["birthday"]) == ("김싱크", "1988", "1231")
    assert (user["birthday_type"], user["is_leap_month"], user["gender"]) == ("LUNAR", True, "male")
    assert (user["age_range"], user["phone_number"], user["ci"]) == (
        "30~39",
        "+82 10-0000-0077",
        "ci-77",
    )
    assert user["has_signed_up"] is False and user["for_partner_uuid"] == "uuid-77"
    assert user["consents"]["phone_number"] is False and user["consents"]["name"] is True

    # Editing shows what is stored, and a bad value gets the fake's own message.
    page.get_by_test_id("edit-user-5000000077").click()
    expect(page.get_by_test_id("user-form-name")).to_have_value("김싱크")
    expect(page.get_by_test_id("user-form-consent-phone_number")).not_to_be_checked()
    expect(page.get_by_test_id("user-form-has-signed-up")).to_have_value("false")
    page.get_by_test_id("user-form-birthday").fill("1332")  # the fieldset is still open
    page.get_by_test_id("user-form-submit").click()
    expect(page.get_by_test_id("user-form-message")).to_contain_text("MMDD")
