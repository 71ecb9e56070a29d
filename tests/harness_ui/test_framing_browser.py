"""Clickjacking, in Chromium: a page on another site cannot show the fake's login pages in an
iframe, so it cannot lay a decoy over "agree and continue" (issue 19 item 8). The headers of
every kind of page: tests/mock_kakao/web/test_framing.py."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page

from harness_ui.stack import RunningStack
from tests.harness_ui.support import admin, other_site

pytestmark = pytest.mark.browser


def authorize_url(stack: RunningStack) -> str:
    query = {
        "client_id": admin(stack, "GET", "/config")["javascript_key"],
        "redirect_uri": f"{stack.ui_url}/example/callback.html",
        "response_type": "code",
    }
    return f"{stack.kakao_url}/oauth/authorize?{urlencode(query)}"


def test_another_site_cannot_frame_the_account_picker(
    blank_page: Page, harness: RunningStack
) -> None:
    html = (
        f'<!doctype html><iframe src="{authorize_url(harness)}" '
        "onload=\"document.body.dataset.framed = 'loaded'\"></iframe>"
    )
    with other_site(html) as url:
        blank_page.goto(url)
        blank_page.wait_for_selector("body[data-framed=loaded]", state="attached")
        (frame,) = [f for f in blank_page.frames if f != blank_page.main_frame]
        assert frame.locator("[data-testid^=pick-user-]").count() == 0
        assert not frame.url.startswith(harness.kakao_url)  # Chromium's blocked-frame page

    blank_page.goto(authorize_url(harness))  # the same page, not framed, still works
    assert blank_page.locator("[data-testid^=pick-user-]").count() > 0
