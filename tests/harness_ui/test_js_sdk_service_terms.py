"""The fake JavaScript SDK's `serviceTerms` (issue 21 item 1): `Kakao.Auth.authorize` sends it
as `extra.service_terms`, and the fake's consent page asks exactly those Kakao Sync terms;
agreeing records them `agreed_by: KAUTH`. In headless Chromium against run_all's stack."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from harness_ui.stack import RunningStack
from tests.harness_ui.support import admin
from tests.harness_ui.test_js_sdk import authorize, open_example

pytestmark = pytest.mark.browser

PERSON = 4000000001


def test_service_terms_reach_the_consent_page(blank_page: Page, harness: RunningStack) -> None:
    admin(
        harness,
        "PATCH",
        "/app",
        {"service_terms": [{"tag": "tos_2024", "required": True}, "marketing"]},
    )
    page = open_example(blank_page, harness)
    settings = {
        "redirectUri": f"{harness.ui_url}/example/callback.html",
        "serviceTerms": "marketing",
        "throughTalk": False,
    }
    query = authorize(page, f"{harness.kakao_url}/oauth/authorize?*", settings)
    assert query["extra.service_terms"] == "marketing"
    page.get_by_test_id(f"pick-user-{PERSON}").click()
    expect(page.get_by_test_id("term-marketing")).to_be_visible()
    expect(page.locator("[data-testid^=term-]")).to_have_count(1)
    page.get_by_test_id("term-marketing").check()
    with page.expect_navigation(url=f"{harness.ui_url}/example/callback.html?*"):
        page.get_by_test_id("approve").click()
    agreements = admin(harness, "GET", f"/users/{PERSON}")["service_terms"]
    assert list(agreements) == ["marketing"]
    assert agreements["marketing"]["agreed_by"] == "KAUTH"
