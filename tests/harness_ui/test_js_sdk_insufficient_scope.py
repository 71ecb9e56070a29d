"""Issue 21 item 4 in the fake's JavaScript SDK: ``Kakao.API.request`` rejects with kapi's -402
body as it is (the real SDK rejects any non-200 with its parsed JSON, kakao-api.md [JS220]), and
the ``required_scopes`` it names go to ``Kakao.Auth.authorize({scope})``, whose consent page asks
for them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from harness_ui.stack import RunningStack
from tests.harness_ui.support import admin
from tests.harness_ui.test_js_sdk import issue_token, new_user, open_example, rejection

pytestmark = pytest.mark.browser

TALKER_ID = 6100000402
SEND_MEMO = (
    "Kakao.API.request({url: '/v2/api/talk/memo/default/send',"
    " data: {template_object: {object_type: 'text', text: 'hi', link: {}}}})"
)


def test_api_request_rejects_with_402_and_additional_consent_asks_for_the_scope(
    blank_page: Page, harness: RunningStack
) -> None:
    new_user(
        harness,
        TALKER_ID,
        nickname="톡",
        email="talk.sdk@example.com",
        for_partner_uuid="mock-uuid-sdk",
        consents={"talk_message": False},
    )
    page = open_example(blank_page, harness)
    page.evaluate("(t) => Kakao.Auth.setAccessToken(t)", issue_token(harness, TALKER_ID))
    refused = rejection(page, SEND_MEMO)
    assert refused == {
        "msg": "insufficient scopes.",
        "code": -402,
        "api_type": "TALK_MEMO_DEFAULT_SEND",
        "required_scopes": ["talk_message"],
        "allowed_scopes": ["profile_nickname", "profile_image", "account_email"],
    }

    redirect_uri = f"{harness.ui_url}/example/callback.html"
    with page.expect_navigation(url=f"{harness.kakao_url}/oauth/authorize?*"):
        page.evaluate(
            "(s) => { Kakao.Auth.authorize(s).catch(() => {}); }",
            {"redirectUri": redirect_uri, "scope": ",".join(refused["required_scopes"])},  # type: ignore[index]
        )
    assert parse_qs(urlsplit(page.url).query)["scope"] == ["talk_message"]
    page.get_by_test_id(f"pick-user-{TALKER_ID}").click()
    expect(page.get_by_test_id("consent-talk_message")).to_be_checked()

    admin(harness, "PATCH", f"/users/{TALKER_ID}", {"consents": {"talk_message": True}})
    page.goto(f"{harness.ui_url}/example/")
    page.evaluate("(t) => Kakao.Auth.setAccessToken(t)", issue_token(harness, TALKER_ID))
    assert page.evaluate(SEND_MEMO) == {"result_code": 0}
