"""`GET /auth/kakao` says which consents the service uses are missing (`missing_consents`), so
a frontend knows to ask for them again (additional consent), and stops saying so once given."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from service.kakao.profile import parse_profile
from tests.mock_kakao.helpers import exchange_code, pick_user
from tests.service.support import RunningService

EMAIL_LATER_TOKEN = "mock-token-email-later"
EMAIL_LATER_ID = 4000000010


@pytest.mark.parametrize(
    ("account", "missing"),
    [
        ({"email_needs_agreement": True}, ("account_email",)),
        ({"profile_nickname_needs_agreement": True}, ("profile_nickname",)),
        ({"profile_needs_agreement": True}, ("profile",)),  # the old combined item
        ({"email_needs_agreement": False, "profile_nickname_needs_agreement": False}, ()),
        ({"email_needs_agreement": "true", "name_needs_agreement": True}, ()),  # not used / junk
        ({}, ()),
    ],
)
def test_missing_consents_come_from_the_needs_agreement_flags(account, missing):
    assert parse_profile({"id": 1, "kakao_account": account}).missing_consents == missing


async def test_missing_email_consent_then_additional_consent(
    service: RunningService, mock_kakao: Any
) -> None:
    before = await service.look_up(EMAIL_LATER_TOKEN)
    assert before.status == 200
    assert before.body["result"]["email"] is None
    assert before.body["result"]["missing_consents"] == ["account_email"]

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        redirect = await pick_user(
            http, mock_kakao, EMAIL_LATER_ID, scope="account_email", consent=("account_email",)
        )
        status, tokens = await exchange_code(http, mock_kakao, redirect.query["code"])
    assert status == 200

    after = await service.look_up(tokens["access_token"])
    assert after.body["result"]["email"] == "oh.later@example.com"
    assert after.body["result"]["missing_consents"] == []


async def test_an_account_without_an_email_is_not_asked_for_one(
    service: RunningService, mock_kakao: Any
) -> None:
    """Issue 20 rule 7: Kakao never asks for an item the account has no value for
    (``email_needs_agreement: false``, no email), so the service offers no additional consent
    that could not help, even for a person who would decline it."""
    mock_kakao.add_user(4000000077, nickname="메일없음", email=None, email_consent=False)
    token = mock_kakao.issue_token(4000000077)["access_token"]
    looked_up = await service.look_up(token)
    assert looked_up.status == 200
    assert looked_up.body["result"]["email"] is None
    assert looked_up.body["result"]["missing_consents"] == []
