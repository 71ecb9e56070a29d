"""Kakao ids past 2^53 through the page: shown, sent and stored exactly.

A JS number holds integers exactly only up to 2^53, and Kakao ids are 64-bit: read with plain
JSON.parse, user 9007199254740993 became ...992 on the page and sign-up was refused with 403
KAKAO_ID_MISMATCH (the id sent was someone else's).
"""

from __future__ import annotations

import re
import sqlite3

import pytest
from playwright.sync_api import Page, expect

from harness_ui.config import DATABASE_FILE_NAME
from harness_ui.stack import RunningStack
from tests.harness_ui.support import admin

pytestmark = pytest.mark.browser

#: the first integer a JS number cannot hold, and the largest Kakao id there can be
BIG_IDS = [2**53 + 1, 2**63 - 1]


def stored_kakao_ids(harness: RunningStack) -> list[int]:
    """The service's table as SQLite holds it, read beside the running service."""
    path = harness.config.data_dir / DATABASE_FILE_NAME
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as database:
        return [row[0] for row in database.execute("SELECT kakao_id FROM users")]


@pytest.mark.parametrize("kakao_id", BIG_IDS)
def test_a_big_kakao_id_is_shown_and_signs_up_exactly(
    page: Page, harness: RunningStack, kakao_id: int
) -> None:
    exact = str(kakao_id)
    admin(harness, "POST", "/users", {"id": kakao_id, "nickname": "큰번호", "email": None})
    page.get_by_test_id("users-refresh").click()
    card = page.get_by_test_id(f"user-{exact}")
    expect(card.locator(".user-id")).to_have_text(exact)

    page.get_by_test_id(f"use-user-{exact}").click()
    page.get_by_test_id("auth-get").click()
    expect(page.get_by_test_id("auth-get-outcome")).to_have_attribute("data-status", "200")
    expect(page.get_by_test_id("field-kakao_id")).to_have_text(exact)
    expect(page.get_by_test_id("signup-kakao-id")).to_have_value(exact)

    page.get_by_test_id("signup-email").fill("big.id@example.com")
    page.get_by_test_id("signup-submit").click()
    outcome = page.get_by_test_id("auth-post-outcome")
    expect(outcome).to_have_attribute("data-status", "201")
    expect(outcome).to_have_attribute("data-code", "CREATE_ACCOUNT")
    assert kakao_id in stored_kakao_ids(harness)

    # Sent as a JSON number (the service takes only integers), and so logged.
    post = page.get_by_test_id("log-row").filter(has_text="POST").first
    post.get_by_test_id("log-toggle").click()
    expect(page.locator("tr.log-details:visible")).to_contain_text(f'"kakao_id": {exact},')

    page.get_by_test_id("users-me").click()
    expect(page.get_by_test_id("users-me-outcome")).to_have_attribute("data-status", "200")
    expect(page.get_by_test_id("users-me-body")).to_contain_text(f'"kakao_id": {exact},')


def test_a_fake_user_with_a_big_id_is_created_and_edited_from_the_page(
    page: Page, harness: RunningStack
) -> None:
    kakao_id = 2**53 + 3
    exact = str(kakao_id)
    page.get_by_test_id("user-editor-toggle").click()
    page.get_by_test_id("user-form-id").fill(exact)
    page.get_by_test_id("user-form-label").fill("Past 2^53")
    page.get_by_test_id("user-form-nickname").fill("큰번호")
    page.get_by_test_id("user-form-submit").click()
    expect(page.get_by_test_id(f"user-{exact}")).to_contain_text("큰번호")
    assert admin(harness, "GET", f"/users/{exact}")["id"] == kakao_id

    page.get_by_test_id(f"edit-user-{exact}").click()
    expect(page.get_by_test_id("user-form-id")).to_have_value(exact)
    page.get_by_test_id("user-form-nickname").fill("고친번호")
    page.get_by_test_id("user-form-submit").click()
    expect(page.get_by_test_id(f"user-{exact}")).to_contain_text("고친번호")
    assert admin(harness, "GET", f"/users/{exact}")["nickname"] == "고친번호"
    users = admin(harness, "GET", "/users")["users"]
    assert not [
        user
        for user in users
        if re.fullmatch(r"90071992547409\d\d", str(user["id"])) and user["id"] != kakao_id
    ]  # no neighbour made by rounding
