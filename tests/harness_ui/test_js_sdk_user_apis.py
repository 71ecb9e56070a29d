"""The fake's JavaScript SDK, in headless Chromium, on the user APIs past the profile (issue 21
items 2 and 3): a shipping-address fetch and an update_profile round-trip through
``Kakao.API.request``, as a page makes them (form body, CORS preflight, the SDK's promises)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from harness_ui.stack import RunningStack
from tests.harness_ui.support import admin
from tests.harness_ui.test_js_sdk import issue_token, open_example, rejection

pytestmark = pytest.mark.browser

SYNC_ID = 4000000009  # the bundled Kakao Sync user, with two shipping addresses


def signed_in(page: Page, stack: RunningStack, user_id: int) -> Page:
    open_example(page, stack)
    page.evaluate("(token) => Kakao.Auth.setAccessToken(token)", issue_token(stack, user_id))
    return page


def test_shipping_addresses_through_api_request(blank_page: Page, harness: RunningStack) -> None:
    page = signed_in(blank_page, harness, SYNC_ID)
    first = page.evaluate(
        "Kakao.API.request({url: '/v1/user/shipping_address', data: {page_size: 1}})"
    )
    assert first["user_id"] == SYNC_ID
    assert first["shipping_addresses_needs_agreement"] is False
    (home,) = first["shipping_addresses"]
    assert home["is_default"] is True and home["name"] == "집"
    rest = page.evaluate(
        "(from) => Kakao.API.request({url: '/v1/user/shipping_address',"
        " data: {page_size: 1, from_updated_at: from}})",
        home["updated_at"] + 10**9,  # past every address: the page after the default one
    )
    assert [a["id"] for a in rest["shipping_addresses"]] == [9000000002]
    one = page.evaluate(
        "Kakao.API.request({url: '/v1/user/shipping_address', data: {address_id: 9000000002}})"
    )
    assert [a["name"] for a in one["shipping_addresses"]] == ["회사"]


def test_update_profile_round_trip_through_api_request(
    blank_page: Page, harness: RunningStack
) -> None:
    admin(harness, "PATCH", "/app", {"user_properties": ["grade"]})
    page = signed_in(blank_page, harness, SYNC_ID)
    updated = page.evaluate(
        "Kakao.API.request({url: '/v1/user/update_profile', data: {properties: {grade: 'gold'}}})"
    )
    assert updated == {"id": SYNC_ID}
    me = page.evaluate(
        "Kakao.API.request({url: '/v2/user/me', data: {property_keys: ['properties.grade']}})"
    )
    assert me["properties"] == {"grade": "gold"}

    refused = rejection(
        page,
        "Kakao.API.request({url: '/v1/user/update_profile', data: {properties: {colour: 'red'}}})",
    )
    assert refused["code"] == -201
    refused = rejection(
        page,
        "Kakao.API.request({url: '/v1/user/update_profile', data: {properties: {nickname: 'x'}}})",
    )
    assert refused["code"] == -2
