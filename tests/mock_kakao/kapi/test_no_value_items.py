"""Issue 20 rule 7: items the account has no value for, and Kakao's default profile image.

Kakao never asks a person for an item they have nothing for: ``/v2/user/me`` shows
``<item>_needs_agreement: false`` and no value (kakao-api.md, "Profile details", [IOSLEG]), and
the token's ``scope`` does not name it. A person without a custom picture still has one: Kakao's
default image, with ``is_default_image: true`` ([DT115259]); its URLs are LIKELY (third-party
captures), see README.
"""

from __future__ import annotations

import base64
import json

import aiohttp

from mock_kakao.testing import MockKakao
from tests.mock_kakao.helpers import FULL, FULL_ID, bearer, consent_page, exchange_code, pick_user

#: Kakao's default picture, as third-party captures show it (LIKELY; README)
DEFAULT_PROFILE_IMAGE_URL = (
    "http://k.kakaocdn.net/dn/1G9kp/btsAot8liOn/8CWudi3uy07rvFNUkk3ER0/img_640x640.jpg"
)
DEFAULT_THUMBNAIL_IMAGE_URL = DEFAULT_PROFILE_IMAGE_URL.replace("640x640", "110x110")
#: a person with a nickname and nothing else: no email, no picture, no name, birthday...
BARE_ID = 7070


async def me(http: aiohttp.ClientSession, kakao: MockKakao, token: str, **params: str):
    async with http.get(f"{kakao.url}/v2/user/me", headers=bearer(token), params=params) as r:
        assert r.status == 200
        return await r.json()


def payload(id_token: str) -> dict:
    part = id_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


async def test_items_without_a_value_need_no_agreement_and_have_no_value(http, kakao):
    kakao.add_user(BARE_ID, nickname="맨몸")
    body = await me(http, kakao, kakao.issue_token(BARE_ID)["access_token"])
    account = body["kakao_account"]
    # The bundled app asks for every item: each one the person lacks is false, valueless.
    for item in ("email", "name", "age_range", "birthyear", "birthday", "gender"):
        assert account[f"{item}_needs_agreement"] is False, item
        assert item not in account, item
    assert account["phone_number_needs_agreement"] is False and "phone_number" not in account
    assert account["ci_needs_agreement"] is False and "ci" not in account
    assert account["has_email"] is False
    assert not {"is_email_valid", "is_email_verified", "birthday_type"} & set(account)
    assert "for_partner" not in body


async def test_items_without_a_value_are_not_asked_nor_in_scope(http, kakao):
    kakao.add_user(BARE_ID, nickname="맨몸")
    page = await consent_page(http, kakao, BARE_ID)
    assert 'data-testid="consent-email"' not in page
    assert 'data-testid="consent-name"' not in page
    # The picture is Kakao's default one: still something to share, so it is asked.
    assert 'data-testid="consent-profile_image"' in page
    redirect = await pick_user(http, kakao, BARE_ID, consent=None)
    _, tokens = await exchange_code(http, kakao, redirect.query["code"])
    assert tokens["scope"].split() == ["profile_nickname", "profile_image"]
    # A form edited to tick an item the page did not ask for gives nothing more.
    redirect = await pick_user(http, kakao, BARE_ID, consent=("nickname", "email", "name"))
    _, tokens = await exchange_code(http, kakao, redirect.query["code"])
    assert tokens["scope"] == "profile_nickname"
    info = await me(http, kakao, tokens["access_token"])
    assert info["kakao_account"]["email_needs_agreement"] is False


async def test_an_email_declined_still_needs_agreement(http, kakao):
    """The other side: a value the person has but did not agree to stays ``true``."""
    body = await me(http, kakao, "mock-token-no-email")
    assert body["kakao_account"]["email_needs_agreement"] is True
    assert body["kakao_account"]["has_email"] is True


async def test_no_custom_picture_gets_kakaos_default_image(http, kakao):
    body = await me(http, kakao, FULL)
    profile = body["kakao_account"]["profile"]
    assert body["kakao_account"]["profile_image_needs_agreement"] is False
    assert profile["profile_image_url"] == DEFAULT_PROFILE_IMAGE_URL
    assert profile["thumbnail_image_url"] == DEFAULT_THUMBNAIL_IMAGE_URL
    assert profile["is_default_image"] is True
    assert body["properties"]["profile_image"] == DEFAULT_PROFILE_IMAGE_URL
    assert body["properties"]["thumbnail_image"] == DEFAULT_THUMBNAIL_IMAGE_URL
    secure = await me(http, kakao, FULL, secure_resource="true")
    assert secure["kakao_account"]["profile"]["profile_image_url"] == (
        DEFAULT_PROFILE_IMAGE_URL.replace("http://", "https://", 1)
    )


async def test_a_custom_picture_is_not_the_default(http, kakao):
    kakao.add_user(BARE_ID, nickname="사진", profile_image_url="http://img.example.com/640.jpg")
    body = await me(http, kakao, kakao.issue_token(BARE_ID)["access_token"])
    profile = body["kakao_account"]["profile"]
    assert profile["profile_image_url"] == "http://img.example.com/640.jpg"
    assert profile["is_default_image"] is False


async def test_a_declined_default_picture_needs_agreement_and_has_no_url(http, kakao):
    redirect = await pick_user(http, kakao, FULL_ID, consent=("nickname", "email"))
    _, tokens = await exchange_code(http, kakao, redirect.query["code"])
    assert "profile_image" not in tokens["scope"].split()
    body = await me(http, kakao, tokens["access_token"])
    assert body["kakao_account"]["profile_image_needs_agreement"] is True
    assert "profile_image_url" not in body["kakao_account"]["profile"]
    assert "profile_image" not in body["properties"]


async def test_id_token_picture_is_the_default_thumbnail_when_shared(http, kakao):
    kakao.set_oidc(True)
    redirect = await pick_user(http, kakao, FULL_ID, consent=("nickname", "profile_image"))
    _, tokens = await exchange_code(http, kakao, redirect.query["code"])
    assert tokens["scope"].split() == ["profile_nickname", "profile_image"]
    assert payload(tokens["id_token"])["picture"] == DEFAULT_THUMBNAIL_IMAGE_URL
    async with http.get(
        f"{kakao.url}/v1/oidc/userinfo", headers=bearer(tokens["access_token"])
    ) as r:
        assert (await r.json())["picture"] == DEFAULT_THUMBNAIL_IMAGE_URL
    # Declined: no picture claim at all, not the default one.
    redirect = await pick_user(http, kakao, FULL_ID, consent=("nickname",))
    _, tokens = await exchange_code(http, kakao, redirect.query["code"])
    assert "picture" not in payload(tokens["id_token"])
